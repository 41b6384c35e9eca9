/**
 * `backup`: streams `pg_dump -Fc` into an S3 multipart upload and writes a manifest last.
 *
 * - Compression (`--compression`): by default pg_dump writes its custom format uncompressed and a
 *   zstd process beside it compresses (kernel pipes between them; node hashes and uploads only the
 *   compressed bytes). pg_dump's own gzip runs on one core and is the slowest stage of a dump; zstd
 *   is faster per byte and uses the other core. The manifest says `compression: "zstd"`; without
 *   that field (`--compression gzip`, and every older backup) the object is pg_dump's own output.
 *
 * - Refuses when pg_dump's major version is older than the server's (such dumps fail, and peers'
 *   backups silently stopped for weeks that way).
 * - No temp file: memory is bounded by part size x (queue size + 1).
 * - The AWS SDK is loaded after pg_dump started (it takes about a tenth of a second, which then
 *   overlaps pg_dump's catalog reads instead of delaying them).
 * - Row counts per table are taken in the same snapshot pg_dump uses: this job opens a REPEATABLE
 *   READ transaction, exports its snapshot, hands it to `pg_dump --snapshot` and counts rows in that
 *   transaction while pg_dump runs. restore-check compares a restore against these counts. Exact
 *   counts are a second full scan of every table competing with pg_dump for CPU; `--no-row-counts`
 *   skips them (the manifest's `tables` is then null and restores say they cannot compare counts).
 * - The dump object only completes after pg_dump exited 0 and the counts are in; any failure or
 *   SIGTERM before that aborts the multipart upload, so no object appears under the final key, and
 *   the manifest (written last) is absent. A signal after the dump completed lets the manifest write
 *   finish (it is one small PUT), which is quicker and safer than undoing: the backup is then
 *   complete and recorded, and the job exits 0.
 * - Every S3 and CloudWatch request has a connect and an idle timeout. At a signal, part uploads in
 *   flight get DRAIN_MS to finish (so aborting the upload leaves no part behind), and aborting the
 *   upload has CLEANUP_MS.
 */
import { spawn } from "node:child_process";
import { pipeline } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { JobError, log, warn } from "../log";
import { CommandUsage, FlagSpecs, isTrue, parseFlags, required, wholeNumber } from "../flags";
import { Interruption, listenForSignals } from "../backup/interruption";
import type { Manifest } from "../backup/manifest";
import { MANIFEST_FORMAT, writeManifest } from "../backup/manifestWrite";
import { Meter, round } from "../backup/meter";
import { backupMetricData, parseDimensions, publishBackupMetrics } from "../backup/metrics";
import {
  checkDatabaseUrl,
  connect,
  countRows,
  databaseName,
  describeUrl,
  libpqConnection,
  listTables,
  serverVersion,
  toolVersion,
} from "../backup/postgres";
import { DEFAULT_ZSTD_LEVEL, ZSTD, ZstdProcess, startZstd, zstdVersion } from "../backup/zstd";
import { S3_FLAGS, S3Settings, dumpKey, encryptionParams, manifestKey, s3Client, s3ErrorText, s3SettingsFrom, stampOf } from "../backup/s3";

const COMMAND = "backup";

export const BACKUP_FLAGS = {
  ...S3_FLAGS,
  "database-url": { env: "DATABASE_URL", help: "PostgreSQL URL of the database to back up" },
  name: { env: "BACKUP_NAME", help: "backup name in the object keys, such as `scheduled` or `web-backup-pre-<hash>` (default `scheduled`)" },
  "pg-dump": { env: "PG_DUMP", help: "pg_dump executable (default `pg_dump` on PATH)" },
  compression: {
    env: "BACKUP_COMPRESSION",
    help: "`zstd` (default): pg_dump writes uncompressed and a zstd process compresses beside it; `gzip`: pg_dump's own compression, the format older backups have",
  },
  compress: { env: "BACKUP_COMPRESS", help: `compression level: zstd 1-19 (default ${DEFAULT_ZSTD_LEVEL}), gzip 0-9 (default pg_dump's)` },
  zstd: { env: "ZSTD", help: "zstd executable (default `zstd` on PATH)" },
  "part-size-mb": { env: "BACKUP_PART_SIZE_MB", help: "multipart part size in MB, 5-512 (default 8); memory use is about part size x (queue size + 2)" },
  "queue-size": { env: "BACKUP_QUEUE_SIZE", help: "parts uploaded in parallel, 1-16 (default 4)" },
  "progress-seconds": { env: "BACKUP_PROGRESS_SECONDS", help: "a progress line at least this often (default 10)" },
  "progress-bytes": { env: "BACKUP_PROGRESS_BYTES", help: "also a progress line after every this many bytes (default off)" },
  "metrics-namespace": { env: "BACKUP_METRICS_NAMESPACE", help: "CloudWatch namespace to publish backup metrics to (default off)" },
  "metrics-dimensions": { env: "BACKUP_METRICS_DIMENSIONS", help: "metric dimensions, such as `App=web,Stack=production` (default `Prefix=<prefix>`)" },
  "cloudwatch-endpoint": { env: "CLOUDWATCH_ENDPOINT", help: "CloudWatch endpoint URL (default AWS's)" },
  "no-row-counts": {
    env: "BACKUP_NO_ROW_COUNTS",
    boolean: true,
    help: "skip the exact per-table row counts (a second scan of every table while pg_dump runs); restore-check then cannot compare row counts and logs that it skipped them",
  },
} as const satisfies FlagSpecs;

