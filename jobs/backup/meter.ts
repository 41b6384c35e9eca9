/**
 * A pass-through stream that counts bytes and computes their SHA-256 as they flow, and writes
 * progress lines. It can hold back its end until a condition settles (pg_dump exited 0, row counts
 * done): an upload only completes when its body ends cleanly, so a failed dump errors the stream and
 * the multipart upload is aborted instead of completed.
 */
import { createHash } from "node:crypto";
import { Transform, TransformCallback } from "node:stream";
import { log } from "../log";

export interface MeterOptions {
  /** Event name of progress lines, such as `backup.progress`. */
  readonly event: string;
  /** A progress line at least this often. @default 10000 */
  readonly intervalMs?: number;
  /** Also a progress line after every this many bytes (0: only by time). @default 0 */
  readonly everyBytes?: number;
  /** Awaited before the stream ends; a rejection errors the stream. */
  readonly beforeEnd?: () => Promise<void>;
}

export class Meter extends Transform {
  private readonly hash = createHash("sha256");
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;
  private nextByteMark: number;
  bytes = 0;

  constructor(private readonly options: MeterOptions) {
    super();
    this.nextByteMark = options.everyBytes || Number.POSITIVE_INFINITY;
    this.timer = setInterval(() => this.progress(), options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    while (this.bytes >= this.nextByteMark) {
      this.progress();
      this.nextByteMark += this.options.everyBytes!;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearInterval(this.timer);
    const gate = this.options.beforeEnd?.() ?? Promise.resolve();
    gate.then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    clearInterval(this.timer);
    callback(error);
  }

  /** Hex SHA-256 of everything that passed; call once, after the stream ended. */
  digest(): string {
    return this.hash.digest("hex");
  }

  seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  private progress(): void {
    const seconds = this.seconds();
    log(this.options.event, {
      bytes: this.bytes,
      mb: round(this.bytes / 1e6),
      mbPerSecond: round(seconds > 0 ? this.bytes / 1e6 / seconds : 0),
      seconds: round(seconds),
    });
  }
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
