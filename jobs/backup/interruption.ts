/**
 * SIGTERM/SIGINT handling for jobs that must clean up (abort a multipart upload, kill pg_dump or
 * pg_restore, drop a scratch database) instead of dying mid-write. Kubernetes sends SIGTERM, then
 * SIGKILL after the grace period (60 s for the backup Jobs).
 *
 * One per process: the CLI starts listening on its first line, so a signal while node is still
 * loading modules is kept and honoured by the command (one error line, exit 143) instead of killing
 * node without a word. It listens until the process exits: a signal after the command returned
 * leaves the command's exit code as it is.
 */
import { setMaxListeners } from "node:events";
import { JobError } from "../log";

const EXIT_CODES: Record<string, number> = { SIGTERM: 143, SIGINT: 130 };

/** How long clean-up requests may take after a signal: well inside the Jobs' grace period. */
export const CLEANUP_MS = 10_000;

/**
 * How long a multipart upload's requests in flight at a signal may still take. A part the server
 * is still storing when the upload is aborted may outlive the abort (S3 says to abort again); one
 * left to finish does not, and parts take well under this unless the server stopped answering.
 */
export const DRAIN_MS = 2_000;

export class Interruption {
  /** The signal received, if any. */
  signal?: NodeJS.Signals;
  private onSignal?: (signal: NodeJS.Signals) => void;
  private deferred = false;
  /** Aborted the moment a signal arrives (unless deferred). */
  private readonly cancel = new AbortController();
  /** Aborted DRAIN_MS after the signal (unless deferred). */
  private readonly drained = new AbortController();
  /** Aborted CLEANUP_MS after the signal. */
  private readonly cleanupOver = new AbortController();
  private readonly listener = (signal: NodeJS.Signals) => {
    if (this.signal) return;
    this.signal = signal;
    setTimeout(() => this.cleanupOver.abort(new JobError(`clean-up after ${signal} took longer than ${CLEANUP_MS / 1000} s`)), CLEANUP_MS).unref();
    if (this.deferred) return;
    const reason = this.error("while waiting for a request");
    this.cancel.abort(reason);
    setTimeout(() => this.drained.abort(reason), DRAIN_MS).unref();
    this.onSignal?.(signal);
  };

  constructor() {
    process.on("SIGTERM", this.listener);
    process.on("SIGINT", this.listener);
    // Every request in flight listens on these (up to 17 during an upload).
    setMaxListeners(100, this.cancel.signal, this.drained.signal, this.cleanupOver.signal);
  }

  /** What to do the moment a signal arrives (kill children, error streams). */
  whenSignalled(handler: (signal: NodeJS.Signals) => void): void {
    this.onSignal = handler;
    if (this.signal && !this.deferred) handler(this.signal);
  }

  /** Aborted when a signal arrives: for work the signal cancels, such as streaming a dump. */
  get cancelled(): AbortSignal {
    return this.cancel.signal;
  }

  /**
   * The abort signal for an S3 or CloudWatch request starting now. Before a signal, requests end
   * when one arrives; requests started after it (aborting the multipart upload) and those of a
   * deferred step (the manifest write) get until CLEANUP_MS after it.
   */
  requestSignal(): AbortSignal {
    return this.signal || this.deferred ? this.cleanupOver.signal : this.cancel.signal;
  }

  /** As requestSignal, but requests in flight at a signal get DRAIN_MS to finish: for a multipart upload. */
  uploadRequestSignal(): AbortSignal {
    return this.signal || this.deferred ? this.cleanupOver.signal : this.drained.signal;
  }

  /** Whether `error` is a request the signal ended (not one that ran out of clean-up time). */
  isCancelled(error: unknown): boolean {
    return error instanceof Error && error.name === "AbortError" && this.cancel.signal.aborted && error.cause === this.cancel.signal.reason;
  }

  /**
   * Awaits `step`, but no longer than until a signal: then, or when the step failed after one,
   * throws the interruption error naming `what`. An abandoned step is left to fail on its own, so
   * it must hold nothing that keeps the process alive once its caller cleaned up (an S3 request
   * ends with the signal; a query ends with its connection).
   */
  async guard<T>(what: string, step: Promise<T>): Promise<T> {
    step.catch(() => undefined);
    let stop = () => undefined as void;
    const signalled = new Promise<never>((_, reject) => {
      stop = () => reject(this.error(what));
      if (this.cancel.signal.aborted) stop();
      else this.cancel.signal.addEventListener("abort", stop, { once: true });
    });
    signalled.catch(() => undefined);
    try {
      return await Promise.race([step, signalled]);
    } catch (error) {
      throw this.signal ? this.error(what) : error;
    } finally {
      this.cancel.signal.removeEventListener("abort", stop);
    }
  }

  /** From now on a signal no longer interrupts: finishing is quicker than undoing (a manifest write). */
  defer(): void {
    this.deferred = true;
  }

  /** Throws when a signal arrived: call between steps. */
  check(what: string): void {
    if (this.signal) throw this.error(what);
  }

  error(what: string): JobError {
    return new JobError(`interrupted by ${this.signal} ${what}`, EXIT_CODES[this.signal!] ?? 1);
  }
}

let current: Interruption | undefined;

/** The process's Interruption; the first call starts listening for SIGTERM and SIGINT. */
export function listenForSignals(): Interruption {
  return (current ??= new Interruption());
}