const USAGE: CommandUsage = {
  summary: "Streams pg_dump of the database into an S3 multipart upload, then writes the backup's manifest.",
  notes: ["exit codes: 0 the backup and its manifest are written, 1 failed (one error line says why), 2 bad argument, 143/130 stopped by SIGTERM/SIGINT"],
};

const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

type Compression = typeof ZSTD | "gzip";

export interface BackupOptions {
  readonly databaseUrl: string;
  readonly name: string;
  readonly s3: S3Settings;
  readonly pgDump: string;
  readonly compression: Compression;
  /** Level for the chosen compression; undefined for gzip means pg_dump's default. */
  readonly compress?: number;
  readonly zstd: string;
  readonly partSize: number;
  readonly queueSize: number;
  readonly progressMs: number;
  readonly progressBytes: number;
  readonly metricsNamespace?: string;
  readonly metricsDimensions: Readonly<Record<string, string>>;
  readonly cloudwatchEndpoint?: string;
  /** Count every table's rows in pg_dump's snapshot, for restore-check to compare. */
  readonly rowCounts: boolean;
}

export function backupOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BackupOptions {
  const values = parseFlags(COMMAND, BACKUP_FLAGS, argv, env, USAGE);
  const databaseUrl = required(COMMAND, BACKUP_FLAGS, values, "database-url", "postgres://user:password@host:5432/app");
  checkDatabaseUrl(COMMAND, "database-url", databaseUrl);
  const name = values.name ?? "scheduled";
  if (!NAME.test(name)) {
    throw new JobError(`${COMMAND}: \`--name\` is \`${name}\`: use lowercase letters, digits, \`.\`, \`_\`, \`-\` (at most 100), such as \`scheduled\``, 2);
  }
  const compression = values.compression ?? ZSTD;
  if (compression !== ZSTD && compression !== "gzip") {
    throw new JobError(`${COMMAND}: \`--compression\` is \`${compression}\`: use \`zstd\` (the default) or \`gzip\` (pg_dump's own, slower)`, 2);
  }
  return {
    databaseUrl,
    name,
    s3: s3SettingsFrom(COMMAND, values),
    pgDump: values["pg-dump"] ?? "pg_dump",
    compression,
    compress:
      compression === ZSTD
        ? wholeNumber(COMMAND, "compress", values.compress, DEFAULT_ZSTD_LEVEL, 1, 19)
        : values.compress === undefined
          ? undefined
          : wholeNumber(COMMAND, "compress", values.compress, 0, 0, 9),
    zstd: values.zstd ?? "zstd",
    partSize: wholeNumber(COMMAND, "part-size-mb", values["part-size-mb"], 8, 5, 512) * 1024 * 1024,
    queueSize: wholeNumber(COMMAND, "queue-size", values["queue-size"], 4, 1, 16),
    progressMs: wholeNumber(COMMAND, "progress-seconds", values["progress-seconds"], 10, 1, 3600) * 1000,
    progressBytes: wholeNumber(COMMAND, "progress-bytes", values["progress-bytes"], 0, 0, Number.MAX_SAFE_INTEGER),
    metricsNamespace: values["metrics-namespace"],
    metricsDimensions: metricsDimensionsFrom(values["metrics-dimensions"], s3SettingsFrom(COMMAND, values).prefix),
    cloudwatchEndpoint: values["cloudwatch-endpoint"],
    rowCounts: !isTrue(values["no-row-counts"]),
  };
}

