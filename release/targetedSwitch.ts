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
import { ClusterError, deploymentProblem, jobState, readWorkloads, selectedColor, watchSelectedColors, Workloads } from "./cluster";
import { firstLine } from "./deployedStack";
import { refreshLiveServices } from "./stateRecovery";
import { runStackUpdate, StackUpdateError, UpdateContext } from "./stackUpdate";
import { ServiceTarget, SwitchTarget } from "./switchTarget";

export interface SwitchResult {
  /** Per live Service (by name, in the app's order): milliseconds from the start to the first read of the new selector in the API. */
  readonly flippedAfterMs: ReadonlyMap<string, number>;
  /** Milliseconds from the start to the end of `pulumi up`. */
  readonly finishedAfterMs: number;
}

export class SwitchRefused extends Error {}

const UP_TIMEOUT_MS = 120_000;
/** How long a switch waits for another update of the stack (a `pulumi up` in progress) to end. */
const LOCK_WAIT_MS = 60_000;
/** How long the read of where traffic is may take, after a failure. */
const TRAFFIC_READ_TIMEOUT_MS = 4_000;

export interface SwitchOptions {
  /**
   * Why the state may not match the cluster (an earlier switch was interrupted): the live Services
   * are refreshed from the cluster before the update.
   */
  readonly recovering?: string;
  /** Progress and recovery lines (a lock waited for or removed, a refresh). */
  readonly say?: (line: string) => void;
  /** The command that finishes the switch when run again, named in every refusal. */
  readonly rerun?: string;
}

const readFailed = (what: string, error: unknown) =>
  `cannot read ${what}: ${error instanceof ClusterError ? error.message : firstLine(error)}; check kubectl's context`;

/**
 * Problems that forbid switching traffic to the target color; empty when it may go ahead. Every
 * service is checked; for an app of several, each problem starts with the service it is about.
 * Throws SwitchRefused (one line) when the cluster cannot be read.
 */
export async function gateProblems(target: SwitchTarget): Promise<string[]> {
  let workloads: Workloads;
  try {
    // The Deployments' Pods and the smoke Jobs carry their service's qualified name as `app`.
    workloads = await readWorkloads(target.namespace, target.services.map((service) => service.qualifiedName));
  } catch (error) {
    // One line: nothing was changed, and the same command is the next step once the API answers.
    throw new SwitchRefused(
      `${readFailed(`the Deployments and smoke Jobs of namespace \`${target.namespace}\``, error)}; nothing was switched: rerun \`npx bluegreen rollback -s ${target.stack} --apply\` once \`kubectl get nodes\` answers`,
    );
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
  const urns = [...target.services.map((service) => service.liveServiceUrn), ...(target.noticeUrn ? [target.noticeUrn] : [])];
  return `pulumi up ${urns.map((urn) => `--target ${urn}`).join(" ")}`;
}

/**
 * Runs the targeted `up` of every live Service and waits until the API shows each selecting the
 * target. Times count from `started` (the command's start).
 */
export async function switchLiveServices(target: SwitchTarget, workDir: string, started: number, options: SwitchOptions = {}): Promise<SwitchResult> {
  const names = target.services.map((service) => service.liveServiceName);
  const ctx: UpdateContext = {
    stack: target.stack,
    workDir,
    rerun: options.rerun ?? targetedUpCommand(target),
    say: options.say ?? (() => undefined),
    lockWaitMs: LOCK_WAIT_MS,
    timeoutMs: UP_TIMEOUT_MS,
  };
  const flips = watchSelectedColors(target.namespace, names, target.color);
  let finished: number;
  try {
    finished = await updateUntilSelected(target, ctx, options.recovering);
  } catch (error) {
    flips.stop();
    if (error instanceof SwitchRefused) throw error;
    const line = error instanceof StackUpdateError ? error.message : `\`${targetedUpCommand(target)}\` failed: ${firstLine(error)}; rerun \`${ctx.rerun}\``;
    throw new SwitchRefused(`the switch to ${target.color} did not finish (${await trafficNow(target)}): ${line}`);
  }
  flips.stop();
  const seen = await flips.seen;
  const confirmedAt = Date.now();
  const flippedAfterMs = new Map<string, number>();
  for (const name of names) flippedAfterMs.set(name, (seen.get(name) ?? confirmedAt) - started);
  return { flippedAfterMs, finishedAfterMs: finished - started };
}

