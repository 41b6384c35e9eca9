/**
 * `status`: what is live, read from where it is true. Four sources, read at once and each bounded:
 * the cluster (live Services' selectors, each color's Deployment, the maintenance page's, the smoke
 * and release Jobs, the switch records), the stack file as it is on disk, the stack file at HEAD,
 * and the stack's Pulumi state (its last update's outputs). Every disagreement between them becomes one problem with the
 * command that resolves it; a source that cannot be read is named, and the rest is still shown.
 *
 * The JSON form (`status -o json`) is this report as it is: `schema` names its version.
 */
import { Color, COLORS } from "../config";
import { AppObjects, ClusterError, jobState, readApp } from "./cluster";
import { StateReadError, readStackOutputs } from "./pulumiState";
import { rolloutDone } from "./rollout";
import { ReleaseRecord, recordsOf, SwitchRecord, WatchRecord } from "./switchRecords";
import { gateProblemsIn } from "./targetedSwitch";
import { SwitchTarget } from "./switchTarget";
import { ReleaseState } from "./transitions";
import { trafficOf } from "../domain/maintenance";
import { MAINTENANCE, Traffic } from "../domain/names";

/** Where the stack file sends traffic: its active color, or the maintenance page. */
export function trafficOfState(state: ReleaseState): Traffic {
  return trafficOf({ activeColor: state.activeColor, maintenance: state.maintenance?.enabled ?? false });
}

export const STATUS_SCHEMA = "bluegreen.status/v1";

export type JobStateName = ReturnType<typeof jobState>;

export interface DeploymentStatus {
  readonly name: string;
  readonly image?: string;
  readonly replicas: number;
  readonly ready: number;
  readonly available: number;
  readonly updated: number;
  /** complete: rolled out; progressing; stuck: its progress deadline passed; missing: not in the cluster. */
  readonly rollout: "complete" | "progressing" | "stuck" | "missing";
}

export interface ColorStatus {
  /** The image the stack file gives this service in this color. */
  readonly image?: string;
  readonly deployment: DeploymentStatus;
  readonly smokeJob?: { readonly name: string; readonly state: JobStateName };
}

/** The app's maintenance page (components/maintenancePage.ts), of a stack with a `maintenance` section. */
export interface MaintenancePageStatus {
  /** The image the stack file gives the page (its `jobsImage`). */
  readonly image?: string;
  readonly deployment: DeploymentStatus;
}

export interface ServiceStatus {
  readonly name: string;
  readonly liveService: string;
  /** What the live Service selects in the cluster: a color, another value, or null (no Service / unread). */
  readonly selects: string | null;
  readonly colors: Readonly<Record<Color, ColorStatus>>;
}

export interface Problem {
  readonly kind: "drift" | "uncommitted" | "state" | "split" | "release" | "image" | "maintenance";
  readonly message: string;
  /** The command that resolves it. */
  readonly fix: string;
}

export interface StatusReport {
  readonly schema: typeof STATUS_SCHEMA;
  readonly stack: string;
  readonly app: string;
  readonly namespace: string;
  readonly stackFile: string;
  /** The live color per source; null where the source could not be read (or, for the cluster, the services disagree: `split`). */
  readonly live: { readonly stackFile: Traffic; readonly head: Traffic | null; readonly state: string | null; readonly cluster: string | null };
  readonly head: string | null;
  readonly services: readonly ServiceStatus[];
  /** Only for a stack with a `maintenance` section. */
  readonly maintenancePage?: MaintenancePageStatus;
  readonly releaseJobs: readonly { readonly name: string; readonly role: string; readonly state: JobStateName }[];
  /** Whether traffic can go back to the other color now, by `rollback --apply`, and why not. */
  readonly rollback: { readonly to: Color; readonly instant: boolean; readonly problems: readonly string[] } | null;
  readonly lastSwitch: SwitchRecord | null;
  readonly watch: WatchRecord | null;
  readonly problems: readonly Problem[];
  /** Sources that could not be read, and why. */
  readonly unread: readonly { readonly source: "cluster" | "state" | "git"; readonly reason: string }[];
}

