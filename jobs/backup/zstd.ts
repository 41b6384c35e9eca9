/**
 * zstd as a child process: the backup compresses pg_dump's uncompressed custom-format output with
 * it, and restores decompress with it. pg_dump (PostgreSQL 15) compresses with gzip on its one
 * core; a separate zstd process runs beside it on the other core(s), and zstd's multi-threaded mode
 * (`-T0`) uses whatever is left. Kernel pipes join the processes, so node never copies the
 * uncompressed bytes. zstd writes a content checksum in every frame (`--check`) and `zstd -d`
 * fails on a mismatch or a truncated frame.
 */
import { ChildProcess, SpawnOptions, spawn } from "node:child_process";
import { JobError } from "../log";
import { toolVersion } from "./postgres";

/** The manifest's `compression` for a backup compressed by zstd. */
export const ZSTD = "zstd";

/** zstd's level for backups: measured in `npm run bench:backup` (README "Benchmark"). */
export const DEFAULT_ZSTD_LEVEL = 1;

export async function zstdVersion(path: string): Promise<string> {
  try {
    return (await toolVersion(path)).text;
  } catch {
    throw new JobError(`cannot run \`${path} --version\`: install zstd (Debian package \`zstd\`) or pass its path with \`--zstd\``);
  }
}

export interface ZstdFailure {
  /** One line saying why zstd failed. */
  readonly message: string;
  /**
   * zstd's reader went away first: a consequence of the reader's failure, not a cause. Node's child
   * pipes are socket pairs, so zstd sees either SIGPIPE or, when the reader closed with bytes still
   * unread, `Connection reset by peer` on its next write (often so under Node 24).
   */
  readonly readerGone: boolean;
}

export interface ZstdProcess {
  readonly child: ChildProcess;
  /** Resolves when zstd exited: undefined on success. */
  readonly failure: Promise<ZstdFailure | undefined>;
}

/**
 * Starts zstd compressing stdin to stdout (`decompress`: the other way). `stdio` is as for
 * `spawn`, such as another process's pipe.
 */
export function startZstd(path: string, mode: { level: number } | "decompress", stdio: SpawnOptions["stdio"]): ZstdProcess {
  const args = mode === "decompress" ? ["-d", "-q", "-c"] : ["-q", "-c", "--check", "-T0", `-${mode.level}`];
  const child = spawn(path, args, { stdio });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const failure = new Promise<ZstdFailure | undefined>((resolve) => {
    child.once("error", (error) => resolve({ message: `cannot run ${path}: ${error.message}`, readerGone: false }));
    child.once("close", (code, signal) => {
      if (code === 0) return resolve(undefined);
      const last = stderr.trim().split("\n").filter(Boolean).pop() ?? "no output";
      resolve({
        message: `${mode === "decompress" ? "zstd -d" : "zstd"} failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${last}`,
        readerGone: signal === "SIGPIPE" || /broken pipe|write error\b.*connection reset by peer/i.test(last),
      });
    });
  });
  return { child, failure };
}
