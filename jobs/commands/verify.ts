/**
 * `verify --spec FILE` (DATABASE_URL from the environment): checks the database's schema against an
 * expected-schema spec, prints one `verify.check` line per check, and exits 1 when a required check fails.
 */
import { CommandUsage, FlagSpecs, parseFlags, required } from "../flags";
import { JobError, log, warn } from "../log";
import { CONNECT_TIMEOUT_SECONDS, connectDatabase, databaseTarget } from "../migrate/connect";
import { runChecks } from "../verify/checks";
import { SpecError, readSpec } from "../verify/spec";

/** The checks read only the catalog: a query this slow means a lost connection or a locked catalog. */
const QUERY_TIMEOUT_MS = 60_000;

const COMMAND = "verify";

export const VERIFY_FLAGS = {
  spec: { env: "VERIFY_SPEC", value: "FILE", help: "the expected-schema spec, such as migrations/schema.yaml" },
} as const satisfies FlagSpecs;

const USAGE: CommandUsage = {
  synopsis: ["cli verify --spec FILE"],
  summary: "Checks the schema of DATABASE_URL against an expected-schema spec (JSON or YAML), one verify.check line per check.",
  notes: [
    `environment: DATABASE_URL=postgres://user:password@host:5432/database (add ?connect_timeout=SECONDS to change the ${CONNECT_TIMEOUT_SECONDS} s default)`,
    "exit codes: 0 every required check passed, 1 a required check failed or the database could not be read, 2 bad argument",
  ],
};

export async function run(argv: string[]): Promise<number> {
  const values = parseFlags(COMMAND, VERIFY_FLAGS, argv, process.env, USAGE);
  const specFile = required(COMMAND, VERIFY_FLAGS, values, "spec", "migrations/schema.yaml");
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    throw new JobError("DATABASE_URL is not set: export the PostgreSQL connection URL, e.g. `DATABASE_URL=postgres://user@host:5432/db`", 2);
  }
  databaseTarget(databaseUrl);
  let spec;
  try {
    spec = readSpec(specFile);
  } catch (error) {
    if (error instanceof SpecError) throw new JobError(error.message, 2);
    throw error;
  }

  const client = await connectDatabase(databaseUrl, "bluegreen-verify", { queryTimeoutMs: QUERY_TIMEOUT_MS });
  let results;
  try {
    results = await runChecks(client, spec);
  } catch (error) {
    if (error instanceof Error && error.message === "Query read timeout") {
      throw new JobError(`a catalog query got no answer within ${QUERY_TIMEOUT_MS / 1000} s: check the connection to the server and whether a long transaction holds a lock on the catalog, then run verify again`);
    }
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }

  for (const r of results) {
    const fields = { check: r.check, status: r.ok ? "pass" : "fail", required: r.required, expected: r.expected, actual: r.actual };
    if (r.ok || r.required) log("verify.check", fields);
    else warn("verify.check", fields);
  }
  const failed = results.filter((r) => !r.ok && r.required);
  const optionalFailed = results.filter((r) => !r.ok && !r.required).length;
  if (failed.length > 0) {
    throw new JobError(`${failed.length} of ${results.length} required schema check(s) failed, first: ${failed[0].check} (expected ${JSON.stringify(failed[0].expected)}, found ${JSON.stringify(failed[0].actual)})`);
  }
  log("verify.passed", { checks: results.length, optionalFailed });
  return 0;
}
