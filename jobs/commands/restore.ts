/**
 * `restore` (for humans, see the README runbook): restores a chosen backup into a target database.
 * Refuses a target that already holds tables unless `--allow-non-empty` (then objects in the dump are
 * dropped and recreated with `--clean --if-exists`). Everything that can be checked is checked before
 * the target is touched: the manifest's schema, pg_restore's version, zstd when the manifest says
 * the dump is zstd-compressed, the target's emptiness, and a first read of the dump that verifies its
 * size and SHA-256 and has pg_restore list its contents (readable, with data for every table the
 * manifest counts rows in). The second read goes into
 * `pg_restore --single-transaction`, pinned to the same object version, so a failed or interrupted
 * restore leaves the target as it was. Row counts can only be compared once that transaction
 * committed: a mismatch then says exactly what the target now holds and how to remove it.
 */
import type { Client } from "pg";
import { JobError, log } from "../log";
import { CommandUsage, FlagSpecs, isTrue, parseFlags, required } from "../flags";
import { listenForSignals } from "../backup/interruption";
import { chooseManifest } from "../backup/manifest";
import { round } from "../backup/meter";
import { checkDatabaseUrl, connect, countRows, databaseName, describeUrl, listTables, majorOf, quoteIdent, toolVersion, userRelationCount } from "../backup/postgres";
import { integrityProblems, rowCountProblems, streamDump } from "../backup/restoreStream";
import { S3_FLAGS, s3Client, s3SettingsFrom } from "../backup/s3";
import { tablesWithoutData } from "../backup/toc";
import { ZSTD, zstdVersion } from "../backup/zstd";

const COMMAND = "restore";

export const RESTORE_FLAGS = {
  ...S3_FLAGS,
  "target-database-url": { env: "RESTORE_TARGET_DATABASE_URL", help: "PostgreSQL URL of the database to restore into" },
  manifest: { help: "manifest key or file name to restore (default the newest; list with `aws s3 ls`)" },
  "allow-non-empty": {
    boolean: true,
    aliases: ["force"],
    help: "restore into a database that already has tables, replacing the dump's objects (--clean --if-exists)",
  },
  "pg-restore": { env: "PG_RESTORE", help: "pg_restore executable (default `pg_restore` on PATH)" },
  zstd: { env: "ZSTD", help: "zstd executable, for backups the manifest says zstd compressed (default `zstd` on PATH)" },
} as const satisfies FlagSpecs;

const USAGE: CommandUsage = {
  summary: "Restores a backup (the newest, or --manifest) into the target database, in one transaction.",
  notes: ["exit codes: 0 restored and row counts match, 1 refused or failed (one error line says why and what the target holds), 2 bad argument, 143/130 stopped by SIGTERM/SIGINT"],
};

const UNTOUCHED = "before touching the target; nothing was restored";

