/**
 * The rollback's fast path: `pulumi up --target <live Service URN>` through the Automation API, so
 * the engine patches the live Service's selector and touches nothing else: no Job, no Deployment,
 * not a release that is still pending or failed. Refused unless the target color is ready now: its
 * Deployment fully rolled out and available, and its smoke Job completed in the cluster. The selector is polled while `up` runs, so the time
 * to the flip is measured where traffic sees it.
 */
import { Color } from "../config";
import { ClusterError, deploymentProblem, jobState, selectedColor } from "./cluster";
import { DeployedStack, firstLine } from "./deployedStack";

export interface SwitchResult {
  /** Milliseconds from the start to the first read of the new selector in the API. */
  readonly flippedAfterMs: number;
  /** Milliseconds from the start to the end of `pulumi up`. */
  readonly finishedAfterMs: number;
}

export class SwitchRefused extends Error {}

const FLIP_POLL_MS = 100;
const UP_TIMEOUT_MS = 120_000;

/** Problems that forbid switching traffic to `target`; empty when it may go ahead. */
export async function gateProblems(deployed: DeployedStack, target: Color): Promise<string[]> {
  const deployment = deployed.deploymentNames[target];
  if (!deployment) return [`\`${target}\` has no Deployment in the last \`pulumi up\`: stage an image on it and run \`pulumi up\` first`];
  let notReady: string | undefined;
  try {
    notReady = await deploymentProblem(deployed.namespace, deployment);
  } catch (error) {
    return [`cannot read Deployment \`${deployment}\` of \`${target}\`: ${error instanceof ClusterError ? error.message : firstLine(error)}; check kubectl's context`];
  }
  if (notReady) return [`${notReady}, so \`${target}\` cannot take traffic now; fix or revert its release first`];
  const job = deployed.smokeJobNames[target];
  if (!job) {
    return Object.keys(deployed.smokeJobNames).length === 0
      ? [] // the smoke gate is off for this stack
      : [`\`${target}\` has no smoke Job in the last \`pulumi up\`: it runs no Pods or was never released; stage it and run \`pulumi up\` first`];
  }
  let state: Awaited<ReturnType<typeof jobState>>;
  try {
    state = await jobState(deployed.namespace, job);
  } catch (error) {
    return [`cannot read smoke Job \`${job}\` of \`${target}\`: ${error instanceof ClusterError ? error.message : firstLine(error)}; check kubectl's context`];
  }
  if (state === "complete") return [];
  return [
    `smoke Job \`${job}\` of \`${target}\` is ${state === "missing" ? "not in the cluster" : state}, so \`${target}\` has not passed its gate; use the full \`pulumi up\` path, which runs the gate first`,
  ];
}

/**
 * Runs the targeted `up` of the live Service and waits until the API shows `target` selected.
 * Times count from `started` (the command's start).
 */
export async function switchLiveService(deployed: DeployedStack, target: Color, started: number, log: (line: string) => void): Promise<SwitchResult> {
  let flippedAt: number | undefined;
  let done = false;
  const watchFlip = (async () => {
    while (!done && flippedAt === undefined) {
      try {
        if ((await selectedColor(deployed.namespace, deployed.liveServiceName)) === target) flippedAt = Date.now();
      } catch {
        // a transient read error: the next poll tells
      }
      if (flippedAt === undefined) await new Promise((r) => setTimeout(r, FLIP_POLL_MS));
    }
  })();

  // The program was type-checked when it was built and tested; a rollback need not pay for it again.
  process.env.PULUMI_NODEJS_TRANSPILE_ONLY ??= "true";
  const timeout = setTimeout(() => void deployed.stack.cancel().catch(() => undefined), UP_TIMEOUT_MS);
  try {
    await deployed.stack.up({ target: [deployed.liveServiceUrn], onOutput: (out) => log(out.trimEnd()) });
  } catch (error) {
    throw new SwitchRefused(`\`pulumi up --target ${deployed.liveServiceUrn}\` failed: ${firstLine(error)}`);
  } finally {
    clearTimeout(timeout);
  }
  const finished = Date.now();
  // `up` returned: the Service is patched; one more read confirms it.
  if (flippedAt === undefined && (await selectedColor(deployed.namespace, deployed.liveServiceName)) === target) flippedAt = Date.now();
  done = true;
  await watchFlip;
  if (flippedAt === undefined) throw new SwitchRefused(`\`pulumi up\` finished but Service \`${deployed.liveServiceName}\` does not select \`${target}\``);
  return { flippedAfterMs: flippedAt - started, finishedAfterMs: finished - started };
}
