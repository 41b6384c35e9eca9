/**
 * The live Services as they are deployed now, read from the cluster the stack deploys to. A policy
 * sees only the new inputs of a resource (@pulumi/policy passes no old state), so the policy that
 * compares a live Service's old and new selector reads the old one where it is served: the cluster.
 *
 * One `kubectl get services -l role=live` per namespace and cluster, with a timeout, kept for the
 * rest of the run: every live Service of the app is compared with the same read, taken before any
 * of them changed. kubectl brings the credentials and context the preview itself uses.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LIVE_ROLE } from "../domain/names";

/** What the comparison needs of a deployed live Service. */
export interface DeployedLiveService {
  readonly selector?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Which cluster: the Kubernetes provider's `context` and `kubeconfig` (a path or the file's text); unset: kubectl's defaults (KUBECONFIG). */
export interface ClusterRef {
  readonly context?: string;
  readonly kubeconfig?: string;
}

/** The deployed live Service `name` of `namespace`, or undefined when it is not deployed (yet). Rejects when the cluster cannot be read. */
export type DeployedReader = (namespace: string, name: string, cluster: ClusterRef) => Promise<DeployedLiveService | undefined>;

const KUBECTL_TIMEOUT_MS = 10_000;

/** The live Services of a namespace by name, from one kubectl call. */
async function listLiveServices(namespace: string, cluster: ClusterRef): Promise<Map<string, DeployedLiveService>> {
  const inline = cluster.kubeconfig !== undefined && /^\s*(apiVersion|\{|clusters:|kind:)/.test(cluster.kubeconfig);
  const dir = inline ? fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-policy-")) : undefined;
  try {
    let kubeconfigPath = cluster.kubeconfig;
    if (dir) {
      kubeconfigPath = path.join(dir, "kubeconfig");
      fs.writeFileSync(kubeconfigPath, cluster.kubeconfig!, { mode: 0o600 });
    }
    const args = [
      "get",
      "services",
      "-n",
      namespace,
      "-l",
      `role=${LIVE_ROLE}`,
      "-o",
      "json",
      `--request-timeout=${KUBECTL_TIMEOUT_MS / 1000}s`,
      ...(cluster.context ? ["--context", cluster.context] : []),
      ...(kubeconfigPath ? ["--kubeconfig", kubeconfigPath] : []),
    ];
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile("kubectl", args, { timeout: KUBECTL_TIMEOUT_MS + 2_000, maxBuffer: 16 * 1024 * 1024 }, (error, out, stderr) => {
        if (!error) return resolve(out);
        const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "kubectl is not on PATH" : stderr.trim().split("\n")[0] || error.message;
        reject(new Error(`kubectl get services -n ${namespace} -l role=${LIVE_ROLE}: ${why}`));
      }),
    );
    const items: any[] = JSON.parse(stdout).items ?? [];
    return new Map(items.map((item) => [item.metadata?.name as string, { selector: item.spec?.selector, annotations: item.metadata?.annotations }]));
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A DeployedReader through kubectl, reading each namespace of each cluster once. */
export function kubectlReader(): DeployedReader {
  const lists = new Map<string, Promise<Map<string, DeployedLiveService>>>();
  return async (namespace, name, cluster) => {
    const key = JSON.stringify([cluster.context ?? "", cluster.kubeconfig ?? "", namespace]);
    let list = lists.get(key);
    if (!list) {
      list = listLiveServices(namespace, cluster);
      lists.set(key, list);
      // A failed read is not kept: the next Service tries again (and reports its own failure).
      list.catch(() => lists.delete(key));
    }
    return (await list).get(name);
  };
}
