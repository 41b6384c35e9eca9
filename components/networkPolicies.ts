/**
 * The app's NetworkPolicies, in its namespace: every Pod labelled `app: <app>` is denied all traffic
 * in both directions except what one of these allows.
 *
 *   <app>-allow-colors      the colors' Pods (`color` label, no `role`): in, the app port from the
 *                           ingress source and from the smoke Jobs (the preview Services reach the
 *                           same Pods); out, DNS, the database and `appEgress`
 *   <app>-allow-smoke       smoke Jobs: out, DNS and the colors' Pods on the app port; nothing in
 *   <app>-allow-migrations  migration Jobs: out, DNS and the database; nothing in
 *   <app>-allow-backups     backup, pre-migration backup and restore-check Jobs: out, DNS, the
 *                           database and the AWS endpoints (443); nothing in
 *   <app>-default-deny      everything else of the app, both directions
 *
 * With a `maintenance` section, the maintenance page's Pods get `<app>-allow-maintenance`
 * (maintenancePodsPolicySpec, declared by components/maintenancePage.ts): in, what the live
 * Services get; out, nothing. A service that calls others may reach those Pods too.
 *
 * Ports are the Pods' own: a Service's port is translated to the Pod's before the policy applies.
 * Nothing here depends on the active color, and nothing on the switch path depends on these
 * (a policy selects Pods by label whenever they appear). The default-deny is created after the
 * allow policies, so a Job never starts between the two with its traffic cut.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { COLORS } from "../config";

type Input = k8s.types.input.networking.v1.NetworkPolicySpec;
type Rule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

export interface NetworkPoliciesArgs {
  /** App name: the `app` label every policy selects on, and the policies' name prefix. */
  readonly app: string;
  /** Namespace of the app and its policies. */
  readonly namespace: string;
  /** The colors' container port (named `http`). */
  readonly port: number;
  /**
   * Where the colors' traffic comes from: CIDRs, and/or Pods matching both selectors.
   * @default any source (on `port` only)
   */
  readonly ingress?: {
    readonly cidrs?: readonly string[];
    readonly namespaceSelector?: Readonly<Record<string, string>>;
    readonly podSelector?: Readonly<Record<string, string>>;
  };
  /** The database: CIDRs (absent: any address) and port. */
  readonly database: { readonly cidrs?: readonly string[]; readonly port: number };
  /** The AWS endpoints, on 443: CIDRs (absent: any address). */
  readonly aws: { readonly cidrs?: readonly string[] };
  /** Further destinations of the colors' Pods. @default [] */
  readonly appEgress?: readonly { readonly cidrs: readonly string[]; readonly ports: readonly number[] }[];
  /** Which Jobs the stack runs: each gets its own allow policy. */
  readonly jobs: { readonly smoke: boolean; readonly migrations: boolean; readonly backups: boolean };
  /**
   * Whether Pods of colors carry this `app` label (an app of several services labels each service's
   * Pods with its qualified name, and its app-wide Jobs with the app's). @default true
   */
  readonly colorPods?: boolean;
  /**
   * Other services (their `app` label) whose Pods may call this one's on `port`. A service with
   * callers is internal: the `ingress` sources do not reach it. @default []
   */
  readonly callers?: readonly string[];
  /** Services this one calls: their `app` label and container port. @default [] */
  readonly callees?: readonly { readonly app: string; readonly port: number }[];
  /**
   * The app's maintenance page: its Pods' labels and port. A service with callees may reach it too,
   * since in maintenance its callees' live Services select those Pods. @default none
   */
  readonly maintenancePods?: { readonly labels: Readonly<Record<string, string>>; readonly port: number };
}

/**
 * Where the live Services' traffic comes from, as the colors' policies admit it: the ingress
 * sources reach a service without callers; a service with callers is reached by their colors only.
 */
export interface LiveTrafficSources {
  /** The ingress sources. @default any source */
  readonly ingress?: NetworkPoliciesArgs["ingress"];
  /** Whether some service of the app has no callers, so the ingress sources reach its live Service. */
  readonly external: boolean;
  /** The `app` labels of every service that calls another one of the app. */
  readonly callers: readonly string[];
}

/** The namespace CoreDNS runs in, by the label Kubernetes sets on every namespace. */
export const DNS_NAMESPACE = "kube-system";
export const AWS_ENDPOINT_PORT = 443;

/** Egress to the cluster DNS: kube-system, UDP and TCP 53. */
export function dnsEgress(): Rule {
  return {
    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": DNS_NAMESPACE } } }],
    ports: [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ],
  };
}

/** `to`/`from` for a list of CIDRs; absent means any address (the key is left out). */
function ipBlocks(cidrs: readonly string[] | undefined): { to?: Peer[] } {
  return cidrs ? { to: cidrs.map((cidr) => ({ ipBlock: { cidr } })) } : {};
}

function tcp(...ports: number[]) {
  return ports.map((port) => ({ protocol: "TCP", port }));
}

/** The colors' Pods of one service, by its `app` label: the smoke Jobs' Pods carry `color` too, but also `role`. */
function colorsSelectorOf(app: string) {
  return {
    matchLabels: { app },
    matchExpressions: [
      { key: "color", operator: "In", values: [...COLORS] },
      { key: "role", operator: "DoesNotExist" },
    ],
  };
}