/** What the status is built from: the stack file's facts, and the names of what to look for. */
export interface StatusInput {
  readonly state: ReleaseState;
  readonly namespace: string;
  readonly stackFile: string;
  /** The release state at HEAD, and HEAD's commit; undefined outside git. */
  readonly committed?: ReleaseState;
  readonly head?: string;
  /** Per color with a release, where a switch to it lands (names of Deployments, smoke Jobs, URNs). */
  readonly targets: Readonly<Partial<Record<Color, SwitchTarget>>>;
  /** Every service's Deployment name per color and live Service name, in the app's order. */
  readonly names: readonly { readonly service: string; readonly qualified: string; readonly liveService: string; readonly urn: string; readonly deployments: Readonly<Record<Color, string>> }[];
  /** The maintenance page's Deployment and the image it should run, when the stack has a `maintenance` section. */
  readonly maintenancePage?: { readonly deployment: string; readonly image?: string };
  readonly workDir: string;
}

export interface StatusReads {
  readonly cluster: AppObjects | Error;
  readonly outputs: Record<string, unknown> | Error;
}

/** Reads the cluster and the Pulumi state at once (each bounded by its own timeout). */
export async function readStatusSources(input: StatusInput): Promise<StatusReads> {
  const apps = [...new Set([input.state.app, ...input.names.map((n) => n.qualified)])];
  const [cluster, outputs] = await Promise.all([
    readApp(input.namespace, apps).catch((error: Error) => error),
    readStackOutputs(input.state.stack, input.workDir).catch((error: Error) => error),
  ]);
  return { cluster, outputs };
}

function deploymentStatus(objects: AppObjects | undefined, name: string): DeploymentStatus {
  const d = objects?.deployments.get(name);
  if (d === undefined) return { name, replicas: 0, ready: 0, available: 0, updated: 0, rollout: "missing" };
  const status = d.status ?? {};
  const replicas: number = d.spec?.replicas ?? 1;
  const progressing = (status.conditions ?? []).find((c: any) => c.type === "Progressing");
  const rollout = progressing?.reason === "ProgressDeadlineExceeded" ? "stuck" : rolloutDone(d) ? "complete" : "progressing";
  return {
    name,
    image: d.spec?.template?.spec?.containers?.[0]?.image,
    replicas,
    ready: status.readyReplicas ?? 0,
    available: status.availableReplicas ?? 0,
    updated: status.updatedReplicas ?? 0,
    rollout,
  };
}

