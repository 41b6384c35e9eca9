/**
 * What a notice looks like to its receivers: a one-line summary, a Slack message (incoming webhook
 * JSON: the summary as `text` for notifications, and `blocks` with the facts), and the facts as
 * plain JSON for everything else (SNS subscribers, scripts).
 *
 * The JSON form is a stable shape, `version` 1:
 * ```
 * { "version": 1, "kind": "switch", "id": "…16 hex…", "at": "2025-01-31T12:00:00.000Z",
 *   "summary": "shop-staging: traffic switched blue → green (rollback --apply by alice)",
 *   "stack": "staging", "app": "shop", "commit"?: "…", "who"?: "…",
 *   …the kind's own facts, named as in notice.ts (switch: from, to, images, how) }
 * ```
 * A field is added under the same version only as an optional one; a rename or a removal bumps it.
 *
 * Every value a notice carries may be hostile (an image reference, a failure reason or a login is
 * text someone else chose). In Slack's mrkdwn `&`, `<` and `>` become entities, so `<!channel>`,
 * `<@U123>` and `<https://x|y>` show as typed instead of pinging or linking; a backtick becomes
 * `ˋ` (U+02CB), so no value opens or closes a code span; `@channel`, `@here` and `@everyone` get a
 * zero-width space after the `@`; and every text object is `verbatim`, so Slack links nothing by
 * itself. Values are shown inside code spans, where `*`, `_` and `~` are literal.
 */
import type { Notice, ServiceImages } from "./notice";

/** The JSON form's version (see the file comment). */
export const NOTICE_JSON_VERSION = 1;

export type NoticeJson = { readonly version: typeof NOTICE_JSON_VERSION; readonly summary: string } & Notice;

interface MrkdwnText {
  readonly type: "mrkdwn";
  readonly text: string;
  readonly verbatim: true;
}

export type SlackBlock =
  | { readonly type: "section"; readonly text: MrkdwnText }
  | { readonly type: "section"; readonly fields: readonly MrkdwnText[] }
  | { readonly type: "context"; readonly elements: readonly MrkdwnText[] };

