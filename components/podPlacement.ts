/**
 * How every long-running Deployment of the app rolls out and spreads: a new Pod comes up before an
 * old one goes (no capacity lost during a rollout), and Pods spread over nodes and zones when the
 * scheduler can (never blocking scheduling when it cannot).
 */
export const ROLLING_UPDATE = { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } };

/** Spread the Pods with these labels over nodes, then zones, as far as the cluster allows. */
export function spreadOverNodesAndZones(labels: Record<string, string>) {
  return ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: labels },
  }));
}