/** Builds the report from the stack file's facts and what the reads returned. */
export function statusReport(input: StatusInput, reads: StatusReads): StatusReport {
  const { state } = input;
  const stack = state.stack;
  const objects = reads.cluster instanceof Error ? undefined : reads.cluster;
  const unread: { source: "cluster" | "state" | "git"; reason: string }[] = [];
  if (reads.cluster instanceof Error) unread.push({ source: "cluster", reason: reads.cluster instanceof ClusterError ? reads.cluster.message : String(reads.cluster.message) });
  if (reads.outputs instanceof Error) unread.push({ source: "state", reason: reads.outputs instanceof StateReadError ? reads.outputs.message : String(reads.outputs.message) });
  if (input.committed === undefined) unread.push({ source: "git", reason: `${input.stackFile} is not committed in a git repository here` });

  const services: ServiceStatus[] = input.names.map((n, i) => {
    const service = state.services[i];
    const colors = Object.fromEntries(
      COLORS.map((color) => {
        const smokeName = input.targets[color]?.services[i]?.smokeJobName;
        const colorStatus: ColorStatus = {
          image: service.colors[color].image,
          deployment: deploymentStatus(objects, n.deployments[color]),
          smokeJob: smokeName ? { name: smokeName, state: objects ? jobState(objects, smokeName) : "missing" } : undefined,
        };
        return [color, colorStatus];
      }),
    ) as Record<Color, ColorStatus>;
    const selects = objects?.liveServices.get(n.liveService)?.spec?.selector?.color ?? null;
    return { name: n.service, liveService: n.liveService, selects, colors };
  });

  // The page's Deployment is labelled `app: <app>`, which readApp's selector includes.
  const maintenancePage = input.maintenancePage && { image: input.maintenancePage.image, deployment: deploymentStatus(objects, input.maintenancePage.deployment) };

  const records = objects ? recordsOf(objects.records) : [];
  const lastSwitch = [...records].reverse().find((r): r is SwitchRecord => r.kind === "switch") ?? null;
  const watch = [...records].reverse().find((r): r is WatchRecord => r.kind === "watch") ?? null;

  const selected = [...new Set(services.map((s) => s.selects))];
  const clusterLive = objects === undefined ? null : selected.length === 1 ? selected[0] : "split";
  const stateLive = reads.outputs instanceof Error ? null : typeof reads.outputs.activeColor === "string" ? reads.outputs.activeColor : null;
  const headLive = input.committed ? trafficOfState(input.committed) : null;

  const releaseJobs = objects
    ? [...objects.jobs.values()]
        .filter((job) => job.metadata?.labels?.role !== undefined && !String(job.metadata?.name).includes("-smoke-"))
        .map((job) => ({ name: String(job.metadata.name), role: String(job.metadata.labels.role), state: jobState(objects, job.metadata.name) }))
        .sort((a, b) => a.name.localeCompare(b.name))
    : [];

  const idle: Color = state.activeColor === "blue" ? "green" : "blue";
  const idleTarget = input.targets[idle];
  const inMaintenance = state.maintenance?.enabled === true;
  const rollback = !objects
    ? null
    : inMaintenance
      ? { to: idle, instant: false, problems: [`traffic is on the maintenance page: \`npx bluegreen maintenance off -s ${stack} --apply\` returns it to \`${state.activeColor}\``] }
      : idleTarget
      ? (() => {
          const problems = gateProblemsIn(idleTarget, objects);
          return { to: idle, instant: problems.length === 0, problems };
        })()
      : { to: idle, instant: false, problems: [`\`${idle}\` has no release of every service in ${input.stackFile}`] };

  const problems = driftProblems({ input, services, clusterLive, stateLive, headLive, lastSwitch });
  const onPage = services.some((s) => s.selects === MAINTENANCE);
  const pageProblem = onPage && maintenancePage ? maintenancePageProblem(maintenancePage.deployment, stack, input.namespace) : undefined;
  if (pageProblem) problems.push(pageProblem);
  for (const job of releaseJobs.filter((j) => j.state === "failed")) {
    problems.push({ kind: "release", message: `release Job \`${job.name}\` (${job.role}) failed`, fix: `kubectl logs -n ${input.namespace} job/${job.name}` });
  }
  for (const service of services) {
    for (const color of COLORS) {
      const c = service.colors[color];
      if (c.deployment.rollout !== "missing" && c.image && c.deployment.image && c.deployment.image !== c.image) {
        problems.push({
          kind: "image",
          message: `${color}'s \`${c.deployment.name}\` runs \`${c.deployment.image}\`, ${input.stackFile} says \`${c.image}\`: that release is not applied`,
          fix: `pulumi up -s ${stack}`,
        });
      }
    }
  }

  return {
    schema: STATUS_SCHEMA,
    stack,
    app: state.app,
    namespace: input.namespace,
    stackFile: input.stackFile,
    live: { stackFile: trafficOfState(state), head: headLive, state: stateLive, cluster: clusterLive },
    head: input.head ?? null,
    services,
    maintenancePage,
    releaseJobs,
    rollback,
    lastSwitch,
    watch,
    problems,
    unread,
  };
}

interface DriftFacts {
  readonly input: StatusInput;
  readonly services: readonly ServiceStatus[];
  readonly clusterLive: string | null;
  readonly stateLive: string | null;
  readonly headLive: Traffic | null;
  readonly lastSwitch: SwitchRecord | null;
}

