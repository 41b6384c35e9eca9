/**
 * The rollback's fast path: one `pulumi up` with a `--target` per live Service of the app, so the
 * engine patches the live Services' selectors and touches nothing else: no Job, no Deployment, not
 * a release that is still pending or failed. Refused unless the target color of every service is
 * ready now: its Deployment runs the stack file's image, fully rolled out and available, and the
 * smoke Job of that image completed in the cluster. The selectors are watched while `up` runs, so
 * the time to each flip is measured where traffic sees it.
 *
 * The `pulumi` CLI is run directly, not through the Automation API: loading that module, its stack
 * selection and the reads it makes after every `up` cost ~2.9 s of a rollback measured at 5.5 s.
 */
import { spawn } from "node:child_process";
import { ClusterError, deploymentProblem, jobState, readWorkloads, selectedColor, watchSelectedColors, Workloads } from "./cluster";
import { firstLine } from "./deployedStack";
import { ServiceTarget, SwitchTarget } from "./switchTarget";

export interface SwitchResult {
  /** Per live Service (by name, in the app's order): milliseconds from the start to the first read of the new selector in the API. */
  readonly flippedAfterMs: ReadonlyMap<string, number>;
  /** Milliseconds from the start to the end of `pulumi up`. */
  readonly finishedAfterMs: number;
}

export class SwitchRefused extends Error {}

const UP_TIMEOUT_MS = 120_000;

const readFailed = (what: string, error: unknown) =>
  `cannot read ${what}: ${error instanceof ClusterError ? error.message : firstLine(error)}; check kubectl's context`;

/**
 * Problems that forbid switching traffic to the target color; empty when it may go ahead. Every
 * service is checked; for an app of several, each problem starts with the service it is about.
 */
export async function gateProblems(target: SwitchTarget): Promise<string[]> {
  let workloads: Workloads;
  try {
    // The Deployments' Pods and the smoke Jobs carry their service's qualified name as `app`.
    workloads = await readWorkloads(target.namespace, target.services.map((service) => service.qualifiedName));
  } catch (error) {
    return [readFailed(`the Deployments and smoke Jobs of namespace \`${target.namespace}\``, error)];
  }
  return gateProblemsIn(target, workloads);
}

/** `gateProblems` on Deployments and Jobs already read (status reads them once for everything). */
export function gateProblemsIn(target: SwitchTarget, workloads: Workloads): string[] {
  const perService = target.services.map((service) => serviceGateProblems(target, service, workloads));
  if (target.services.length === 1) return perService[0];
  return perService.flatMap((problems, i) => problems.map((problem) => `service \`${target.services[i].service}\`: ${problem}`));
}

function serviceGateProblems(target: SwitchTarget, service: ServiceTarget, workloads: Workloads): string[] {
  const { color } = target;
  const deployment = deploymentProblem(workloads, service.deploymentName, service.image);
  const smoke = service.smokeJobName ? jobState(workloads, service.smokeJobName) : "complete";
  const problems: string[] = [];
  if (deployment) problems.push(`${deployment}, so \`${color}\` cannot take traffic now; fix or revert its release first`);
  if (smoke !== "complete") {
    problems.push(
      `smoke Job \`${service.smokeJobName}\` of \`${color}\` (${service.image}) is ${smoke === "missing" ? "not in the cluster" : smoke}, so \`${color}\` has not passed its gate; use the full \`pulumi up\` path, which runs the gate first`,
    );
  }
  return problems;
}

/** The `pulumi` arguments of the targeted switch: one update, one `--target` per live Service. */
export function targetedUpArgs(stack: string, urns: readonly string[]): string[] {
  return ["up", "--stack", stack, ...urns.flatMap((urn) => ["--target", urn]), "--yes", "--skip-preview", "--non-interactive", "--suppress-progress", "--color", "never"];
}

/** The targeted update as people read it: `pulumi up --target <urn> ...`. */
export function targetedUpCommand(target: SwitchTarget): string {
  return `pulumi up ${target.services.map((service) => `--target ${service.liveServiceUrn}`).join(" ")}`;
}

/**
 * Runs the targeted `up` of every live Service and waits until the API shows each selecting the
 * target. Times count from `started` (the command's start).
 */
export async function switchLiveServices(target: SwitchTarget, workDir: string, started: number): Promise<SwitchResult> {
  const names = target.services.map((service) => service.liveServiceName);
  const args = targetedUpArgs(target.stack, target.services.map((service) => service.liveServiceUrn));
  const flips = watchSelectedColors(target.namespace, names, target.color);
  try {
    await runPulumi(args, target.stack, workDir);
  } catch (error) {
    flips.stop();
    throw new SwitchRefused(`\`${targetedUpCommand(target)}\` failed: ${firstLine(error)}`);
  }
  const finished = Date.now();
  // `up` returned: the Services are patched; the watch has seen them, or one more read confirms each.
  let selected: (string | undefined)[];
  try {
    selected = await Promise.all(names.map((name) => selectedColor(target.namespace, name)));
  } finally {
    flips.stop();
  }
  const seen = await flips.seen;
  const confirmedAt = Date.now();
  const flippedAfterMs = new Map<string, number>();
  names.forEach((name, i) => {
    const flippedAt = seen.get(name) ?? (selected[i] === target.color ? confirmedAt : undefined);
    if (flippedAt === undefined) throw new SwitchRefused(`\`pulumi up\` finished but Service \`${name}\` does not select \`${target.color}\``);
    flippedAfterMs.set(name, flippedAt - started);
  });
  return { flippedAfterMs, finishedAfterMs: finished - started };
}

/** `Traffic is on green: shop-bff flipped 2.9 s, shop-web 2.9 s after the start; done after 3.2 s.` */
export function switchedLine(target: SwitchTarget, result: SwitchResult): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const flips = [...result.flippedAfterMs];
  const flipped =
    flips.length === 1 ? `the selector flipped ${seconds(flips[0][1])}` : flips.map(([name, ms], i) => `${name}${i === 0 ? " flipped" : ""} ${seconds(ms)}`).join(", ");
  return `Traffic is on ${target.color}: ${flipped} after the start; done after ${seconds(result.finishedAfterMs)}.`;
}

/** Runs `pulumi <args>` (no prompt); rejects with the CLI's output when it fails or times out. */
function runPulumi(args: readonly string[], stack: string, workDir: string): Promise<void> {
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
