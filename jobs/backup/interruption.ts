/**
 * SIGTERM/SIGINT handling for jobs that must clean up (abort a multipart upload, kill pg_dump)
 * instead of dying mid-write. Kubernetes sends SIGTERM, then SIGKILL after the grace period.
 */
import { JobError } from "../log";

const EXIT_CODES: Record<string, number> = { SIGTERM: 143, SIGINT: 130 };

export class Interruption {
  /** The signal received, if any. */
  signal?: NodeJS.Signals;
  private onSignal?: (signal: NodeJS.Signals) => void;
  private deferred = false;
  private readonly listener = (signal: NodeJS.Signals) => {
    if (this.signal) return;
    this.signal = signal;
    if (!this.deferred) this.onSignal?.(signal);
  };

  constructor() {
    process.on("SIGTERM", this.listener);
    process.on("SIGINT", this.listener);
  }

  /** What to do the moment a signal arrives (kill children, error streams). */
  whenSignalled(handler: (signal: NodeJS.Signals) => void): void {
    this.onSignal = handler;
    if (this.signal && !this.deferred) handler(this.signal);
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

  dispose(): void {
    process.off("SIGTERM", this.listener);
    process.off("SIGINT", this.listener);
  }
}