function metricsDimensionsFrom(raw: string | undefined, prefix: string): Record<string, string> {
  if (raw === undefined) return { Prefix: prefix };
  const parsed = parseDimensions(raw);
  if (!parsed) throw new JobError(`${COMMAND}: \`--metrics-dimensions\` is \`${raw}\`: use \`Name=value,Name=value\`, such as \`App=web,Stack=production\``, 2);
  return parsed;
}

export async function run(argv: string[]): Promise<number> {
  await backup(backupOptions(argv), listenForSignals());
  return 0;
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter(Boolean).pop() ?? "no output";
}

async function backup(options: BackupOptions, interruption: Interruption): Promise<Manifest> {
  const { s3 } = options;
  const started = new Date();
  const stamp = stampOf(started);
  const key = dumpKey(s3.prefix, stamp, options.name);
  log("backup.started", { name: options.name, database: describeUrl(options.databaseUrl), bucket: s3.bucket, key });

  // `pg_dump --version` and connecting are independent: overlapping them shortens every run. A
  // missing pg_dump is still the error reported first.
  const connecting = connect(options.databaseUrl, "database to back up");
  connecting.catch(() => undefined); // reported when awaited below
  let pgDump;
  let zstd: string | undefined;
  try {
    [pgDump, zstd] = await Promise.all([
      toolVersion(options.pgDump),
      options.compression === ZSTD ? zstdVersion(options.zstd) : undefined,
    ]);
    interruption.check("before connecting; nothing was uploaded");
  } catch (error) {
    connecting.then((db) => db.end()).catch(() => undefined);
    throw error;
  }
  const db = await connecting;
  let client: S3Client | undefined;
  try {
    const server = await serverVersion(db);
    if (!(pgDump.major >= server.major)) {
      throw new JobError(
        `refusing to back up: ${options.pgDump} is \`${pgDump.text}\` (major ${pgDump.major}) but the server is PostgreSQL ${server.text} (major ${server.major}); a pg_dump older than the server cannot dump it: use a jobs image with PostgreSQL ${server.major} client tools or newer`,
      );
    }
    log("backup.versions", { server: server.text, pgDump: pgDump.text, ...(zstd ? { zstd } : {}) });

    const connection = libpqConnection(options.databaseUrl);
    const args = ["--format=custom", "--no-password", `--dbname=${connection.dbname}`];
    let tables: string[] | undefined;
    if (options.rowCounts) {
      // One snapshot for pg_dump and for the row counts. JIT compiling a count(*) costs more CPU
      // than it saves, and the CPU is pg_dump's.
      await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      await db.query("SET LOCAL jit = off");
      const snapshot = (await db.query<{ id: string }>("SELECT pg_export_snapshot() AS id")).rows[0].id;
      tables = await listTables(db);
      args.push(`--snapshot=${snapshot}`);
      log("backup.snapshot", { snapshot, tables: tables.length });
    } else {
      log("backup.row-counts-skipped", { reason: "--no-row-counts: the manifest has no row counts, so restore-check cannot compare them" });
    }
    interruption.check("before pg_dump started; nothing was uploaded");

    let compressor: ZstdProcess | undefined;
    if (options.compression === ZSTD) {
      args.push("--compress=0");
      compressor = startZstd(options.zstd, { level: options.compress! }, ["pipe", "pipe", "pipe"]);
    } else if (options.compress !== undefined) {
      args.push(`--compress=${options.compress}`);
    }
    const child = spawn(options.pgDump, args, {
      env: { ...process.env, ...connection.env },
      stdio: ["ignore", compressor ? compressor.child.stdin! : "pipe", "pipe"],
    });
    // pg_dump holds the pipe into zstd now: closing ours lets zstd see the end when pg_dump exits.
    compressor?.child.stdin!.destroy();
    const output = compressor ? compressor.child.stdout! : child.stdout!;
    const killAll = (signal: NodeJS.Signals) => {
      child.kill(signal);
      compressor?.child.kill(signal);
    };
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, error }));
      child.once("close", (code, signal) => resolve({ code, signal }));
    });

    // The first failure wins; it kills pg_dump and errors the upload body so the upload aborts.
    let cause: Error | undefined;
    const meter: Meter = new Meter({
      event: "backup.progress",
      intervalMs: options.progressMs,
      everyBytes: options.progressBytes,
      beforeEnd: async () => {
        try {
          // A failed zstd makes pg_dump fail too (a broken pipe): zstd's line says why.
          const zstdFailure = await compressor?.failure;
          if (zstdFailure) throw new JobError(zstdFailure.message);
          const result = await exited;
          if (result.error) throw new JobError(`cannot run ${options.pgDump}: ${result.error.message}`);
          if (result.code !== 0) {
            throw new JobError(`pg_dump failed (${result.signal ? `signal ${result.signal}` : `exit ${result.code}`}): ${lastLine(stderr)}`);
          }
          tableRows = counting ? await counting : null;
        } catch (error) {
          // The stream ends with this error and the upload aborts: it is the failure to report.
          cause ??= error as Error;
          throw error;
        }
      },
    });
    const fail = (error: Error) => {
      if (cause) return;
      cause = error;
      killAll("SIGTERM");
      meter.destroy(error);
    };
    let tableRows: Record<string, number> | null = null;
    const counting = tables ? countRows(db, tables) : undefined;
    counting?.catch((error: Error) => fail(new JobError(`counting rows failed: ${error.message}`)));
    pipeline(output, meter, () => undefined);
    interruption.whenSignalled(() => fail(interruption.error(`after ${meter.bytes} bytes`)));

    try {
      const { Upload } = await import("@aws-sdk/lib-storage");
      client = s3Client(s3, () => interruption.uploadRequestSignal());
      const upload = new Upload({
        client,
        params: { Bucket: s3.bucket, Key: key, Body: meter, ContentType: "application/octet-stream", ...encryptionParams(s3) },
        partSize: options.partSize,
        queueSize: options.queueSize,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (error) {
      killAll("SIGKILL");
      const exitCode = cause instanceof JobError ? cause.exitCode : 1;
      // A part request the signal ended is part of the same failure; the upload was aborted after it.
      if (cause && (error === cause || interruption.isCancelled(error))) {
        throw new JobError(`${cause.message}; the multipart upload was aborted and no manifest was written`, exitCode);
      }
      if (cause) {
        throw new JobError(
          `${cause.message}; aborting the multipart upload also failed (${s3ErrorText(error)}): the bucket's lifecycle rule removes incomplete uploads after 1 day`,
          exitCode,
        );
      }
      throw new JobError(`upload to s3://${s3.bucket}/${key} failed after ${meter.bytes} bytes: ${s3ErrorText(error)}; the multipart upload was aborted and no manifest was written`);
    } finally {
      if (tables) await db.query("COMMIT").catch(() => undefined);
    }

    // The dump is complete: from here a signal waits for the manifest write.
    interruption.defer();
    log("backup.uploaded", { key, bytes: meter.bytes });
    const finished = new Date();
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      name: options.name,
      key,
      bytes: meter.bytes,
      sha256: meter.digest(),
      database: databaseName(options.databaseUrl),
      serverVersion: server.text,
      pgDumpVersion: pgDump.text,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationSeconds: round((finished.getTime() - started.getTime()) / 1000),
      tables: tableRows,
      ...(options.compression === ZSTD ? { compression: ZSTD } : {}),
    };
    const manifestAt = manifestKey(s3.prefix, stamp, options.name);
    try {
      await writeManifest(client!, s3, manifestAt, manifest);
    } catch (error) {
      throw new JobError(`the dump s3://${s3.bucket}/${key} was uploaded but writing its manifest failed: ${s3ErrorText(error)}; without a manifest the dump is ignored, run the backup again`);
    }
    log("backup.succeeded", {
      manifest: manifestAt,
      key,
      bytes: manifest.bytes,
      sha256: manifest.sha256,
      tables: tableRows ? Object.keys(tableRows).length : null,
      seconds: manifest.durationSeconds,
      mbPerSecond: round(manifest.bytes / 1e6 / Math.max(manifest.durationSeconds, 0.001)),
      ...(interruption.signal ? { note: `${interruption.signal} arrived after the dump completed; the manifest was written first` } : {}),
    });

    if (options.metricsNamespace) {
      // The backup itself is complete: failing now would make a pre-migration Job block the release
      // and re-run the whole dump. A missing metric is what the backup-age alarm exists to notice.
      try {
        const target = {
          namespace: options.metricsNamespace,
          region: s3.region,
          endpoint: options.cloudwatchEndpoint,
          http: s3,
          signalFor: () => interruption.requestSignal(),
        };
        await publishBackupMetrics(target, backupMetricData(manifest, options.metricsDimensions));
        log("backup.metrics-published", { namespace: options.metricsNamespace });
      } catch (error) {
        warn("backup.metrics-failed", {
          namespace: options.metricsNamespace,
          error: `the backup ${manifestAt} is complete, but publishing CloudWatch metrics failed: ${s3ErrorText(error)}; the backup-age alarm fires if no later run publishes them`,
        });
      }
    }
    return manifest;
  } finally {
    client?.destroy();
    await db.end().catch(() => undefined);
  }
}
