/**
 * Applies the pending files of one phase, in version order, under the migration lock. A transactional
 * file and its history row commit together or not at all; a `no-transaction` file runs statement by
 * statement and is recorded after its last statement succeeds and every index it names is valid.
 */
import { Client, DatabaseError } from "pg";
import { JobError, log } from "../log";
import { connectDatabase } from "./connect";
import { MigrationFile, MigrationSetError, Phase, compareVersions, readMigrations } from "./files";
import { AppliedMigration, createHistoryTable, readHistory, recordApplied } from "./history";
import { invalidIndexes } from "./indexes";
import { Finding, lintMigrations } from "./lint";
import { acquireMigrationLock, releaseMigrationLock } from "./lock";
import { lineAt, splitStatements } from "./sql";

export interface MigrateOptions {
  readonly databaseUrl: string;
  readonly dir: string;
  readonly phase: Phase;
  readonly dryRun: boolean;
  /** How long to wait for another runner's lock. */
  readonly lockTimeoutSeconds: number;
  /**
   * How long a transactional file's statement may wait for a table lock (0 = no limit). A DDL
   * statement queued behind a long query blocks every later query on that table, the live color's
   * included; failing fast and retrying is kinder than stalling the live color.
   */
  readonly ddlLockTimeoutSeconds: number;
}

export interface MigrateResult {
  /** Files applied (or, in a dry run, that would be). */
  readonly applied: readonly string[];
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  let files: MigrationFile[];
  try {
    files = readMigrations(options.dir);
  } catch (error) {
    if (error instanceof MigrationSetError) throw new JobError(error.message);
    throw error;
  }
  log("migrate.start", { dir: options.dir, phase: options.phase, dryRun: options.dryRun, files: files.length });

