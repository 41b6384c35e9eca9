/**
 * Runs the `pulumi` CLI as a child process, never prompting, with a bound: past it the CLI gets
 * SIGINT (it cancels cleanly and unlocks the stack), then SIGKILL 10 s later if it still runs. A
 * SIGTERM this process receives is passed on the same way, so stopping the release CLI does not
 * leave an orphaned `pulumi` holding the stack's lock (Ctrl-C in a terminal reaches both already).
 */
import { spawn } from "node:child_process";

export interface PulumiRun {
  /** The exit code; null when it ended on a signal. */
  readonly code: number | null;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
  /** Whether the bound was reached and the CLI was stopped. */
  readonly timedOut: boolean;
}

export class PulumiMissing extends Error {}

const KILL_AFTER_INTERRUPT_MS = 10_000;

/** Runs `pulumi <args>` in `workDir`; resolves whatever its exit code, rejects only when it cannot start. */
export function runPulumi(args: readonly string[], workDir: string, timeoutMs: number): Promise<PulumiRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", args, {
      cwd: workDir,
      // The program was type-checked when it was built and tested; a switch need not pay for it again.
      env: { PULUMI_NODEJS_TRANSPILE_ONLY: "true", PULUMI_SKIP_UPDATE_CHECK: "true", ...process.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let timedOut = false;
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const interrupt = () => {
      child.kill("SIGINT");
      setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_INTERRUPT_MS).unref();
    };
    const timeout = setTimeout(() => {
      timedOut = true;
      interrupt();
    }, timeoutMs);
    const onTerm = () => {
      interrupt();
      // Exit as SIGTERM would have, once the CLI has unlocked the stack.
      child.once("close", () => process.exit(143));
    };
    process.once("SIGTERM", onTerm);
    const done = () => {
      clearTimeout(timeout);
      process.off("SIGTERM", onTerm);
    };
    child.on("error", (error) => {
      done();
      reject((error as NodeJS.ErrnoException).code === "ENOENT" ? new PulumiMissing("the `pulumi` CLI is not on PATH; install it (https://www.pulumi.com/docs/install/)") : error);
    });
    child.on("close", (code) => {
      done();
      resolve({ code, output, timedOut });
    });
  });
}

/**
 * The line of a failed run's output that says what went wrong: the engine's own error for a
 * resource (`error: configured Kubernetes cluster is unreachable: ...`) rather than its summary
 * (`error: update failed`), without the `error: ` prefix.
 */
export function pulumiError(output: string): string {
  const errors = output
    .split("\n")
    .map((line) => line.trim())
    .map((line) => line.match(/(?:^|\s)error: (.*)$/)?.[1]?.trim())
    .filter((line): line is string => !!line && !/^(update|preview|refresh|destroy) failed$/.test(line));
  if (errors.length > 0) return errors[errors.length - 1];
  const lines = output.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? "no output";
}
