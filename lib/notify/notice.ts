/**
 * The release events the program and the release CLI announce: what happened, to which app of which
 * stack, when, and (where known) at which commit and by whom. No Pulumi SDK and no I/O: the release
 * CLI and the dynamic provider that sends switch notices both build notices from here.
 *
 * Every notice has a stable `id` that names its facts, never when or by whom it was sent: the same
 * event sent twice (a retried step, a re-run of the same switch) carries the same id, so a
 * receiver can drop duplicates. A switch's id is the stack, the app, the source and target and the
 * images the target runs.
 */
import type { Color } from "../../domain/names";

/** Where traffic goes: a color, or the maintenance page. */
export type TrafficTarget = Color | "maintenance";

/** Every kind of notice, as `notify.events` names them. */
export const NOTICE_KINDS = ["staged", "switch", "watchVerdict", "releaseFailed", "maintenance"] as const;

/** What moved traffic. */
export const SWITCH_HOWS = ["pulumi up", "rollback --apply", "watch", "maintenance"] as const;
export type SwitchHow = (typeof SWITCH_HOWS)[number];

/** Image per service (qualified name), e.g. `{ "shop-web": "ghcr.io/acme/web:1.5.0" }`. */
export type ServiceImages = Readonly<Record<string, string>>;

/** What every notice carries. */
interface NoticeBase {
  /** Stable id of the event's facts (see the file comment). */
  readonly id: string;
  /** When the notice was made, ISO 8601 in UTC. */
  readonly at: string;
  /** The Pulumi stack. */
  readonly stack: string;
  /** The app (the `app` config key). */
  readonly app: string;
  /** The commit the stack file was at, when known. */
  readonly commit?: string;
  /** Who ran it (a login or a CI actor), when known. */
  readonly who?: string;
}

/** New images went onto the idle color (`release stage`); no traffic moved. */
export interface StagedNotice extends NoticeBase {
  readonly kind: "staged";
  readonly color: Color;
  readonly images: ServiceImages;
}

/** Traffic moved from one color to the other: a promotion or a rollback (maintenance has its own notice). */
export interface SwitchNotice extends NoticeBase {
  readonly kind: "switch";
  readonly from: Color;
  readonly to: Color;
  /** Every service's image in `to`. */
  readonly images: ServiceImages;
  readonly how: SwitchHow;
}

/** The post-promotion watch's end: the color held, an alarm rolled it back, or the watch failed without a rollback. */
export type WatchVerdictNotice = NoticeBase & { readonly kind: "watchVerdict"; readonly color: Color } & (
    | { readonly verdict: "passed"; /** How long the watch lasted. */ readonly minutes: number }
    | { readonly verdict: "rolledBack"; /** The alarm that fired. */ readonly alarm: string; /** Where traffic went back to. */ readonly to: Color }
    | {
        readonly verdict: "failed";
        /** Why, e.g. the alarms could not be read, or an alarm fired with the rollback turned off; `color` stays live. */
        readonly reason: string;
      }
  );

/** A release failed: a Job or Deployment of it, or (when the cluster shows none) the update itself. */
export interface ReleaseFailedNotice extends NoticeBase {
  readonly kind: "releaseFailed";
  /** The workload that failed; absent when the update failed before or beside any (a refused config, a policy). */
  readonly workload?: { readonly kind: "Job" | "Deployment"; readonly name: string };
  /** The failure as the cluster tells it, e.g. `BackoffLimitExceeded: Job has reached the specified backoff limit`. */
  readonly reason: string;
}

/** The maintenance page took the traffic (on), or gave it back to a color (off). */
export interface MaintenanceNotice extends NoticeBase {
  readonly kind: "maintenance";
  readonly on: boolean;
  /** The color traffic left (on) or went back to (off). */
  readonly color: Color;
  /** Off: every service's image in `color`. */
  readonly images?: ServiceImages;
  /** What users are told, when set. */
  readonly message?: string;
  /** What moved traffic. */
  readonly how?: SwitchHow;
}

export type Notice = StagedNotice | SwitchNotice | WatchVerdictNotice | ReleaseFailedNotice | MaintenanceNotice;
export type NoticeKind = Notice["kind"];

/** A notice's facts: everything but `id` and `at`, which `notice()` adds. */
export type NoticeFacts<N extends Notice = Notice> = N extends Notice ? Omit<N, "id" | "at"> : never;

/**
 * Facts that describe how or by whom, not what: they do not change the id. An array, not a Set: the
 * switch notice's dynamic provider is serialized with this module, and a Set does not survive that.
 */
const NOT_IDENTIFYING: readonly string[] = ["commit", "who", "how", "at", "id"];

/** The notice of these facts, made at `at` (now by default). */
export function notice<F extends NoticeFacts>(facts: F, at: Date = new Date()): F & { readonly id: string; readonly at: string } {
  return { ...facts, id: noticeId(facts), at: at.toISOString() };
}

/**
 * The stable id of a notice's facts: 16 hex digits of a SHA-256 over the kind and its identifying
 * facts in a canonical order (object keys sorted, so `{ web, bff }` and `{ bff, web }` are one).
 */
export function noticeId(facts: NoticeFacts): string {
  // Required here, not imported: the switch notice's provider is serialized with this function, and
  // a `require` in a body is kept as it is, where an imported module is not always recognized as
  // Node's own (under the test runner's module loader it is copied, and crypto cannot be).
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const identifying = Object.fromEntries(Object.entries(facts).filter(([key, value]) => !NOT_IDENTIFYING.includes(key) && value !== undefined));
  return createHash("sha256").update(canonicalJson(identifying)).digest("hex").slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}
