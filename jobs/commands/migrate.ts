/**
 * `migrate [--dir DIR] [--phase expand|contract] [--dry-run] [--lock-timeout SECONDS] [--ddl-lock-timeout SECONDS]`
 *   applies the pending migrations of one phase (DATABASE_URL from the environment).
 * `migrate lint [--dir DIR]`
 *   checks every file against the expand lint without touching a database.
 * `--help` prints the usage, exit codes included.
 */
import { CommandUsage, FlagSpecs, isTrue, parseFlags } from "../flags";
import { JobError, log } from "../log";
import { CONNECT_TIMEOUT_SECONDS, databaseTarget } from "../migrate/connect";
import { MigrationSetError, PHASES, Phase, readMigrations } from "../migrate/files";
import { lintMigrations } from "../migrate/lint";
import { LOCK_TIMEOUT_EXIT_CODE } from "../migrate/lock";
import { migrate } from "../migrate/runner";

const DEFAULT_DIR = "migrations";
const DEFAULT_LOCK_TIMEOUT_SECONDS = 300;
const DEFAULT_DDL_LOCK_TIMEOUT_SECONDS = 10;

const COMMAND = "migrate";
const LINT_COMMAND = "migrate lint";

const DIR_FLAG = { env: "MIGRATIONS_DIR", value: "DIR", help: `directory of NNN_name.sql files (default \`${DEFAULT_DIR}\`)` } as const;

export const MIGRATE_FLAGS = {
  dir: DIR_FLAG,
  phase: { value: "expand|contract", help: "which files to apply (default expand)" },
  "dry-run": { boolean: true, help: "list the files that would run, change nothing" },
  "lock-timeout": { value: "SECONDS", help: `how long to wait for another runner's lock (default ${DEFAULT_LOCK_TIMEOUT_SECONDS})` },
  "ddl-lock-timeout": { value: "SECONDS", help: `how long a statement may wait for a table lock, 0 = no limit (default ${DEFAULT_DDL_LOCK_TIMEOUT_SECONDS})` },
} as const satisfies FlagSpecs;

export const LINT_FLAGS = { dir: DIR_FLAG } as const satisfies FlagSpecs;

const USAGE: CommandUsage = {
  synopsis: [
    "cli migrate [--dir DIR] [--phase expand|contract] [--dry-run] [--lock-timeout SECONDS] [--ddl-lock-timeout SECONDS]",
    "cli migrate lint [--dir DIR]",
  ],
  summary: "Applies the pending migration files of one phase to DATABASE_URL (`migrate lint --help` for the check without a database).",
  notes: [
    `environment: DATABASE_URL=postgres://user:password@host:5432/database (add ?connect_timeout=SECONDS to change the ${CONNECT_TIMEOUT_SECONDS} s default)`,
    `exit codes: 0 done, 1 failed (one error line says why), 2 bad argument, ${LOCK_TIMEOUT_EXIT_CODE} another runner held the lock for --lock-timeout`,
  ],
};

const LINT_USAGE: CommandUsage = {
  synopsis: ["cli migrate lint [--dir DIR]"],
  summary: "Checks every migration file against the expand-phase lint, without a database; one migrate.lint.finding line per problem.",
  notes: ["exit codes: 0 no finding, 1 findings or unreadable files (one error line says how many), 2 bad argument"],
};

function lint(argv: string[]): number {
  const dir = parseFlags(LINT_COMMAND, LINT_FLAGS, argv, process.env, LINT_USAGE).dir ?? DEFAULT_DIR;
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

  const values = parseFlags(COMMAND, MIGRATE_FLAGS, argv, process.env, USAGE);
  const phase = values.phase ?? "expand";
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
    dir: values.dir ?? DEFAULT_DIR,
    phase: phase as Phase,
    dryRun: isTrue(values["dry-run"]),
    lockTimeoutSeconds,
    ddlLockTimeoutSeconds,
  });
  return 0;
}
