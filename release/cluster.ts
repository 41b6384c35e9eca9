/**
 * The few reads of the Kubernetes API the switch needs, through `kubectl` (the on-call machine's own
 * credentials and context). Every call has a timeout.
 */
import { execFile, spawn } from "node:child_process";
import { LIVE_ROLE, liveServicesSelector, RECORD_LABEL } from "../domain/names";

export class ClusterError extends Error {}

const KUBECTL_TIMEOUT_MS = 10_000;

/**
 * The kubeconfig context every call uses: the stack's `kubernetes:context` when it sets one (the
 * context `pulumi up` talks to), else kubectl's current context. Set once, at the command's start.
 */
let context: string | undefined;
export function useKubeContext(name: string | undefined): void {
  context = name;
}
const contextArgs = () => (context ? ["--context", context] : []);

/** kubectl's own reason: its last line (client-go logs noise such as `memcache.go` lines before it). */
function kubectlReason(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trim()).filter(Boolean);
  return lines.filter((line) => !/^[EWI]\d{4} /.test(line)).pop() ?? lines.pop() ?? "";
}

/** Runs kubectl (bounded by its request timeout and a process timeout); resolves with its stdout. */
export function kubectl(args: readonly string[], input?: string, timeoutMs = KUBECTL_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "kubectl",
      [...contextArgs(), ...args, `--request-timeout=${timeoutMs / 1000}s`],
      { timeout: timeoutMs + 2_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "kubectl is not on PATH" : error.killed ? `no answer within ${timeoutMs / 1000} s` : kubectlReason(stderr) || error.message;
          reject(new ClusterError(`kubectl ${args.join(" ")}: ${why}`));
          return;
        }
        resolve(stdout);
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function kubectlJson(args: readonly string[], timeoutMs = KUBECTL_TIMEOUT_MS): Promise<any> {
  const stdout = await kubectl([...args, "-o", "json"], undefined, timeoutMs);
  try {
    return JSON.parse(stdout);
  } catch {
    throw new ClusterError(`kubectl ${args.join(" ")}: did not print JSON`);
  }
}

/** The `color` the Service selects, or undefined when its selector has none. */
export async function selectedColor(namespace: string, service: string, timeoutMs?: number): Promise<string | undefined> {
  const svc = await kubectlJson(["get", "service", service, "-n", namespace], timeoutMs);
  return svc?.spec?.selector?.color;
}

/** The Deployments and Jobs of some services, by name, from one read (one kubectl, whatever their number). */
export interface Workloads {
  readonly deployments: ReadonlyMap<string, any>;
  readonly jobs: ReadonlyMap<string, any>;
}

/**
 * Reads every Deployment and Job labelled with one of these `app` labels (the services' qualified
 * names) in one `kubectl get`: a switch of ten services costs one process, not twenty.
 */
export async function readWorkloads(namespace: string, apps: readonly string[]): Promise<Workloads> {
  const list = await kubectlJson(["get", "deployments,jobs", "-n", namespace, "-l", `app in (${apps.join(",")})`]);
  const deployments = new Map<string, any>();
  const jobs = new Map<string, any>();
  for (const item of list?.items ?? []) (item.kind === "Deployment" ? deployments : jobs).set(item.metadata?.name, item);
  return { deployments, jobs };
}

/** Everything of an app that `status` shows, from one read. */
export interface AppObjects extends Workloads {
  /** The live Services, by name. */
  readonly liveServices: ReadonlyMap<string, any>;
  /** The switch records the CLI wrote (ConfigMaps), oldest first. */
  readonly records: readonly any[];
}

/**
 * Reads the live Services, Deployments, Jobs and switch records labelled with one of these `app`
 * labels in one `kubectl get` (status answers within a second or two, whatever the app's size).
 */
export async function readApp(namespace: string, apps: readonly string[]): Promise<AppObjects> {
  const list = await kubectlJson(["get", "services,deployments,jobs,configmaps", "-n", namespace, "-l", `app in (${apps.join(",")})`]);
  const deployments = new Map<string, any>();
  const jobs = new Map<string, any>();
  const liveServices = new Map<string, any>();
  const records: any[] = [];
  for (const item of list?.items ?? []) {
    const name = item.metadata?.name;
    if (item.kind === "Deployment") deployments.set(name, item);
    else if (item.kind === "Job") jobs.set(name, item);
    else if (item.kind === "Service" && item.metadata?.labels?.role === LIVE_ROLE) liveServices.set(name, item);
    else if (item.kind === "ConfigMap" && item.metadata?.labels?.[RECORD_LABEL] !== undefined) records.push(item);
  }
  records.sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  return { deployments, jobs, liveServices, records };
}

/** Whether the Job exists and completed successfully. */
export function jobState(workloads: Workloads, job: string): "complete" | "failed" | "running" | "missing" {
  const obj = workloads.jobs.get(job);
  if (obj === undefined) return "missing";
  const conditions: { type: string; status: string }[] = obj?.status?.conditions ?? [];
  if (conditions.some((c) => c.type === "Complete" && c.status === "True")) return "complete";
  if (conditions.some((c) => c.type === "Failed" && c.status === "True")) return "failed";
  return "running";
}

/**
 * Why the Deployment cannot take traffic now (another image than the stack file's, a rollout pending
 * or stuck, Pods not ready), or undefined.
 */
export function deploymentProblem(workloads: Workloads, name: string, image: string): string | undefined {
  const d = workloads.deployments.get(name);
  if (d === undefined) return `Deployment \`${name}\` is not in the cluster`;
  const wanted: number = d.spec?.replicas ?? 1;
  const status = d.status ?? {};
  if (wanted === 0) return `Deployment \`${name}\` runs 0 replicas`;
  const running = d.spec?.template?.spec?.containers?.[0]?.image;
  if (running !== image) return `Deployment \`${name}\` runs \`${running}\`, not the stack file's \`${image}\` (its release was never applied)`;
  if ((status.observedGeneration ?? 0) < (d.metadata?.generation ?? 0) || (status.updatedReplicas ?? 0) < wanted) {
    return `Deployment \`${name}\` has a rollout in progress or stuck (${status.updatedReplicas ?? 0} of ${wanted} Pods on its current template)`;
  }
  if ((status.availableReplicas ?? 0) < wanted) return `Deployment \`${name}\` has ${status.availableReplicas ?? 0} of ${wanted} Pods available`;
  return undefined;
}

/**
 * Resolves with the time (ms since the epoch) the Service is first seen selecting `color`, from one
 * `kubectl get --watch` stream (polling would spawn a process every few hundred ms, taking CPU from
 * the `pulumi up` it times). `stop()` ends the stream; the promise then resolves with undefined.
 */
export function watchSelectedColor(namespace: string, service: string, color: string): { seen: Promise<number | undefined>; stop: () => void } {
  const child = spawn("kubectl", [...contextArgs(), "get", "service", service, "-n", namespace, "--watch", "-o", "jsonpath={.spec.selector.color}{\"\\n\"}"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let buffered = "";
  const seen = new Promise<number | undefined>((resolve) => {
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      if (lines.some((line) => line.trim() === color)) {
        resolve(Date.now());
        child.kill();
      }
    });
    child.on("close", () => resolve(undefined));
    child.on("error", () => resolve(undefined));
  });
  return { seen, stop: () => child.kill() };
}

/**
 * Resolves with the time (ms since the epoch) each live Service of `services` is first seen
 * selecting `color`, from one `kubectl get services --watch` stream over the app's live Services
 * (label `role=live`, their `app` label being their name). It resolves once every one was seen, or
 * when the stream ends (`stop()`), with the ones seen so far.
 */
export function watchSelectedColors(
  namespace: string,
  services: readonly string[],
  color: string,
): { seen: Promise<ReadonlyMap<string, number>>; stop: () => void } {
  const selector = liveServicesSelector(services);
  const child = spawn(
    "kubectl",
    [...contextArgs(), "get", "services", "-n", namespace, "-l", selector, "--watch", "-o", "jsonpath={.metadata.name}{\" \"}{.spec.selector.color}{\"\\n\"}"],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  const flipped = new Map<string, number>();
  let buffered = "";
  const seen = new Promise<ReadonlyMap<string, number>>((resolve) => {
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      const now = Date.now();
      for (const line of lines) {
        const [name, selected] = line.trim().split(" ");
        if (selected === color && services.includes(name) && !flipped.has(name)) flipped.set(name, now);
      }
      if (flipped.size === services.length) {
        resolve(flipped);
        child.kill();
      }
    });
    child.on("close", () => resolve(flipped));
    child.on("error", () => resolve(flipped));
  });
  return { seen, stop: () => child.kill() };
}