/** An incoming-webhook message. */
export interface SlackMessage {
  /** The summary, escaped: what a notification shows. */
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

// Slack's limits: a section's text 3000 characters, a field's 2000, at most 10 fields.
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
/** SNS refuses a Subject of 100 characters or more, or one with anything but printable ASCII. */
const SUBJECT_MAX = 99;

/** Who the notice is about as people say it: `shop-staging` (the stack, prefixed with the app unless it already names it). */
export function noticeLabel(app: string, stack: string): string {
  return stack === app || stack.startsWith(`${app}-`) ? stack : `${app}-${stack}`;
}

/** The one-line summary, plain text: `shop-staging: traffic switched blue → green (rollback --apply by alice)`. */
export function noticeSummary(notice: Notice): string {
  const by = notice.who === undefined ? "" : ` (by ${notice.who})`;
  const line = ((): string => {
    switch (notice.kind) {
      case "switch":
        return `traffic switched ${notice.from} → ${notice.to} (${notice.how}${notice.who === undefined ? "" : ` by ${notice.who}`})`;
      case "staged":
        return `staged ${imageList(notice.images)} on ${notice.color}${by}`;
      case "watchVerdict":
        if (notice.verdict === "passed") return `${notice.color} passed its ${notice.minutes}-minute watch${by}`;
        if (notice.verdict === "rolledBack") return `watch rolled back ${notice.color} → ${notice.to} on alarm ${notice.alarm}${by}`;
        return `watch of ${notice.color} failed, ${notice.color} stays live: ${firstLine(notice.reason)}${by}`;
      case "releaseFailed":
        return `release failed: ${notice.workload ? `${notice.workload.kind} ${notice.workload.name}: ` : ""}${firstLine(notice.reason)}${by}`;
      case "maintenance":
        return notice.on
          ? `maintenance on${notice.message ? `: ${firstLine(notice.message)}` : ""}${by}`
          : `maintenance off: traffic back on ${notice.color}${by}`;
    }
  })();
  return oneLine(`${noticeLabel(notice.app, notice.stack)}: ${line}`);
}

/** The facts as plain JSON (see the file comment for the shape). */
export function noticeJson(notice: Notice): NoticeJson {
  const { kind, id, at, ...facts } = notice;
  return { version: NOTICE_JSON_VERSION, kind, id, at, summary: noticeSummary(notice), ...facts } as NoticeJson;
}

/** The SNS Subject: the summary in printable ASCII (`→` as `->`), under 100 characters. */
export function snsSubject(notice: Notice): string {
  const ascii = noticeSummary(notice)
    .replace(/→/g, "->")
    .replace(/[^\x20-\x7e]/g, "?");
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

/** The incoming-webhook message: the summary, then the facts as fields, then the notice's id and time. */
export function slackMessage(notice: Notice): SlackMessage {
  const summary = noticeSummary(notice);
  const fields = factFields(notice).map(([name, value]) => mrkdwn(`*${name}*\n${codeClipped(value, FIELD_MAX - name.length - 3)}`));
  return {
    text: escapeMrkdwn(summary),
    blocks: [
      { type: "section", text: mrkdwn(clipEscaped(summary, SECTION_MAX)) },
      ...(fields.length > 0 ? [{ type: "section" as const, fields: fields.slice(0, 10) }] : []),
      { type: "context", elements: [mrkdwn(`notice ${code(notice.id)} at ${code(notice.at)}`)] },
    ],
  };
}

/** Escapes text for Slack's mrkdwn (see the file comment). */
export function escapeMrkdwn(text: string): string {
  return clipEscaped(text, Number.POSITIVE_INFINITY);
}

/** A value in a code span, escaped. */
function code(value: string): string {
  return `\`${escapeMrkdwn(value)}\``;
}

/** A value as code (a span, or a block when it has several lines), escaped, in at most `max` characters. */
function codeClipped(value: string, max: number): string {
  const fence = value.includes("\n") ? "```" : "`";
  return `${fence}${clipEscaped(value, max - 2 * fence.length)}${fence}`;
}

/**
 * Escapes `text` and cuts it with `…` so that the escaped result has at most `max` characters:
 * cutting after escaping could split an entity (`&am`).
 */
function clipEscaped(text: string, max: number): string {
  const pieces = [...text.replace(/@(?=(?:channel|here|everyone)\b)/gi, "@\u200b")].map((char) =>
    char === "&" ? "&amp;" : char === "<" ? "&lt;" : char === ">" ? "&gt;" : char === "`" ? "\u02cb" : char,
  );
  const whole = pieces.join("");
  if (whole.length <= max) return whole;
  let out = "";
  for (const piece of pieces) {
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/** The facts of a notice as (name, raw value) pairs, in the order they are shown; absent ones left out. */
function factFields(notice: Notice): [string, string][] {
  const fields: [string, string | undefined][] = (() => {
    switch (notice.kind) {
      case "switch":
        return [
          ["Traffic", `${notice.from} → ${notice.to}`],
          ["Images", Object.keys(notice.images).length > 0 ? imagesField(notice.images) : undefined],
          ["How", notice.how],
        ];
      case "staged":
        return [
          ["Color", notice.color],
          ["Images", imagesField(notice.images)],
        ];
      case "watchVerdict":
        return [
          ["Color", notice.color],
          [
            "Verdict",
            notice.verdict === "passed"
              ? `passed after ${notice.minutes} minutes`
              : notice.verdict === "rolledBack"
                ? `rolled back to ${notice.to} on alarm ${notice.alarm}`
                : `failed: ${notice.reason}`,
          ],
        ];
      case "releaseFailed":
        return [
          ["Failed", notice.workload ? `${notice.workload.kind} ${notice.workload.name}` : undefined],
          ["Reason", notice.reason],
        ];
      case "maintenance":
        return [
          ["Traffic", notice.on ? `${notice.color} → maintenance` : `maintenance → ${notice.color}`],
          ["Images", notice.images && Object.keys(notice.images).length > 0 ? imagesField(notice.images) : undefined],
          ["Message", notice.on ? notice.message : undefined],
          ["How", notice.how],
        ];
    }
  })();
  return [...fields, ["Commit", notice.commit], ["Who", notice.who]].filter((f): f is [string, string] => f[1] !== undefined && f[1] !== "");
}

function mrkdwn(text: string): MrkdwnText {
  return { type: "mrkdwn", text, verbatim: true };
}

/** One line per service: `web: ghcr.io/acme/web:1.5.0` (raw; escaped with the field). */
function imagesField(images: ServiceImages): string {
  return Object.entries(images)
    .map(([service, image]) => `${service}: ${image}`)
    .join("\n");
}

/** `web:1.5.0, bff:1.5.0`: each image by its last path segment, a digest cut to 12 digits. */
function imageList(images: ServiceImages): string {
  return Object.values(images)
    .map((image) => image.slice(image.lastIndexOf("/") + 1).replace(/@sha256:([a-f0-9]{12})[a-f0-9]*/, "@sha256:$1"))
    .join(", ");
}

function firstLine(text: string): string {
  return text.trim().split(/\r?\n/, 1)[0] ?? "";
}

/** Control characters and line breaks as spaces: a summary is one line wherever it is shown. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ");
}