/** `(rollback --apply by alice at 2026-12-03T03:12:09Z)`, when the cluster's last switch record explains it. */
export function switchedBy(record: ReleaseRecord | null, color: string): string {
  if (!record || record.kind !== "switch" || record.to !== color) return "";
  return ` (${record.how} by ${record.who} at ${record.at.replace(/\.\d+Z$/, "Z")})`;
}

/** Where the cluster, the stack file, HEAD and the Pulumi state disagree about the live color. */
function driftProblems({ input, services, clusterLive, stateLive, headLive, lastSwitch }: DriftFacts): Problem[] {
  const { state, stackFile } = input;
  const stack = state.stack;
  const fileLive = trafficOfState(state);
  const problems: Problem[] = [];
  const targets = input.names.map((n) => `--target '${n.urn}'`).join(" ");
  if (clusterLive === "split") {
    const each = services.map((s) => `\`${s.liveService}\` selects ${s.selects ?? "nothing"}`).join(", ");
    problems.push({
      kind: "split",
      message: `the live Services disagree (${each}): a switch did not finish`,
      fix: `pulumi up -s ${stack} ${targets}   (moves every live Service to ${stackFile}'s ${fileLive})`,
    });
  } else if (clusterLive !== null && clusterLive !== fileLive) {
    problems.push({
      kind: "drift",
      message: `the cluster serves \`${clusterLive}\`${switchedBy(lastSwitch, clusterLive)} but ${stackFile} says \`${fileLive}\`: traffic was switched outside this file, and the next \`pulumi up\` would switch it back`,
      fix: `git pull (if the switch was pushed), or make the file say what is live: npx bluegreen rollback -s ${stack}   then commit and push`,
    });
  } else if (clusterLive !== null && headLive !== null && clusterLive !== headLive) {
    problems.push({
      kind: "uncommitted",
      message: `the cluster and ${stackFile} serve \`${clusterLive}\`${switchedBy(lastSwitch, clusterLive)}, but HEAD says \`${headLive}\`: the switch is not committed, and a deploy from git would switch traffic back`,
      fix: `git commit ${stackFile} -m "${stack}: ${clusterLive} is live" && git push`,
    });
  }
  // The state's `activeColor` output names a color; the maintenance page is not compared with it.
  if (stateLive !== null && clusterLive !== null && clusterLive !== "split" && clusterLive !== MAINTENANCE && stateLive !== clusterLive) {
    problems.push({
      kind: "state",
      message: `the Pulumi state says \`${stateLive}\` is live, the cluster serves \`${clusterLive}\`: the state is stale (an update was interrupted, or someone patched the Services by hand)`,
      fix: `pulumi refresh -s ${stack} ${targets}`,
    });
  }
  return problems;
}

/**
 * Why the maintenance page cannot serve the traffic the live Services send it: its Deployment is
 * missing, scaled to 0, or has Pods not ready (users then get connection errors, not the page).
 */
function maintenancePageProblem(page: DeploymentStatus, stack: string, namespace: string): Problem | undefined {
  const absent = page.rollout === "missing" ? "is not in the cluster" : page.replicas === 0 ? "runs 0 replicas" : undefined;
  const why = absent ?? (page.ready < page.replicas ? `has ${page.ready} of ${page.replicas} Pods ready` : undefined);
  if (why === undefined) return undefined;
  return {
    kind: "maintenance",
    message: `traffic is on the maintenance page, but its Deployment \`${page.name}\` ${why}: users get errors, not the page`,
    fix: absent ? `pulumi up -s ${stack}   (starts the page)` : `kubectl describe deployment ${page.name} -n ${namespace}   (why its Pods are not ready)`,
  };
}

/** Whether the report shows the cluster and git disagreeing: the drift exit code. */
export function hasDrift(report: StatusReport): boolean {
  return report.problems.some((p) => p.kind === "drift" || p.kind === "uncommitted" || p.kind === "split");
}
