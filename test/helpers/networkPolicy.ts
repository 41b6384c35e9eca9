/**
 * A small evaluator of Kubernetes NetworkPolicy semantics over rendered policies, so tests can state
 * "this connection is allowed, that one is denied" instead of only comparing objects:
 *  - a Pod selected by no policy of a type (Ingress, Egress) is not isolated for that direction;
 *  - a selected Pod accepts (sends) a connection only if some rule of some selecting policy allows it;
 *  - a connection between two Pods needs the sender's egress and the receiver's ingress.
 * Named ports, endPort and IPv6 are not needed by this program and not modelled.
 */

export interface Workload {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ip?: string;
}
/** Either a Pod or an address outside the cluster. */
export type Endpoint = Workload | { readonly ip: string };

export interface Connection {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  readonly protocol?: "TCP" | "UDP";
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function isPod(e: Endpoint): e is Workload {
  return "labels" in e;
}

export function selects(selector: Selector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === "In" && !(has && e.values!.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && e.values!.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

function ipv4(ip: string): number {
  return ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

function peerMatches(peer: any, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) {
    if (!other.ip || !inCidr(other.ip, peer.ipBlock.cidr)) return false;
    return !(peer.ipBlock.except ?? []).some((c: string) => inCidr(other.ip!, c));
  }
  if (!isPod(other)) return false;
  if (peer.namespaceSelector) {
    if (!selects(peer.namespaceSelector, { "kubernetes.io/metadata.name": other.namespace })) return false;
  } else if (other.namespace !== policyNamespace) {
    return false;
  }
  return selects(peer.podSelector, other.labels);
}

function portMatches(ports: any[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? "TCP") === protocol && (p.port === undefined || p.port === port));
}

/** The policies (rendered NetworkPolicy objects) that isolate `pod` for `type`. */
function isolating(policies: readonly any[], pod: Workload, type: "Ingress" | "Egress"): any[] {
  return policies.filter((p) => p.metadata.namespace === pod.namespace && p.spec.policyTypes.includes(type) && selects(p.spec.podSelector, pod.labels));
}

function allowedBy(policies: readonly any[], pod: Workload, type: "Ingress" | "Egress", other: Endpoint, port: number, protocol: string): boolean {
  const selecting = isolating(policies, pod, type);
  if (selecting.length === 0) return true;
  const key = type === "Ingress" ? "ingress" : "egress";
  const peers = type === "Ingress" ? "from" : "to";
  return selecting.some((p) =>
    (p.spec[key] ?? []).some(
      (rule: any) => (!rule[peers] || rule[peers].length === 0 || rule[peers].some((peer: any) => peerMatches(peer, p.metadata.namespace, other))) && portMatches(rule.ports, port, protocol),
    ),
  );
}

/** Whether the policies let this connection through. */
export function allowed(policies: readonly any[], c: Connection): boolean {
  const protocol = c.protocol ?? "TCP";
  if (isPod(c.from) && !allowedBy(policies, c.from, "Egress", c.to, c.port, protocol)) return false;
  if (isPod(c.to) && !allowedBy(policies, c.to, "Ingress", c.from, c.port, protocol)) return false;
  return true;
}
