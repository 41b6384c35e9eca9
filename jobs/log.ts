/**
 * Structured logging for the in-cluster jobs: one JSON object per line on stdout, so cluster log
 * pipelines can parse it. Failures end with exactly one `level: "error"` line and a non-zero exit.
 */
export type Fields = Record<string, unknown>;

export function log(event: string, fields: Fields = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: "info", event, ...fields })}\n`);
}

export function warn(event: string, fields: Fields = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: "warn", event, ...fields })}\n`);
}

/** An error whose message is meant for the operator as is: no stack trace is printed. */
export class JobError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "JobError";
  }
}

/** Writes the one error line for a failed job. */
export function logFailure(command: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const line: Fields = { time: new Date().toISOString(), level: "error", event: `${command}.failed`, error: message };
  if (!(error instanceof JobError) && error instanceof Error && error.stack) line.stack = error.stack;
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
