/**
 * The rollback's fast path: `pulumi up --target <live Service URN>`, so the engine patches the live
 * Service's selector and touches nothing else: no Job, no Deployment, not a release that is still
 * pending or failed. Refused unless the target color is ready now: its Deployment runs the stack
 * file's image, fully rolled out and available, and the smoke Job of that image completed in the
 * cluster. The selector is watched while `up` runs, so the time to the flip is measured where
 * traffic sees it.
 *
 * The `pulumi` CLI is run directly, not through the Automation API: loading that module, its stack
 * selection and the reads it makes after every `up` cost ~2.9 s of a rollback measured at 5.5 s.
 */
import { spawn } from "node:child_process";
import { ClusterError, deploymentProblem, jobState, selectedColor, watchSelectedColor } from "./cluster";
import { firstLine } from "./deployedStack";
import { SwitchTarget } from "./switchTarget";

export interface SwitchResult {
  /** Milliseconds from the start to the first read of the new selector in the API. */
  readonly flippedAfterMs: number;
  /** Milliseconds from the start to the end of `pulumi up`. */
  readonly finishedAfterMs: number;
}

export class SwitchRefused extends Error {}

const UP_TIMEOUT_MS = 120_000;

const readFailed = (what: string, error: unknown) =>
  `cannot read ${what}: ${error instanceof ClusterError ? error.message : firstLine(error)}; check kubectl's context`;

/** Problems that forbid switching traffic to the target color; empty when it may go ahead. */
export async function gateProblems(target: SwitchTarget): Promise<string[]> {
  const { color, namespace } = target;
  const [deployment, smoke] = await Promise.all([
    deploymentProblem(namespace, target.deploymentName, target.image).catch((error) => readFailed(`Deployment \`${target.deploymentName}\``, error)),
    target.smokeJobName ? jobState(namespace, target.smokeJobName).catch((error) => new Error(readFailed(`smoke Job \`${target.smokeJobName}\``, error))) : "complete",
  ]);
  const problems: string[] = [];
  if (deployment) problems.push(`${deployment}, so \`${color}\` cannot take traffic now; fix or revert its release first`);
  if (smoke instanceof Error) problems.push(smoke.message);
  else if (smoke !== "complete") {
    problems.push(
      `smoke Job \`${target.smokeJobName}\` of \`${color}\` (${target.image}) is ${smoke === "missing" ? "not in the cluster" : smoke}, so \`${color}\` has not passed its gate; use the full \`pulumi up\` path, which runs the gate first`,
    );
  }
  return problems;
}

/**
 * Runs the targeted `up` of the live Service and waits until the API shows the target selected.
 * Times count from `started` (the command's start).
 */
export async function switchLiveService(target: SwitchTarget, workDir: string, started: number): Promise<SwitchResult> {
  const flip = watchSelectedColor(target.namespace, target.liveServiceName, target.color);
  try {
    await targetedUp(target.stack, target.liveServiceUrn, workDir);
  } catch (error) {
    flip.stop();
    throw new SwitchRefused(`\`pulumi up --target ${target.liveServiceUrn}\` failed: ${firstLine(error)}`);
  }
  const finished = Date.now();
  // `up` returned: the Service is patched; the watch has seen it, or one more read confirms it.
  const confirmed = (await selectedColor(target.namespace, target.liveServiceName)) === target.color;
  flip.stop();
  const flippedAt = (await flip.seen) ?? (confirmed ? Date.now() : undefined);
  if (flippedAt === undefined) throw new SwitchRefused(`\`pulumi up\` finished but Service \`${target.liveServiceName}\` does not select \`${target.color}\``);
  return { flippedAfterMs: flippedAt - started, finishedAfterMs: finished - started };
}

/** `pulumi up` of one resource, no preview, no prompt; rejects with the CLI's output when it fails. */
function targetedUp(stack: string, urn: string, workDir: string): Promise<void> {
  const args = ["up", "--stack", stack, "--target", urn, "--yes", "--skip-preview", "--non-interactive", "--suppress-progress", "--color", "never"];
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", args, {
      cwd: workDir,
      // The program was type-checked when it was built and tested; a rollback need not pay for it again.
      env: { PULUMI_NODEJS_TRANSPILE_ONLY: "true", PULUMI_SKIP_UPDATE_CHECK: "true", ...process.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    // SIGINT lets the CLI cancel cleanly (no stack left locked); SIGKILL if it does not stop.
    const timeout = setTimeout(() => {
      // First, so it is the line reported, not the CLI's own cancellation message.
      output = `error: no result after ${UP_TIMEOUT_MS / 1000} s; cancelled; run \`pulumi cancel -s ${stack}\` if the stack stays locked\n${output}`;
      child.kill("SIGINT");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    }, UP_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timeout);
      reject((error as NodeJS.ErrnoException).code === "ENOENT" ? new Error("error: the `pulumi` CLI is not on PATH") : error);
    });
    child.on("close", (code) => {
      clearTimeout(timeout);
      if (code === 0) resolve();
      else reject(new Error(output || `pulumi exited with ${code}`));
    });
  });
}
