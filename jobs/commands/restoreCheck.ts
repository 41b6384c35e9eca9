/**
 * `restore-check`: proves the newest backup restores. Finds the newest manifest (every listing page),
 * streams its dump (through `zstd -d` when the manifest says so) into a real `pg_restore` in a fresh
 * scratch database (never `--list`, which passes truncated dumps), verifies size and SHA-256 against
 * the manifest, compares every table's row count, runs the optional `verify` queries, then drops the
 * scratch database. Exit 0 only if all of it held.
 * A backup made with `--no-row-counts` has no counts to compare: the check then skips that step and
 * says so in its log (size, SHA-256, a real pg_restore and the `verify` queries still run).
 *
 * A check killed before it dropped its scratch database (SIGKILL, a lost node) leaves it behind:
 * each check first drops the scratch databases older than the deadline. On SIGTERM the check
 * stops pg_restore, drops its own scratch database and exits 143 with one error line.
 */
import type { Client } from "pg";
import { z } from "zod";
import { JobError, log, warn } from "../log";
import { CommandUsage, FlagSpecs, parseFlags, required, wholeNumber } from "../flags";
import { CLEANUP_MS, Interruption, listenForSignals } from "../backup/interruption";
import { Manifest, chooseManifest } from "../backup/manifest";
import { round } from "../backup/meter";
import {
  checkDatabaseUrl,
  connect,
  countRows,
  describeUrl,
  listTables,
  majorOf,
  queryWithin,
  quoteIdent,
  toolVersion,
  withDatabase,
} from "../backup/postgres";
import { integrityProblems, rowCountProblems, streamDump } from "../backup/restoreStream";
import { S3_FLAGS, S3Settings, s3Client, s3SettingsFrom } from "../backup/s3";
import { ZSTD, zstdVersion } from "../backup/zstd";
import { SCRATCH_LIKE, createdAt, scratchName, staleScratchNames } from "../backup/scratch";

const COMMAND = "restore-check";

export const RESTORE_CHECK_FLAGS = {
  ...S3_FLAGS,
  "scratch-database-url": {
    env: "RESTORE_CHECK_DATABASE_URL",
    help: "URL of a database on the scratch server; the check creates and drops its own database there (needs CREATEDB)",
  },
  manifest: { help: "manifest key or file name to check (default the newest)" },
  "pg-restore": { env: "PG_RESTORE", help: "pg_restore executable (default `pg_restore` on PATH)" },
  zstd: { env: "ZSTD", help: "zstd executable, for backups the manifest says zstd compressed (default `zstd` on PATH)" },
  verify: {
    env: "RESTORE_CHECK_VERIFY",
    help: 'JSON list of checks, each `{"name": "...", "sql": "SELECT ..."}` returning one row whose first column is true',
  },
  "deadline-seconds": {
    env: "RESTORE_CHECK_DEADLINE_SECONDS",
    help: "the longest a check runs, as the Job's activeDeadlineSeconds (default 3600): scratch databases older than this were left by killed checks, and each check drops them first",
  },
} as const satisfies FlagSpecs;

const USAGE: CommandUsage = {
  summary: "Restores the newest backup (or --manifest) into a scratch database, checks it against its manifest, then drops it.",
  notes: ["exit codes: 0 the backup restored and every check held, 1 a check or the restore failed (one error line says why), 2 bad argument, 143/130 stopped by SIGTERM/SIGINT"],
};

export const verifySpecSchema = z.array(z.strictObject({ name: z.string().min(1), sql: z.string().min(1) }));
export type VerifySpec = z.infer<typeof verifySpecSchema>;

export function parseVerifySpec(command: string, raw: string | undefined): VerifySpec {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new JobError(`${command}: \`--verify\` is not JSON: use \`[{"name": "users exist", "sql": "SELECT count(*) > 0 FROM users"}]\``, 2);
  }
  const result = verifySpecSchema.safeParse(parsed);
  if (!result.success) {
    throw new JobError(`${command}: \`--verify\` must be a list of \`{"name": "...", "sql": "..."}\` (problem at \`${result.error.issues[0].path.join(".") || "top level"}\`)`, 2);
  }
  return result.data;
}

/** DROP DATABASE waits up to 5 s for other sessions to end, then removes the files. */
const DROP_TIMEOUT_MS = 60_000;

