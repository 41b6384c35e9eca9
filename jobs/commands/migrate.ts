/**
 * `migrate [--dir DIR] [--phase expand|contract] [--dry-run] [--lock-timeout SECONDS] [--ddl-lock-timeout SECONDS]`
 *   applies the pending migrations of one phase (DATABASE_URL from the environment).
 * `migrate lint [--dir DIR]`
 *   checks every file against the expand lint without touching a database.
 */
import { ParseArgsConfig, parseArgs } from "node:util";
import { JobError, log } from "../log";
import { databaseTarget } from "../migrate/connect";
import { MigrationSetError, PHASES, Phase, readMigrations } from "../migrate/files";
import { lintMigrations } from "../migrate/lint";
import { migrate } from "../migrate/runner";

const DEFAULT_DIR = "migrations";
const DEFAULT_LOCK_TIMEOUT_SECONDS = 300;
const DEFAULT_DDL_LOCK_TIMEOUT_SECONDS = 10;

function flags(argv: string[], options: NonNullable<ParseArgsConfig["options"]>) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw new JobError(`${(error as Error).message}; usage: migrate [lint] [--dir DIR] [--phase expand|contract] [--dry-run] [--lock-timeout SECONDS] [--ddl-lock-timeout SECONDS]`, 2);
  }
}

function lint(argv: string[]): number {
  const values = flags(argv, { dir: { type: "string" } });
  const dir = (values.dir as string | undefined) ?? process.env.MIGRATIONS_DIR ?? DEFAULT_DIR;
  let files;
  try {
    files = readMigrations(dir);
  } catch (error) {
    if (error instanceof MigrationSetError) throw new JobError(error.message);
    throw error;
  }
  const findings = lintMigrations(files);
  for (const f of findings) log("migrate.lint.finding", { file: f.file, line: f.line, rule: f.rule, message: f.message });
  if (findings.length > 0) {
    throw new JobError(`lint found ${findings.length} problem(s) in ${dir}; see the migrate.lint.finding lines`);
  }
  log("migrate.lint.clean", { dir, files: files.length });
  return 0;
}

function seconds(value: unknown, flag: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value === "" || !Number.isFinite(parsed) || parsed < min) {
    throw new JobError(`${flag} is \`${String(value)}\`: must be a number of seconds ≥ ${min}, such as ${fallback}`, 2);
  }
  return parsed;
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === "lint") return lint(argv.slice(1));

  const values = flags(argv, {
    dir: { type: "string" },
    phase: { type: "string" },
    "dry-run": { type: "boolean" },
    "lock-timeout": { type: "string" },
    "ddl-lock-timeout": { type: "string" },
  });
  const phase = (values.phase as string | undefined) ?? "expand";
  if (!PHASES.includes(phase as Phase)) {
    throw new JobError(`--phase is \`${phase}\`: must be \`expand\` or \`contract\``, 2);
  }
  const lockTimeoutSeconds = seconds(values["lock-timeout"], "--lock-timeout", DEFAULT_LOCK_TIMEOUT_SECONDS, 1);
  const ddlLockTimeoutSeconds = seconds(values["ddl-lock-timeout"], "--ddl-lock-timeout", DEFAULT_DDL_LOCK_TIMEOUT_SECONDS, 0);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    throw new JobError("DATABASE_URL is not set: export the PostgreSQL connection URL, e.g. `DATABASE_URL=postgres://user@host:5432/db`", 2);
  }
  databaseTarget(databaseUrl);
  await migrate({
    databaseUrl,
    dir: (values.dir as string | undefined) ?? process.env.MIGRATIONS_DIR ?? DEFAULT_DIR,
    phase: phase as Phase,
    dryRun: values["dry-run"] === true,
    lockTimeoutSeconds,
    ddlLockTimeoutSeconds,
  });
  return 0;
}
