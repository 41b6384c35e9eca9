/**
 * `smoke --url <base> --checks <json> [--timeout-seconds 5] [--retries 3] [--backoff-seconds 2]`:
 * the smoke gate's Job. Exit 0 only when every check passed; `--help` for the details.
 */
import { CommandUsage, FlagSpecs, parseFlags, required } from "../flags";
import { JobError } from "../log";
import { SmokeCheck, runSmokeChecks } from "../smoke/runChecks";

const COMMAND = "smoke";

export const SMOKE_FLAGS = {
  url: { value: "URL", help: "base URL of the color to check, such as `http://web-green-preview.production.svc:80`" },
  checks: { value: "JSON", help: 'the checks, a JSON list such as \'[{"path":"/healthz","status":200,"bodyContains":"ok"}]\'' },
  "timeout-seconds": { value: "SECONDS", help: "how long one request may take (default 5)" },
  retries: { value: "N", help: "tries after a check's first failure (default 3)" },
  "backoff-seconds": { value: "SECONDS", help: "wait before the first retry, doubled before each next one (default 2)" },
} as const satisfies FlagSpecs;

const USAGE: CommandUsage = {
  synopsis: ["cli smoke --url URL --checks JSON [--timeout-seconds 5] [--retries 3] [--backoff-seconds 2]"],
  summary: "Sends each check's GET to the color and compares status and body: the smoke gate before traffic switches.",
  notes: ["exit codes: 0 every check passed, 1 a check failed after its retries (one error line says which), 2 bad argument"],
};

function seconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new JobError(`\`--${flag}\` is \`${value}\`: must be a number of seconds ≥ 0`, 2);
  return n;
}

/** Parses `--checks`: a JSON list of `{path, status, bodyContains}`. */
export function parseChecks(value: string | undefined): SmokeCheck[] {
  const usage = `pass a JSON list such as '[{"path":"/healthz","status":200}]'`;
  if (value === undefined) throw new JobError(`\`--checks\` is not set: ${usage}`, 2);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new JobError(`\`--checks\` is \`${value}\`: not JSON; ${usage}`, 2);
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.length > 0 &&
    parsed.every(
      (c) =>
        c !== null &&
        typeof c === "object" &&
        typeof c.path === "string" &&
        c.path.startsWith("/") &&
        Number.isInteger(c.status) &&
        (c.bodyContains === undefined || typeof c.bodyContains === "string"),
    );
  if (!valid) throw new JobError(`\`--checks\` is \`${value}\`: each check needs a \`path\` starting with / and a numeric \`status\`; ${usage}`, 2);
  return parsed as SmokeCheck[];
}

export async function run(argv: string[]): Promise<number> {
  const values = parseFlags(COMMAND, SMOKE_FLAGS, argv, process.env, USAGE);
  const url = required(COMMAND, SMOKE_FLAGS, values, "url", "http://web-green-preview.production.svc:80");
  const retries = Number(values.retries ?? "3");
  if (!Number.isInteger(retries) || retries < 0) throw new JobError(`\`--retries\` is \`${values.retries}\`: must be a whole number ≥ 0`, 2);
  await runSmokeChecks({
    url,
    checks: parseChecks(values.checks),
    timeoutMs: seconds("timeout-seconds", values["timeout-seconds"], 5) * 1000,
    retries,
    backoffMs: seconds("backoff-seconds", values["backoff-seconds"], 2) * 1000,
  });
  return 0;
}
