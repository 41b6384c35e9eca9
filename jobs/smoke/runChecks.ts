/**
 * The smoke checks: GET each path on a base URL, expecting a status and optionally a body
 * substring, each attempt bounded by a timeout, failed attempts retried with exponential backoff.
 * The first check that still fails after its retries ends the run.
 */
import { JobError, log, warn } from "../log";

export interface SmokeCheck {
  readonly path: string;
  readonly status: number;
  readonly bodyContains?: string;
}

export interface SmokeOptions {
  /** Base URL, such as `http://web-green-preview.web-production.svc:80`. */
  readonly url: string;
  readonly checks: readonly SmokeCheck[];
  readonly timeoutMs: number;
  /** Extra attempts per check after the first. */
  readonly retries: number;
  /** Wait before the first retry; doubles each retry. */
  readonly backoffMs: number;
  /** Injected for tests that count waits; defaults to a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const BODY_EXCERPT = 200;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What is wrong with one attempt, or undefined when it passed. */
async function attempt(url: string, check: SmokeCheck, timeoutMs: number): Promise<string | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let body: string;
  try {
    const response = await fetch(url, { signal, redirect: "manual", headers: { "user-agent": "bluegreen-smoke" } });
    status = response.status;
    body = await response.text();
  } catch (error) {
    if (signal.aborted) return `no answer within ${timeoutMs / 1000} s`;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return `could not connect (${cause?.code ?? cause?.message ?? (error as Error).message})`;
  }
  const excerpt = JSON.stringify(body.length > BODY_EXCERPT ? `${body.slice(0, BODY_EXCERPT)}…` : body);
  if (status !== check.status) return `answered ${status}, expected ${check.status}; body ${excerpt}`;
  if (check.bodyContains !== undefined && !body.includes(check.bodyContains)) {
    return `answered ${status} but the body does not contain ${JSON.stringify(check.bodyContains)}; body ${excerpt}`;
  }
  return undefined;
}

/** Parses and checks the base URL; throws a JobError naming `--url` when it is not http(s). */
export function parseBaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new JobError(
      `\`--url\` is \`${url}\`: not a URL; pass the color's preview Service URL, such as http://web-green-preview.web-production.svc:80`,
      2,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new JobError(`\`--url\` is \`${url}\`: not an http(s) URL; pass the color's preview Service URL, such as http://web-green-preview.web-production.svc:80`, 2);
  }
  return parsed;
}

/** Runs every check; resolves when all pass, throws a JobError naming the failing check otherwise. */
export async function runSmokeChecks(options: SmokeOptions): Promise<void> {
  const base = parseBaseUrl(options.url).href.replace(/\/$/, "");
  const sleep = options.sleep ?? realSleep;
  const attempts = options.retries + 1;

  for (const check of options.checks) {
    const url = `${base}${check.path}`;
    let problem: string | undefined;
    for (let n = 1; n <= attempts; n++) {
      problem = await attempt(url, check, options.timeoutMs);
      if (problem === undefined) {
        log("smoke.check.passed", { url, status: check.status, attempt: n });
        break;
      }
      if (n < attempts) {
        const waitMs = options.backoffMs * 2 ** (n - 1);
        warn("smoke.check.retry", { url, attempt: n, of: attempts, problem, retryInMs: waitMs });
        await sleep(waitMs);
      }
    }
    if (problem !== undefined) {
      throw new JobError(`smoke check GET ${url} failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${problem}`);
    }
  }
  log("smoke.passed", { url: base, checks: options.checks.length });
}
