/**
 * `smoke --url <base> --checks <json> [--timeout-seconds 5] [--retries 3] [--backoff-seconds 2]`:
 * the smoke gate's Job. Exit 0 only when every check passed.
 */
import { parseArgs } from "node:util";
import { JobError } from "../log";
import { SmokeCheck, runSmokeChecks } from "../smoke/runChecks";

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

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        url: { type: "string" },
        checks: { type: "string" },
        "timeout-seconds": { type: "string" },
        retries: { type: "string" },
        "backoff-seconds": { type: "string" },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new JobError(`smoke: ${(error as Error).message}`, 2);
  }
}

export async function run(argv: string[]): Promise<number> {
  const values = parseFlags(argv);
  if (values.url === undefined) throw new JobError("`--url` is not set: pass the color's preview Service URL", 2);
  const retries = Number(values.retries ?? "3");
  if (!Number.isInteger(retries) || retries < 0) throw new JobError(`\`--retries\` is \`${values.retries}\`: must be a whole number ≥ 0`, 2);
  await runSmokeChecks({
    url: values.url,
    checks: parseChecks(values.checks),
    timeoutMs: seconds("timeout-seconds", values["timeout-seconds"], 5) * 1000,
    retries,
    backoffMs: seconds("backoff-seconds", values["backoff-seconds"], 2) * 1000,
  });
  return 0;
}
