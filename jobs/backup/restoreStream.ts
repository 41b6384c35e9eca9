/**
 * Streams a dump from S3 while counting and hashing it, either into `pg_restore` (stdin) or nowhere
 * (integrity check only). The whole object is always read, even when pg_restore gives up early, so
 * the caller can say whether the dump itself is damaged (size or SHA-256 differ from the manifest).
 * An abort signal (SIGTERM) stops the stream and kills pg_restore at once.
 *
 * A dump whose manifest says `compression: "zstd"` goes through `zstd -d` into pg_restore (a kernel
 * pipe between them); the hash covers the object's bytes as stored, before decompression.
 */
import { spawn } from "node:child_process";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { JobError } from "../log";
import { Manifest } from "./manifest";
import { Meter } from "./meter";
import { libpqConnection } from "./postgres";
import { S3Settings, s3ErrorText } from "./s3";
import { ZSTD, ZstdFailure, ZstdProcess, startZstd } from "./zstd";

export interface StreamResult {
  readonly bytes: number;
  readonly sha256: string;
  /** The object's ETag, to pin a second read to the same bytes. */
  readonly etag?: string;
  /** pg_restore's failure (last stderr line), when it failed. */
  readonly restoreError?: string;
  /** pg_restore's standard output, when it had no database to restore into (`--list`). */
  readonly output?: string;
}

export interface RestoreTarget {
  /** pg_restore executable. */
  readonly pgRestore: string;
  /** Database to restore into; without one, pg_restore's output is kept (for `--list`). */
  readonly databaseUrl?: string;
  /** Extra pg_restore arguments, such as `--single-transaction`. */
  readonly args: readonly string[];
  /** zstd executable, for dumps the manifest says zstd compressed. */
  readonly zstd: string;
}

export interface StreamOptions {
  /** Read exactly this version of the object (the ETag of an earlier read). */
  readonly ifMatch?: string;
  /** Stops the stream and pg_restore; streamDump then throws the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Forwards to `target` honouring backpressure; once the target is gone, drops the rest. */
class ForwardOrDrop extends Writable {
  private gone = false;

  constructor(private readonly target: Writable) {
    super();
    target.on("error", () => {
      this.gone = true;
    });
    target.on("close", () => {
      this.gone = true;
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.gone) return callback();
    if (this.target.write(chunk)) return callback();
    const done = () => {
      this.target.off("drain", done);
      this.target.off("close", done);
      callback();
    };
    this.target.on("drain", done);
    this.target.on("close", done);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.gone) this.target.end();
    callback();
  }
}

export async function streamDump(
  client: S3Client,
  settings: S3Settings,
  manifest: Manifest,
  event: string,
  target?: RestoreTarget,
  options: StreamOptions = {},
): Promise<StreamResult> {
  const { signal } = options;
  let response;
  try {
    response = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: manifest.key, IfMatch: options.ifMatch }));
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new JobError(`cannot read dump s3://${settings.bucket}/${manifest.key}: ${s3ErrorText(error)}`);
  }
  const body = response.Body as Readable;
  const meter = new Meter({ event });
  const stop = () => meter.destroy(signal!.reason);
  signal?.addEventListener("abort", stop, { once: true });
  try {
    if (!target) {
      try {
        await pipeline(body, meter, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw new JobError(`reading dump s3://${settings.bucket}/${manifest.key} failed after ${meter.bytes} bytes: ${s3ErrorText(error)}`);
      }
      return { bytes: meter.bytes, sha256: meter.digest(), etag: response.ETag };
    }
    return await intoPgRestore(settings, manifest, target, body, meter, response.ETag, signal);
  } finally {
    signal?.removeEventListener("abort", stop);
  }
}

