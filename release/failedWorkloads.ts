/**
 * What failed in a release, as the cluster tells it: the app's Jobs that failed lately (smoke,
 * migration, backup) and its Deployments whose rollout did not complete, each with the cluster's
 * reason (a Job's Failed condition; a Deployment's stuck rollout, or why its Pods are not ready:
 * `ImagePullBackOff`, `CrashLoopBackOff`, a failing readiness probe). One bounded kubectl read.
 */
import { kubectl } from "./cluster";
import { rolloutDone } from "./rollout";

export interface FailedWorkload {
  readonly kind: "Job" | "Deployment";
  readonly name: string;
  readonly reason: string;
}

/** Reads the app's Deployments, Jobs and Pods (one kubectl) and names what failed since `since`. */
export async function readFailedWorkloads(namespace: string, apps: readonly string[], since: Date): Promise<FailedWorkload[]> {
  const stdout = await kubectl(["get", "deployments,jobs,pods", "-n", namespace, "-l", `app in (${apps.join(",")})`, "-o", "json"]);
  return failedWorkloads(JSON.parse(stdout)?.items ?? [], since);
}

/** The failed Jobs (their failure after `since`) and the Deployments not rolled out, Jobs first, by name. */
export function failedWorkloads(items: readonly any[], since: Date): FailedWorkload[] {
  const ofKind = (kind: string) => items.filter((i) => i.kind === kind).sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  const pods = ofKind("Pod");
  const jobs = ofKind("Job").flatMap((job): FailedWorkload[] => {
    const failed = (job.status?.conditions ?? []).find((c: any) => c.type === "Failed" && c.status === "True");
    if (failed === undefined || Date.parse(failed.lastTransitionTime ?? "") < since.getTime()) return [];
    return [{ kind: "Job", name: job.metadata.name, reason: joined(failed.reason, failed.message) || "failed" }];
  });
  const deployments = ofKind("Deployment").flatMap((d): FailedWorkload[] => {
    const reason = rolloutProblem(d, pods);
    return reason === undefined ? [] : [{ kind: "Deployment", name: d.metadata.name, reason }];
  });
  return [...jobs, ...deployments];
}

/** Why the Deployment's rollout is not complete, or undefined when it is. */
function rolloutProblem(d: any, pods: readonly any[]): string | undefined {
  const status = d.status ?? {};
  const replicas: number = d.spec?.replicas ?? 1;
  const updated: number = status.updatedReplicas ?? 0;
  if (rolloutDone(d)) return undefined;
  const progressing = (status.conditions ?? []).find((c: any) => c.type === "Progressing");
  const counts = `${updated}/${replicas} updated, ${status.availableReplicas ?? 0} available${(status.replicas ?? 0) > updated ? `, ${status.replicas - updated} old` : ""}`;
  const stuck = progressing?.reason === "ProgressDeadlineExceeded" ? `${joined(progressing.reason, progressing.message)}; ` : "";
  const pod = podProblem(d, pods);
  return `${stuck}rollout not complete (${counts})${pod ? `: ${pod}` : ""}`;
}

/** The first reason a Pod of the Deployment gives for not being ready (a waiting or crashed container, a condition). */
function podProblem(d: any, pods: readonly any[]): string | undefined {
  const selector: Record<string, string> = d.spec?.selector?.matchLabels ?? {};
  const template = d.spec?.template?.spec?.containers?.[0]?.image;
  const mine = pods.filter((p) => Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v) && (template === undefined || p.spec?.containers?.[0]?.image === template));
  for (const pod of mine) {
    for (const c of pod.status?.containerStatuses ?? []) {
      if (c.ready) continue;
      const waiting = c.state?.waiting;
      if (waiting?.reason) return `Pod ${pod.metadata.name}: ${joined(waiting.reason, waiting.message)}`;
      const ended = c.state?.terminated ?? c.lastState?.terminated;
      if (ended?.reason) return `Pod ${pod.metadata.name}: ${joined(ended.reason, ended.message ?? (ended.exitCode !== undefined ? `exit code ${ended.exitCode}` : undefined))}`;
    }
    const unready = (pod.status?.conditions ?? []).find((c: any) => (c.type === "Ready" || c.type === "PodScheduled") && c.status === "False" && (c.reason || c.message));
    if (unready) return `Pod ${pod.metadata.name}: ${joined(unready.reason, unready.message)}`;
  }
  return mine.length === 0 ? undefined : `Pod ${mine[0].metadata.name} not ready`;
}

function joined(reason?: string, message?: string): string {
  const text = [reason, message].filter((s) => typeof s === "string" && s.trim() !== "").join(": ");
  return text.split(/\r?\n/, 1)[0] ?? "";
}