/**
 * The targeted update, until the API shows every live Service selecting the target; resolves with
 * when the last update ended. The live Services are refreshed from the cluster first when the
 * state may be stale: after an interrupted switch (`recovering`), after removing a killed update's
 * lock, or when an update succeeded but left a Service on the other color (the engine diffed
 * against a state that did not match the cluster); the update then runs once more.
 */
async function updateUntilSelected(target: SwitchTarget, ctx: UpdateContext, recovering: string | undefined): Promise<number> {
  const names = target.services.map((service) => service.liveServiceName);
  const urns = target.services.map((service) => service.liveServiceUrn);
  let refreshed = false;
  const refresh = async (why: string) => {
    await refreshLiveServices(urns, why, ctx);
    refreshed = true;
  };
  if (recovering) {
    if (await alreadySwitched(target)) ctx.say(`The API already shows traffic on ${target.color} (the earlier run got that far); making the stack's state agree.`);
    await refresh(recovering);
  }
  // An update killed without a switch record (a full `pulumi up`, another machine's switch) shows as its stale lock.
  const afterStaleLock = async () => (refreshed ? undefined : refresh("The stack's last update was killed (it left its lock behind)"));
  // The switch notice is targeted with the live Services; a stack that gained its `notify` section
  // after the last full `pulumi up` has no notice yet, and a target missing from the stack fails the
  // whole update: switch without it then (the next full `up` creates it, announcing nothing).
  let notice = target.noticeUrn;
  for (;;) {
    try {
      await runStackUpdate(targetedUpArgs(target.stack, notice ? [...urns, notice] : urns), { ...ctx, afterStaleLock });
    } catch (error) {
      if (!(notice && error instanceof StackUpdateError && /could not be found in the stack/.test(error.message))) throw error;
      ctx.say("The stack has no switch notice yet (`notify` was added after its last full `pulumi up`): switching without announcing it.");
      notice = undefined;
      continue;
    }
    const finished = Date.now();
    const selected = await Promise.all(names.map((name) => selectedColor(target.namespace, name)));
    const stuck = names.findIndex((_, i) => selected[i] !== target.color);
    if (stuck < 0) return finished;
    const why = `\`pulumi up\` left Service \`${names[stuck]}\` selecting \`${selected[stuck]}\`, not \`${target.color}\``;
    if (refreshed) {
      throw new SwitchRefused(`${why}, even after reading it from the cluster into the state; check it with \`kubectl get service ${names[stuck]} -n ${target.namespace} -o yaml\`, then rerun \`${ctx.rerun}\``);
    }
    await refresh(`${why}: the state did not match the cluster`);
  }
}

/** Whether every live Service of the app selects the target color now (false when the API cannot tell). */
export async function alreadySwitched(target: SwitchTarget): Promise<boolean> {
  const colors = await Promise.all(target.services.map((s) => selectedColor(target.namespace, s.liveServiceName).catch(() => undefined)));
  return colors.every((color) => color === target.color);
}

/** Where the live Services send traffic, as the API says now, in words (for a failure line). */
async function trafficNow(target: SwitchTarget): Promise<string> {
  try {
    const colors = await Promise.all(target.services.map((s) => selectedColor(target.namespace, s.liveServiceName, TRAFFIC_READ_TIMEOUT_MS)));
    const distinct = [...new Set(colors)];
    if (distinct.length === 1) return `traffic is on ${distinct[0] ?? "no color"}, as the API says`;
    return `the API says ${target.services.map((s, i) => `${s.liveServiceName} → ${colors[i]}`).join(", ")}`;
  } catch {
    return "the API could not be read to tell where traffic is";
  }
}

/** `Traffic is on green: shop-bff flipped 2.9 s, shop-web 2.9 s after the start; done after 3.2 s.` */
export function switchedLine(target: SwitchTarget, result: SwitchResult): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const flips = [...result.flippedAfterMs];
  const flipped =
    flips.length === 1 ? `the selector flipped ${seconds(flips[0][1])}` : flips.map(([name, ms], i) => `${name}${i === 0 ? " flipped" : ""} ${seconds(ms)}`).join(", ");
  return `Traffic is on ${target.color}: ${flipped} after the start; done after ${seconds(result.finishedAfterMs)}.`;
}