  const client = await connectDatabase(options.databaseUrl, "bluegreen-migrate");
  try {
    await stopWorkWhenClientGoes(client);
    if (!options.dryRun) {
      const started = Date.now();
      await acquireMigrationLock(client, options.lockTimeoutSeconds);
      log("migrate.lock.acquired", { waitedMs: Date.now() - started });
      await createHistoryTable(client);
    }
    const history = await readHistory(client);
    const pending = pendingFiles(files, history, options.phase);

    const findings = lintMigrations(pending);
    if (findings.length > 0) throw lintFailure(findings);

    if (pending.length === 0) {
      log("migrate.up_to_date", { phase: options.phase, applied: history.length });
      return { applied: [] };
    }
    if (options.dryRun) {
      for (const file of pending) {
        log("migrate.would_apply", { version: file.version, name: file.name, checksum: file.checksum, transactional: file.transactional, phase: file.phase });
      }
      log("migrate.dry_run", { phase: options.phase, pending: pending.length, note: "nothing was changed" });
      return { applied: pending.map((f) => f.name) };
    }

    for (const file of pending) await applyFile(client, file, options.ddlLockTimeoutSeconds);
    await releaseMigrationLock(client);
    log("migrate.done", { phase: options.phase, applied: pending.length });
    return { applied: pending.map((f) => f.name) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * PostgreSQL 14+ can notice a vanished client while a query runs; without it a killed runner's
 * backend would finish its statement (and hold the lock) before finding out.
 */
async function stopWorkWhenClientGoes(client: Client): Promise<void> {
  try {
    await client.query("SET client_connection_check_interval = '1s'");
  } catch (error) {
    if (!(error instanceof DatabaseError && error.code === "42704")) throw error;
  }
}

/** Checks the history against the files, then returns this phase's files still to apply. */
export function pendingFiles(files: readonly MigrationFile[], history: readonly AppliedMigration[], phase: Phase): MigrationFile[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const row of history) {
    const file = byName.get(row.name);
    if (!file) {
      throw new JobError(
        `\`${row.name}\` is recorded as applied (version ${row.version}, at ${row.appliedAt.toISOString()}) but is missing from the migrations directory: restore the file; applied migrations are never deleted or renamed`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new JobError(
        `\`${row.name}\` was edited after it was applied: recorded sha256 ${row.checksum}, file sha256 ${file.checksum}; restore the applied content (git checkout) and put the change in a new file`,
      );
    }
  }
  const applied = new Set(history.map((r) => r.name));
  const pending = files.filter((f) => f.phase === phase && !applied.has(f.name));
  const lastApplied = history.filter((r) => r.phase === phase).at(-1);
  for (const file of pending) {
    if (lastApplied && compareVersions(file.version, lastApplied.version) < 0) {
      throw new JobError(
        `\`${file.name}\` is pending but the later ${phase} migration \`${lastApplied.name}\` is already applied: renumber it after version ${lastApplied.version}`,
      );
    }
  }
  // A contract file may run after expand files numbered above it (each release applies its expand files
  // first): those expand files already had to work before it ran, and they only add. README: Expand / contract.
  if (phase === "contract" && pending.length > 0) {
    const expandFirst = files.find((f) => f.phase === "expand" && !applied.has(f.name) && compareVersions(f.version, pending.at(-1)!.version) < 0);
    if (expandFirst) {
      throw new JobError(`expand migration \`${expandFirst.name}\` is not applied yet: run \`migrate --phase expand\` before the contract phase`);
    }
  }
  return pending;
}

function lintFailure(findings: readonly Finding[]): JobError {
  for (const f of findings) log("migrate.lint.finding", { file: f.file, line: f.line, rule: f.rule, message: f.message });
  const first = findings[0];
  return new JobError(
    `lint found ${findings.length} problem(s) in pending migrations, nothing was applied; first: ${first.file}:${first.line} [${first.rule}] ${first.message}`,
  );
}

function describe(error: unknown): string {
  if (error instanceof DatabaseError) return `${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ""}${error.detail ? `; ${error.detail}` : ""}`;
  return error instanceof Error ? error.message : String(error);
}

/** `file:line` of a PostgreSQL error whose 1-based character position is relative to `file.sql[offset..]`. */
function errorLocation(error: unknown, file: MigrationFile, offset: number, fallbackLine?: number): string {
  const position = error instanceof DatabaseError && error.position ? Number(error.position) : NaN;
  const line = Number.isFinite(position) ? lineAt(file.sql, offset + position - 1) : fallbackLine;
  return line === undefined ? file.name : `${file.name}:${line}`;
}

async function applyFile(client: Client, file: MigrationFile, ddlLockTimeoutSeconds: number): Promise<void> {
  log("migrate.file.start", { version: file.version, name: file.name, transactional: file.transactional });
  const started = performance.now();
  if (file.transactional) {
    await client.query("BEGIN");
    try {
      if (ddlLockTimeoutSeconds > 0) await client.query(`SET LOCAL lock_timeout = '${Math.round(ddlLockTimeoutSeconds * 1000)}ms'`);
      await client.query(file.sql);
      await recordApplied(client, file, performance.now() - started);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      const lockWait = error instanceof DatabaseError && error.code === "55P03";
      throw new JobError(
        lockWait
          ? `${errorLocation(error, file, 0)}: ${describe(error)}; a table lock was not granted within ${ddlLockTimeoutSeconds} s (--ddl-lock-timeout) because a long query or transaction holds it; the file was rolled back and the live color was not kept waiting; run migrate again when it ends`
          : `${errorLocation(error, file, 0)}: ${describe(error)}; the file was rolled back, so none of it is applied; fix it and run migrate again`,
      );
    }
  } else {
    const statements = splitStatements(file.sql);
    for (const [index, statement] of statements.entries()) {
      try {
        await client.query(statement.text);
      } catch (error) {
        throw new JobError(
          `${errorLocation(error, file, statement.offset, statement.line)}: ${describe(error)}; this file runs without a transaction and cannot be rolled back: ${index} of ${statements.length} statement(s) before it stay applied and the file is not recorded. ` +
            `A failed CREATE INDEX CONCURRENTLY leaves an INVALID index: drop it with \`DROP INDEX CONCURRENTLY IF EXISTS <name>\`, make the file safe to re-run (IF NOT EXISTS), then run migrate again`,
        );
      }
    }
    const [invalid] = await invalidIndexes(client, statements);
    if (invalid) {
      throw new JobError(
        `${file.name}:${invalid.line}: index ${invalid.index} exists but is INVALID (an earlier build of it was interrupted, and IF NOT EXISTS kept it), so the file is not recorded; run \`DROP INDEX CONCURRENTLY IF EXISTS ${invalid.index};\` then run migrate again`,
      );
    }
    await recordApplied(client, file, performance.now() - started);
  }
  log("migrate.file.applied", {
    version: file.version,
    name: file.name,
    checksum: file.checksum,
    transactional: file.transactional,
    phase: file.phase,
    durationMs: Math.round(performance.now() - started),
  });
}