export async function run(argv: string[]): Promise<number> {
  const values = parseFlags(COMMAND, RESTORE_FLAGS, argv, process.env, USAGE);
  const targetUrl = required(COMMAND, RESTORE_FLAGS, values, "target-database-url", "postgres://user:password@host:5432/app_restored");
  checkDatabaseUrl(COMMAND, "target-database-url", targetUrl);
  const s3 = s3SettingsFrom(COMMAND, values);
  const allowNonEmpty = isTrue(values["allow-non-empty"]);
  const pgRestorePath = values["pg-restore"] ?? "pg_restore";
  const zstdPath = values.zstd ?? "zstd";
  const started = Date.now();

  const interruption = listenForSignals();
  const client = s3Client(s3, () => interruption.requestSignal());
  try {
    const { key, manifest } = await interruption.guard(UNTOUCHED, chooseManifest(COMMAND, client, s3, values.manifest));
    const pgRestore = await toolVersion(pgRestorePath);
    const dumpMajor = majorOf(manifest.pgDumpVersion) ?? 0;
    if (!(pgRestore.major >= dumpMajor)) {
      throw new JobError(`${pgRestorePath} is \`${pgRestore.text}\` but the dump was made by \`${manifest.pgDumpVersion}\`: use PostgreSQL ${dumpMajor} client tools or newer`);
    }
    if (manifest.compression === ZSTD) await zstdVersion(zstdPath);

    const target = await connect(targetUrl, "target database");
    try {
      interruption.check(UNTOUCHED);
      const relations = await userRelationCount(target);
      if (relations > 0 && !allowNonEmpty) {
        throw new JobError(
          `refusing to restore into ${describeUrl(targetUrl)}: it is not empty (${relations} relations outside the system schemas); restore into a new database (\`createdb\`), or pass \`--allow-non-empty\` to replace the objects the dump contains`,
          3,
        );
      }
      log("restore.started", { manifest: key, dump: manifest.key, bytes: manifest.bytes, target: describeUrl(targetUrl), backupFinishedAt: manifest.finishedAt });

      const signal = interruption.cancelled;
      const checked = await interruption.guard(
        UNTOUCHED,
        streamDump(client, s3, manifest, "restore.verify-progress", { pgRestore: pgRestorePath, args: ["--list"], zstd: zstdPath }, { signal }),
      );
      const refusals = integrityProblems(manifest, checked);
      if (refusals.length === 0 && checked.restoreError) refusals.push(`pg_restore cannot read the dump: ${checked.restoreError}`);
      if (refusals.length === 0 && manifest.tables) {
        for (const table of tablesWithoutData(manifest.tables, checked.output ?? "")) {
          refusals.push(`the manifest counts ${manifest.tables[table]} rows in ${table} but the dump holds no data for it`);
        }
      }
      if (refusals.length > 0) throw new JobError(`not restoring, the target is untouched: ${refusals.join("; ")}`);
      log("restore.verified", { bytes: checked.bytes, sha256: checked.sha256 });

      const args = ["--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges"];
      if (relations > 0) args.push("--clean", "--if-exists");
      const restored = await interruption.guard(
        "while pg_restore ran: it was stopped before its single transaction committed, so the target is as it was",
        streamDump(client, s3, manifest, "restore.progress", { pgRestore: pgRestorePath, databaseUrl: targetUrl, args, zstd: zstdPath }, { ifMatch: checked.etag, signal }),
      );
      const problems = [...integrityProblems(manifest, restored)];
      if (restored.restoreError) problems.push(`pg_restore failed and rolled back: ${restored.restoreError}`);
      if (problems.length > 0) throw new JobError(`restore of ${key} failed: ${problems.join("; ")}`);

      const committed = `after the restore of ${key} committed, before its row counts were compared: ${describeUrl(targetUrl)} holds the restored backup; compare the counts with the manifest, or run restore-check on it`;
      interruption.check(committed);
      if (manifest.tables) {
        const counts = await interruption.guard(committed, tableCounts(target));
        const compared = relations > 0 ? Object.fromEntries(Object.keys(manifest.tables).filter((t) => t in counts).map((t) => [t, counts[t]])) : counts;
        const mismatches = rowCountProblems(manifest.tables, compared);
        if (mismatches.length > 0) {
          throw new JobError(`restore of ${key} committed but row counts differ: ${mismatches.join("; ")}. ${whatStays(targetUrl, relations, Object.keys(manifest.tables).length)}`);
        }
      } else {
        log("restore.row-counts-skipped", { reason: "the backup was made with --no-row-counts: its manifest has no row counts to compare" });
      }
      log("restore.succeeded", { manifest: key, target: describeUrl(targetUrl), tables: manifest.tables ? Object.keys(manifest.tables).length : null, seconds: round((Date.now() - started) / 1000) });
      return 0;
    } finally {
      await target.end().catch(() => undefined);
    }
  } finally {
    client.destroy();
  }
}

async function tableCounts(target: Client): Promise<Record<string, number>> {
  return countRows(target, await listTables(target));
}

/** What a restore whose counts differ left in the target, and how to remove it. */
function whatStays(targetUrl: string, relationsBefore: number, tables: number): string {
  const where = describeUrl(targetUrl);
  if (relationsBefore === 0) {
    const name = quoteIdent(databaseName(targetUrl));
    return `The restored objects stay in ${where} (the dump's ${tables} tables; it held no relations before, so everything in it came from this restore): to remove them, drop and recreate that database from another database on the server (\`DROP DATABASE ${name}; CREATE DATABASE ${name};\`), or keep it to investigate`;
  }
  return `The dump's ${tables} tables and other objects now stand in ${where} in place of those of the same names, whose previous contents this restore did not keep; the target's other objects are unchanged. To go back, restore the target from a backup taken before this restore`;
}
