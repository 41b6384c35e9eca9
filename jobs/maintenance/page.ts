/**
 * The maintenance page's responses: every request gets 503 with `Retry-After` and `Cache-Control:
 * no-store` (a cache must not keep the page once the app is back), as an HTML page for browsers or
 * as JSON for clients that prefer `application/json` (by the Accept header's q-values). Pure: the
 * server (server.ts) only writes what `maintenanceResponse` returns.
 */

/** The two representations of the page. */
export type PageFormat = "html" | "json";

export interface PageContent {
  /** What users read; shown HTML-escaped, or as the JSON `message`. */
  readonly message: string;
  /** Seconds clients are told to wait before trying again. */
  readonly retryAfterSeconds: number;
}

export interface PageResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Empty for HEAD; `content-length` is the GET body's either way. */
  readonly body: Buffer;
}

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

/** The media ranges of an Accept header; malformed entries are skipped, a bad q counts as 1. */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  const ranges: MediaRange[] = [];
  for (const part of header.split(",")) {
    const [range, ...params] = part.split(";").map((s) => s.trim());
    const match = /^([!#$%&'*+.^_`|~0-9a-z-]+)\/([!#$%&'*+.^_`|~0-9a-z-]+)$/i.exec(range);
    if (!match) continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split("=").map((s) => s.trim());
      if (name.toLowerCase() !== "q") continue;
      const parsed = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value ?? "") ? Number(value) : NaN;
      q = Number.isNaN(parsed) ? 1 : parsed;
    }
    ranges.push({ type: match[1].toLowerCase(), subtype: match[2].toLowerCase(), q });
  }
  return ranges;
}

/**
 * The q-value the header gives a media type: that of the most specific range matching it
 * (`type/subtype` over `type/*` over `*\/*`, RFC 9110 12.5.1); 0 when none matches.
 */
export function qualityOf(ranges: readonly MediaRange[], mediaType: string): number {
  const [type, subtype] = mediaType.split("/");
  let best: { specificity: number; q: number } | undefined;
  for (const range of ranges) {
    const specificity = range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === "*" ? 1 : range.type === "*" && range.subtype === "*" ? 0 : -1;
    if (specificity < 0) continue;
    // Of two equally specific ranges, the higher q wins.
    if (!best || specificity > best.specificity || (specificity === best.specificity && range.q > best.q)) best = { specificity, q: range.q };
  }
  return best?.q ?? 0;
}

/**
 * JSON when the client prefers `application/json` to `text/html` by q-value; HTML otherwise
 * (no Accept header, `*\/*`, a tie, a browser's header, or neither acceptable).
 */
export function negotiate(accept: string | undefined): PageFormat {
  const ranges = parseAccept(accept);
  return qualityOf(ranges, "application/json") > qualityOf(ranges, "text/html") ? "json" : "html";
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** "5 minutes", "1 minute", "45 seconds": how long the Retry-After says, for people. */
export function humanDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  return `${Math.round(minutes / 60)} hours`;
}

export function htmlPage(content: PageContent): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Down for maintenance</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#222;line-height:1.5}h1{font-size:1.5rem}</style>
</head>
<body>
<main>
<h1>Down for maintenance</h1>
<p>${escapeHtml(content.message)}</p>
<p>Please try again in about ${humanDuration(content.retryAfterSeconds)}.</p>
</main>
</body>
</html>
`;
}

export function jsonBody(content: PageContent): string {
  return `${JSON.stringify({ status: "maintenance", message: content.message, retryAfterSeconds: content.retryAfterSeconds })}\n`;
}

/** The answer to any request: `method` decides only whether a body is sent. */
export function maintenanceResponse(content: PageContent, method: string | undefined, accept: string | undefined): PageResponse {
  const format = negotiate(accept);
  const body = Buffer.from(format === "json" ? jsonBody(content) : htmlPage(content), "utf8");
  const headers: Record<string, string> = {
    "content-type": format === "json" ? "application/json; charset=utf-8" : "text/html; charset=utf-8",
    "content-length": String(body.length),
    "retry-after": String(content.retryAfterSeconds),
    "cache-control": "no-store",
    // The representation depends on Accept: a shared cache that ignored that would mix them up.
    vary: "Accept",
    "x-content-type-options": "nosniff",
    // The page loads nothing and runs nothing: an escaped message could not, and this makes sure.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  };
  return { status: 503, headers, body: method === "HEAD" ? Buffer.alloc(0) : body };
}