async function intoPgRestore(
  settings: S3Settings,
  manifest: Manifest,
  target: RestoreTarget,
  body: Readable,
  meter: Meter,
  etag: string | undefined,
  signal: AbortSignal | undefined,
): Promise<StreamResult> {
  const connection = target.databaseUrl ? libpqConnection(target.databaseUrl) : undefined;
  const dbname = connection ? ["--no-password", `--dbname=${connection.dbname}`] : [];
  const child = spawn(target.pgRestore, [...target.args, ...dbname], {
    env: { ...process.env, ...connection?.env },
    stdio: ["pipe", connection ? "ignore" : "pipe", "pipe"],
  });
  let decompressor: ZstdProcess | undefined;
  if (manifest.compression === ZSTD) {
    decompressor = startZstd(target.zstd, "decompress", ["pipe", child.stdin!, "pipe"]);
    // zstd holds the pipe into pg_restore now: pg_restore sees the end when zstd exits.
    child.stdin!.destroy();
  }
  const input = decompressor ? decompressor.child.stdin! : child.stdin!;
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once("error", (error) => resolve({ code: null, error }));
    child.once("close", (code) => resolve({ code }));
  });
  // pg_restore may still be busy (indexes, constraints) after the last byte: a signal stops it too,
  // and its transaction rolls back when its connection closes.
  const kill = () => {
    child.kill("SIGKILL");
    decompressor?.child.kill("SIGKILL");
  };
  signal?.addEventListener("abort", kill, { once: true });
  let result;
  let zstdFailure: ZstdFailure | undefined;
  try {
    try {
      await pipeline(body, meter, new ForwardOrDrop(input));
    } catch (error) {
      kill();
      await exited;
      if (signal?.aborted) throw signal.reason;
      throw new JobError(`reading dump s3://${settings.bucket}/${manifest.key} failed after ${meter.bytes} bytes: ${s3ErrorText(error)}`);
    }
    result = await exited;
    zstdFailure = await decompressor?.failure;
    // Exit 0 came first: the restore is complete (and committed), signal or not.
    if (signal?.aborted && result.code !== 0) throw signal.reason;
  } finally {
    signal?.removeEventListener("abort", kill);
  }
  const pgRestoreError = result.error
    ? `cannot run ${target.pgRestore}: ${result.error.message}`
    : result.code !== 0
      ? `pg_restore exit ${result.code}: ${stderr.trim().split("\n").filter(Boolean).pop() ?? "no output"}`
      : undefined;
  // A bad zstd frame makes pg_restore fail as well: zstd's line comes first, it says why. When
  // pg_restore stopped reading first (it failed, or `--list` needs only the table of contents), zstd
  // dies writing to the closed pipe: that is not a problem of the dump.
  const restoreError =
    zstdFailure && !zstdFailure.readerGone ? [zstdFailure.message, pgRestoreError].filter(Boolean).join("; then ") : pgRestoreError;
  return { bytes: meter.bytes, sha256: meter.digest(), etag, restoreError, ...(connection ? {} : { output }) };
}

/** Problems of a streamed dump against its manifest: size first, then checksum. */
export function integrityProblems(manifest: Manifest, result: StreamResult): string[] {
  const problems: string[] = [];
  if (result.bytes !== manifest.bytes) {
    problems.push(`dump ${manifest.key} is ${result.bytes} bytes but its manifest says ${manifest.bytes} (truncated or replaced)`);
  }
  if (result.sha256 !== manifest.sha256) {
    problems.push(`dump ${manifest.key} has SHA-256 ${result.sha256} but its manifest says ${manifest.sha256} (corrupted or replaced)`);
  }
  return problems;
}

/** Differences between row counts in a restored database and the manifest's. */
export function rowCountProblems(expected: Readonly<Record<string, number>>, actual: Readonly<Record<string, number>>): string[] {
  const problems: string[] = [];
  for (const table of Object.keys(expected).sort()) {
    if (!(table in actual)) problems.push(`table ${table} is missing after restore (manifest: ${expected[table]} rows)`);
    else if (actual[table] !== expected[table]) problems.push(`table ${table} has ${actual[table]} rows after restore but ${expected[table]} in the manifest`);
  }
  for (const table of Object.keys(actual).sort()) {
    if (!(table in expected)) problems.push(`table ${table} exists after restore but not in the manifest`);
  }
  return problems;
}