/** The peers the `ingress` config names; empty: any source. */
function ingressPeersOf(ingress: NetworkPoliciesArgs["ingress"]): Peer[] {
  const peers: Peer[] = [];
  if (ingress?.namespaceSelector || ingress?.podSelector) {
    peers.push({
      ...(ingress.namespaceSelector ? { namespaceSelector: { matchLabels: { ...ingress.namespaceSelector } } } : {}),
      ...(ingress.podSelector ? { podSelector: { matchLabels: { ...ingress.podSelector } } } : {}),
    });
  }
  for (const cidr of ingress?.cidrs ?? []) peers.push({ ipBlock: { cidr } });
  return peers;
}

/**
 * The maintenance page Pods' policy: in, on `port`, whatever reaches the live Services (the
 * ingress sources when a service has no callers, the callers' colors); out, nothing (the page
 * calls nobody, not even DNS).
 */
export function maintenancePodsPolicySpec(podLabels: Readonly<Record<string, string>>, port: number, sources: LiveTrafficSources): Input {
  const peers = ingressPeersOf(sources.ingress);
  return {
    podSelector: { matchLabels: { ...podLabels } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      ...(sources.external ? [{ ...(peers.length > 0 ? { from: peers } : {}), ports: tcp(port) }] : []),
      ...(sources.callers.length > 0 ? [{ from: sources.callers.map((caller) => ({ podSelector: colorsSelectorOf(caller) })), ports: tcp(port) }] : []),
    ],
    egress: [],
  };
}

export class NetworkPolicies extends pulumi.ComponentResource {
  /** The policies by role: `colors`, `smoke`, `migrations`, `backups`, `defaultDeny`. */
  public readonly policies: Readonly<Record<string, k8s.networking.v1.NetworkPolicy>>;
  /** Kubernetes names of the policies. */
  public readonly policyNames: readonly string[];

  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.ingress && !args.ingress.cidrs && !args.ingress.namespaceSelector && !args.ingress.podSelector) {
      throw new Error(`NetworkPolicies ${name}: \`ingress\` names no source; give \`cidrs\` or selectors, or leave it out to accept any source`);
    }
    super("bluegreen:k8s:NetworkPolicies", name, {}, opts);

    const app = args.app;
    const labels = { app, component: "network-policy" };
    const colorsSelector = colorsSelectorOf(app);
    const database: Rule = { ...ipBlocks(args.database.cidrs), ports: tcp(args.database.port) };
    const aws: Rule = { ...ipBlocks(args.aws.cidrs), ports: tcp(AWS_ENDPOINT_PORT) };
    const ingressPeers = ingressPeersOf(args.ingress);

    const policy = (role: string, objectName: string, spec: Input, dependsOn: pulumi.Resource[] = []) =>
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${role}`,
        { metadata: { name: objectName, namespace: args.namespace, labels }, spec },
        { parent: this, dependsOn },
      );

    // Another service's colors, by its `app` label (its Pods carry `color` and no `role`).
    const serviceColors = (other: string) => ({ podSelector: colorsSelectorOf(other) });
    const allow: Record<string, k8s.networking.v1.NetworkPolicy> = {};
    if (args.colorPods ?? true) {
      allow.colors = policy("colors", `${app}-allow-colors`, {
        podSelector: colorsSelector,
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          // A service with callers is internal: only they reach it, not the ingress sources.
          ...((args.callers ?? []).length === 0 ? [{ ...(ingressPeers.length > 0 ? { from: ingressPeers } : {}), ports: tcp(args.port) }] : []),
          // The preview Services send the smoke Jobs' requests to these same Pods.
          { from: [{ podSelector: { matchLabels: { app, role: "smoke" } } }], ports: tcp(args.port) },
          ...((args.callers ?? []).length > 0 ? [{ from: (args.callers ?? []).map(serviceColors), ports: tcp(args.port) }] : []),
        ],
        egress: [
          dnsEgress(),
          database,
          ...(args.appEgress ?? []).map((rule) => ({ ...ipBlocks(rule.cidrs), ports: tcp(...rule.ports) })),
          ...(args.callees ?? []).map((callee) => ({ to: [serviceColors(callee.app)], ports: tcp(callee.port) })),
          // In maintenance a callee's live Service sends these Pods' calls to the maintenance page.
          ...(args.maintenancePods && (args.callees ?? []).length > 0
            ? [{ to: [{ podSelector: { matchLabels: { ...args.maintenancePods.labels } } }], ports: tcp(args.maintenancePods.port) }]
            : []),
        ],
      });
    }
    if (args.jobs.smoke) {
      allow.smoke = policy("smoke", `${app}-allow-smoke`, {
        podSelector: { matchLabels: { app, role: "smoke" } },
        policyTypes: ["Ingress", "Egress"],
        egress: [dnsEgress(), { to: [{ podSelector: colorsSelector }], ports: tcp(args.port) }],
      });
    }
    if (args.jobs.migrations) {
      allow.migrations = policy("migrations", `${app}-allow-migrations`, {
        podSelector: { matchLabels: { app, role: "migration" } },
        policyTypes: ["Ingress", "Egress"],
        egress: [dnsEgress(), database],
      });
    }
    if (args.jobs.backups) {
      allow.backups = policy("backups", `${app}-allow-backups`, {
        podSelector: { matchLabels: { app, component: "backups" } },
        policyTypes: ["Ingress", "Egress"],
        egress: [dnsEgress(), database, aws],
      });
    }
    const defaultDeny = policy(
      "default-deny",
      `${app}-default-deny`,
      { podSelector: { matchLabels: { app } }, policyTypes: ["Ingress", "Egress"] },
      Object.values(allow),
    );

    this.policies = { ...allow, defaultDeny };
    this.policyNames = [...Object.keys(allow).map((role) => `${app}-allow-${role}`), `${app}-default-deny`];
    this.registerOutputs({ policyNames: this.policyNames });
  }
}
