/**
 * What the release CLI records in the cluster when it switches traffic or a watch ends: one small
 * ConfigMap per event, labelled with the app, next to the objects it is about. The cluster is the one
 * place every workstation and CI runner that can switch traffic can also write to, so `status`,
 * `history` and the deploy's drift check see a rollback made anywhere, even before it is pushed.
 * Pulumi does not manage these ConfigMaps (they are not in any stack), so they never show as a diff.
 * Writing one is best effort and bounded: a switch never fails because its record could not be kept.
 * Each write then deletes the app's records beyond the newest few (recordRetention.ts).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import { RECORD_LABEL, switchRecordName } from "../domain/names";
import { kubectl } from "./cluster";
import { pruneRecords } from "./recordRetention";

/** How a switch was applied. */
export type SwitchHow = "rollback --apply" | "watch rollback" | "pulumi up" | "maintenance";

export interface SwitchRecord {
  readonly kind: "switch";
  /** ISO time the selectors were seen flipped. */
  readonly at: string;
  readonly stack: string;
  readonly from: string;
  readonly to: string;
  /** Each service's image in the color now live. */
  readonly images: Readonly<Record<string, string>>;
  readonly how: SwitchHow;
  readonly who: string;
  /** HEAD of the repository the switch was made from (the switch itself may not be committed yet). */
  readonly commit?: string;
}

export interface WatchRecord {
  readonly kind: "watch";
  readonly at: string;
  readonly stack: string;
  /** The color watched. */
  readonly color: string;
  readonly state: "running" | "passed" | "rolled back" | "failed";
  /** Until when a running watch watches (ISO). */
  readonly until?: string;
  /** The verdict in words (the alarm that fired, the minutes passed). */
  readonly verdict?: string;
  readonly who: string;
}

export type ReleaseRecord = SwitchRecord | WatchRecord;

/** Who is switching: git's user name when set, else the login and host (CI runners have both). */
export function whoAmI(cwd: string): string {
  try {
    const name = execFileSync("git", ["config", "user.name"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).trim();
    if (name) return name;
  } catch {
    // not configured: fall through
  }
  return `${os.userInfo().username}@${os.hostname()}`;
}

/** HEAD's commit in `cwd`, or undefined outside git. */
export function headCommit(cwd: string): string | undefined {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** What went wrong with a record: it was not written, or it was and the older ones were not deleted. */
export interface RecordProblem {
  readonly written: boolean;
  readonly reason: string;
}

/** The warning for a record problem: `The switch is done, but …` / `… and recorded, but …`. */
export function recordWarning(done: string, problem: RecordProblem): string {
  return problem.written ? `${done} and recorded, but ${problem.reason}.` : `${done}, but its record was not written in the cluster (${problem.reason})`;
}

/** Writes one record, then prunes the older ones of its kind; resolves with undefined, or with what went wrong. */
export async function writeRecord(namespace: string, app: string, record: ReleaseRecord): Promise<RecordProblem | undefined> {
  const at = new Date(record.at);
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: switchRecordName(app, at, randomBytes(2).toString("hex")),
      namespace,
      labels: { app, [RECORD_LABEL]: record.kind },
    },
    data: { "record.json": JSON.stringify(record) },
  };
  try {
    await kubectl(["create", "-f", "-", "-o", "name"], JSON.stringify(configMap));
  } catch (error) {
    return { written: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const pruned = await pruneRecords(namespace, app, record.kind);
  return pruned === undefined ? undefined : { written: true, reason: pruned };
}

/** The records in these ConfigMaps (as `kubectl get` prints them), oldest first; unreadable ones skipped. */
export function recordsOf(configMaps: readonly any[]): ReleaseRecord[] {
  const records: ReleaseRecord[] = [];
  for (const configMap of configMaps) {
    try {
      const record = JSON.parse(configMap?.data?.["record.json"] ?? "");
      if ((record?.kind === "switch" || record?.kind === "watch") && typeof record.at === "string") records.push(record);
    } catch {
      // not one of ours, or damaged: skip it
    }
  }
  return records.sort((a, b) => a.at.localeCompare(b.at));
}