export async function run(argv: string[]): Promise<number> {
  const values = parseFlags(COMMAND, RESTORE_CHECK_FLAGS, argv, process.env, USAGE);
  const scratchUrl = required(COMMAND, RESTORE_CHECK_FLAGS, values, "scratch-database-url", "postgres://restore:password@scratch-db:5432/postgres");
  checkDatabaseUrl(COMMAND, "scratch-database-url", scratchUrl);
  const s3 = s3SettingsFrom(COMMAND, values);
  const verify = parseVerifySpec(COMMAND, values.verify);
  const deadlineMs = wholeNumber(COMMAND, "deadline-seconds", values["deadline-seconds"], 3600, 1, 7 * 24 * 3600) * 1000;
  const pgRestorePath = values["pg-restore"] ?? "pg_restore";
  const zstdPath = values.zstd ?? "zstd";
  const started = Date.now();

  const interruption = listenForSignals();
  const client = s3Client(s3, () => interruption.requestSignal());
  try {
    // Independent look-ups, run together: each is a fixed cost of every check.
    const [{ key, manifest }, pgRestore] = await interruption.guard(
      "before creating a scratch database",
      Promise.all([chooseManifest(COMMAND, client, s3, values.manifest), toolVersion(pgRestorePath)]),
    );
    log("restore-check.started", { manifest: key, dump: manifest.key, bytes: manifest.bytes, backupFinishedAt: manifest.finishedAt });

    const dumpMajor = majorOf(manifest.pgDumpVersion) ?? 0;
    if (!(pgRestore.major >= dumpMajor)) {
      throw new JobError(`${pgRestorePath} is \`${pgRestore.text}\` but the dump was made by \`${manifest.pgDumpVersion}\`: pg_restore cannot read newer archives; use PostgreSQL ${dumpMajor} client tools or newer`);
    }
    if (manifest.compression === ZSTD) await zstdVersion(zstdPath);

    const admin = await connect(scratchUrl, "scratch database server");
    const problems: string[] = [];
    try {
      interruption.check("before creating a scratch database");
      await dropStaleScratch(admin, deadlineMs);
      interruption.check("before creating a scratch database");
      const scratch = scratchName(new Date());
      await admin.query(`CREATE DATABASE ${quoteIdent(scratch)}`);
      log("restore-check.scratch-created", { database: describeUrl(withDatabase(scratchUrl, scratch)) });
      let failure: unknown;
      try {
        const found = await interruption.guard(
          `while checking in the scratch database ${scratch}`,
          checkInScratch(client, s3, manifest, { pgRestore: pgRestorePath, zstd: zstdPath }, withDatabase(scratchUrl, scratch), verify, interruption),
        );
        problems.push(...found);
      } catch (error) {
        failure = error;
      }
      // Always dropped, signal or not. WITH (FORCE) also ends the sessions of a step a signal abandoned.
      let dropProblem: string | undefined;
      try {
        await queryWithin(admin, `DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`, interruption.signal ? CLEANUP_MS : DROP_TIMEOUT_MS);
        log("restore-check.scratch-dropped", { database: scratch });
      } catch (error) {
        dropProblem = `the scratch database ${scratch} could not be dropped (${(error as Error).message}): the next check drops it once it is older than --deadline-seconds, or drop it by hand`;
      }
      // A failed drop must not hide what the check found, nor the other way round: report both.
      if (failure instanceof JobError) {
        const dropped = dropProblem ?? (interruption.signal ? "it was dropped" : undefined);
        throw dropped ? new JobError(`${failure.message}; ${dropped}`, failure.exitCode) : failure;
      }
      if (failure) throw failure;
      if (dropProblem) problems.push(dropProblem);
    } finally {
      await admin.end().catch(() => undefined);
    }
    if (problems.length > 0) {
      throw new JobError(`restore check of ${key} failed: ${problems.join("; ")}`);
    }
    log("restore-check.succeeded", { manifest: key, bytes: manifest.bytes, tables: manifest.tables ? Object.keys(manifest.tables).length : null, seconds: round((Date.now() - started) / 1000) });
    return 0;
  } finally {
    client.destroy();
  }
}

/** Drops the scratch databases killed checks left behind (older than the deadline). */
async function dropStaleScratch(admin: Client, deadlineMs: number): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [SCRATCH_LIKE]);
  for (const name of staleScratchNames(rows.map((r) => r.datname), new Date(), deadlineMs)) {
    try {
      await queryWithin(admin, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`, DROP_TIMEOUT_MS);
      log("restore-check.stale-dropped", { database: name, createdAt: createdAt(name)!.toISOString() });
    } catch (error) {
      warn("restore-check.stale-drop-failed", { database: name, error: `${(error as Error).message}; drop it by hand` });
    }
  }
}

/** Restores into the scratch database and compares it with the manifest; returns the problems found. */
async function checkInScratch(
  client: ReturnType<typeof s3Client>,
  s3: S3Settings,
  manifest: Manifest,
  tools: { readonly pgRestore: string; readonly zstd: string },
  targetUrl: string,
  verify: VerifySpec,
  interruption: Interruption,
): Promise<string[]> {
  const result = await streamDump(
    client,
    s3,
    manifest,
    "restore-check.progress",
    { ...tools, databaseUrl: targetUrl, args: ["--exit-on-error", "--no-owner", "--no-privileges"] },
    { signal: interruption.cancelled },
  );
  const problems = integrityProblems(manifest, result);
  log("restore-check.restored", { bytes: result.bytes, failed: result.restoreError !== undefined });
  if (result.restoreError) problems.push(`pg_restore into the scratch database failed: ${result.restoreError}`);
  if (problems.length > 0) return problems;

  const scratch = await connect(targetUrl, "scratch database");
  try {
    const tables = await listTables(scratch);
    let rows: number | null = null;
    if (manifest.tables) {
      const counts = await countRows(scratch, tables);
      problems.push(...rowCountProblems(manifest.tables, counts));
      rows = Object.values(counts).reduce((a, b) => a + b, 0);
    } else {
      log("restore-check.row-counts-skipped", { reason: "the backup was made with --no-row-counts: its manifest has no row counts to compare" });
    }
    for (const check of verify) {
      try {
        const { rows } = await scratch.query({ text: check.sql, rowMode: "array" });
        if (rows.length !== 1 || rows[0][0] !== true) {
          problems.push(`verify check \`${check.name}\` returned ${JSON.stringify(rows.slice(0, 3))}, expected one row with true`);
        }
      } catch (error) {
        problems.push(`verify check \`${check.name}\` failed: ${(error as Error).message}`);
      }
    }
    log("restore-check.verified", { tables: tables.length, rows, checks: verify.length });
    return problems;
  } finally {
    await scratch.end().catch(() => undefined);
  }
}
