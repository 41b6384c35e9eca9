/**
 * The rollback's fast path: `pulumi up --target <live Service URN>` through the Automation API, so
 * the engine patches the live Service's selector and touches nothing else: no Job, no Deployment,
 * not a release that is still pending or failed. Refused unless the target color is ready now: its
 * Deployment runs the stack file's image, fully rolled out and available, and the smoke Job of that
 * image completed in the cluster. The selector is watched while `up` runs, so the time to the flip
 * is measured where traffic sees it.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
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
  // The program was type-checked when it was built and tested; a rollback need not pay for it again.
  process.env.PULUMI_NODEJS_TRANSPILE_ONLY ??= "true";
  try {
    const stack = await LocalWorkspace.selectStack({ stackName: target.stack, workDir });
    const timeout = setTimeout(() => void stack.cancel().catch(() => undefined), UP_TIMEOUT_MS);
    try {
      await stack.up({ target: [target.liveServiceUrn] });
    } finally {
      clearTimeout(timeout);
    }
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
