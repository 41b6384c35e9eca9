/**
 * The maintenance page from the real stack files with a `maintenance` section added: its Deployment
 * (exact inputs: hardening, probe, env, labels), the live Services' selector with maintenance on and
 * off, a dependency graph that neither the toggle nor `activeColor` changes, its NetworkPolicy (exact,
 * then proven with the evaluator), and a stack without the section left as it was.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { allowed, Endpoint, Workload } from "../helpers/networkPolicy";
import { changedResources, oneService, PlainConfig, ProgramRun, runProgram } from "../helpers/program";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const PAGE = "bluegreen:k8s:MaintenancePage";
const LIVE = ["web-live", "web-bff-live"];

const withMaintenance = (section: Record<string, unknown>) => (c: PlainConfig) => {
  c.maintenance = section;
};

/** The maintenance page's Deployment as staging declares it (jobs image `ghcr.io/acme/web-jobs:1.5.0-rc.2`). */
const pageDeployment = (message: string, retryAfterSeconds: number, replicas: number) => {
  const labels = { app: "web", color: "maintenance" };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web-maintenance", namespace: "web-staging", labels },
    spec: {
      replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
          terminationGracePeriodSeconds: 30,
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
          ],
          containers: [
            {
              name: "maintenance-page",
              image: "ghcr.io/acme/web-jobs:1.5.0-rc.2",
              imagePullPolicy: "IfNotPresent",
              command: ["node", "dist/jobs/cli.js", "maintenance-page"],
              env: [
                { name: "MAINTENANCE_PORT", value: "8080" },
                { name: "MAINTENANCE_MESSAGE", value: message },
                { name: "MAINTENANCE_RETRY_AFTER_SECONDS", value: String(retryAfterSeconds) },
                { name: "MAINTENANCE_SHUTDOWN_DELAY_SECONDS", value: "5" },
              ],
              ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
              resources: {
                requests: { cpu: "10m", memory: "64Mi", "ephemeral-storage": "16Mi" },
                limits: { cpu: "200m", memory: "128Mi", "ephemeral-storage": "64Mi" },
              },
              readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
              livenessProbe: { tcpSocket: { port: "http" }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
};

/** A live Service of staging in a stack with the section: it records `activeColor`, whatever it selects. */
const liveService = (name: string, activeColor: string, selector: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: {
    name,
    namespace: "web-staging",
    labels: { app: name, role: "live" },
    annotations: { "pulumi.com/skipAwait": "true", "bluegreen.dev/active-color": activeColor },
  },
  spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
});

describe("the maintenance page of staging (web and its BFF)", () => {
  let off: ProgramRun;
  let on: ProgramRun;
  beforeAll(async () => {
    // One program run at a time: the Pulumi runtime is one per process.
    off = await runProgram("staging", { edit: withMaintenance({}) });
    on = await runProgram("staging", { edit: withMaintenance({ enabled: true }) });
    expect(off.error).toBeUndefined();
    expect(on.error).toBeUndefined();
  });

  it("one Deployment for the app, from the jobs image, hardened, with a TCP probe, its settings as env and the Pods labelled for every live Service", () => {
    for (const run of [off, on]) {
      const page = run.get(DEPLOYMENT, "web-maintenance");
      expect(page.inputs).toEqual(pageDeployment("We are down for scheduled maintenance and will be back shortly.", 300, 1));
      expect(page.parent).toBe(run.get(PAGE, "web-maintenance").urn);
      expect(page.dependencies).toEqual([]);
      expect(page.customTimeouts).toMatchObject({ create: "600s", update: "600s" });
      expect(run.ofType(PAGE)).toHaveLength(1);
    }
  });

  it("takes the message, retry and replicas from the section, the message as given (escaping is the page's job)", async () => {
    const message = `Back at 14:00 UTC <b>"soon"</b> & then`;
    const run = await runProgram("staging", { edit: withMaintenance({ message, retryAfterSeconds: 900, replicas: 2 }) });
    expect(run.error).toBeUndefined();
    expect(run.get(DEPLOYMENT, "web-maintenance").inputs).toEqual(pageDeployment(message, 900, 2));
  });

  it("while enabled every live Service selects the page's Pods, else its own active color; each records activeColor", () => {
    expect(on.get(SERVICE, "web-live").inputs).toEqual(liveService("web", "green", { app: "web", color: "maintenance" }));
    expect(on.get(SERVICE, "web-bff-live").inputs).toEqual(liveService("web-bff", "green", { app: "web", color: "maintenance" }));
    expect(off.get(SERVICE, "web-live").inputs).toEqual(liveService("web", "green", { app: "web", color: "green" }));
    expect(off.get(SERVICE, "web-bff-live").inputs).toEqual(liveService("web-bff", "green", { app: "web-bff", color: "green" }));
    // What the page's Pods carry is what the live Services select.
    const podLabels = on.get(DEPLOYMENT, "web-maintenance").inputs.spec.template.metadata.labels;
    for (const name of LIVE) expect(on.get(SERVICE, name).inputs.spec.selector, name).toEqual(podLabels);
    expect(on.get(DEPLOYMENT, "web-maintenance").inputs.spec.template.spec.containers[0].ports[0].name).toBe(on.get(SERVICE, "web-live").inputs.spec.ports[0].targetPort);
  });

  it("toggling changes the live Services' selectors and nothing else: same resources, same dependencies", () => {
    expect(changedResources(off, on)).toEqual(LIVE.map((name) => `${SERVICE}::${name}`).sort());
    for (const r of off.resources) {
      const other = on.get(r.type, r.name);
      expect(other.dependencies, `${r.type} ${r.name}`).toEqual(r.dependencies);
      expect(other.parent, `${r.type} ${r.name}`).toBe(r.parent);
    }
  });

  it("each live Service waits on the page's Deployment whether or not maintenance is on and whichever color is live; nothing waits on a live Service", async () => {
    const promoted = await runProgram("staging", { edit: (c) => ((c.maintenance = { enabled: true }), (c.activeColor = "blue")) });
    expect(promoted.error).toBeUndefined();
    for (const run of [off, on, promoted]) {
      const page = run.get(DEPLOYMENT, "web-maintenance").urn;
      for (const name of LIVE) {
        const live = run.get(SERVICE, name);
        expect(live.dependencies, name).toContain(page);
        expect(run.resources.filter((r) => r.dependencies.includes(live.urn)), name).toEqual([]);
      }
    }
    // A promotion in maintenance moves the record of activeColor (and the color gates), not the selector or the page.
    expect(changedResources(on, promoted)).toEqual(LIVE.map((name) => `${SERVICE}::${name}`).sort());
    expect(promoted.get(SERVICE, "web-live").inputs).toEqual(liveService("web", "blue", { app: "web", color: "maintenance" }));
  });

  it("registers the page's policy in the stack output", () => {
    expect(on.outputs.networkPolicies).toEqual([
      "web-allow-colors",
      "web-allow-smoke",
      "web-allow-migrations",
      "web-allow-backups",
      "web-default-deny",
      "web-bff-allow-colors",
      "web-bff-allow-smoke",
      "web-bff-default-deny",
      "web-allow-maintenance",
    ]);
  });

  describe("NetworkPolicies", () => {
    const policies = () => on.ofType(POLICY).map((p) => p.inputs);
    const colorsOf = (app: string) => ({
      matchLabels: { app },
      matchExpressions: [
        { key: "color", operator: "In", values: ["blue", "green"] },
        { key: "role", operator: "DoesNotExist" },
      ],
    });

    it("the page's Pods accept the ingress sources (web has no callers) and web's colors (the BFF's callers), on 8080; they send nothing", () => {
      const policy = on.get(POLICY, "web-maintenance-network");
      expect(policy.inputs).toEqual({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "web-allow-maintenance", namespace: "web-staging", labels: { app: "web", component: "network-policy" } },
        spec: {
          podSelector: { matchLabels: { app: "web", color: "maintenance" } },
          policyTypes: ["Ingress", "Egress"],
          ingress: [
            { from: [{ ipBlock: { cidr: "10.0.0.0/16" } }], ports: [{ protocol: "TCP", port: 8080 }] },
            { from: [{ podSelector: colorsOf("web") }], ports: [{ protocol: "TCP", port: 8080 }] },
          ],
          egress: [],
        },
      });
      expect(policy.parent).toBe(on.get(PAGE, "web-maintenance").urn);
    });

    it("web's colors, which call the BFF, may reach the page's Pods: in maintenance the BFF's live Service sends them there", () => {
      const egress = on.get(POLICY, "web-network-colors").inputs.spec.egress;
      expect(egress[egress.length - 1]).toEqual({ to: [{ podSelector: { matchLabels: { app: "web", color: "maintenance" } } }], ports: [{ protocol: "TCP", port: 8080 }] });
      expect(changedResources(off, on).filter((k) => k.startsWith(POLICY))).toEqual([]);
      // The BFF calls nobody: its policy is as without the section.
      expect(on.get(POLICY, "web-bff-network-colors").inputs).toEqual(off.get(POLICY, "web-bff-network-colors").inputs);
    });

    it("what they allow and deny to and from the page's Pods", () => {
      const ns = "web-staging";
      const pod = (labels: Record<string, string>, namespace = ns): Workload => ({ namespace, labels });
      const page = pod({ app: "web", color: "maintenance" });
      const web = pod({ app: "web", color: "green" });
      const bff = pod({ app: "web-bff", color: "blue" });
      const smoke = pod({ app: "web", color: "green", role: "smoke" });
      const coredns = pod({ "k8s-app": "kube-dns" }, "kube-system");
      const otherApp = pod({ app: "shop" }, "shop-staging");
      const alb = { ip: "10.0.12.34" };
      const internet = { ip: "203.0.113.9" };
      const database = { ip: "10.0.48.10" };
      const can = (from: Endpoint, to: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP") => allowed(policies(), { from, to, port, protocol });
      expect([can(alb, page, 8080), can(web, page, 8080)]).toEqual([true, true]);
      expect([can(alb, page, 9090), can(internet, page, 8080), can(otherApp, page, 8080), can(smoke, page, 8080), can(bff, page, 8080)]).toEqual([false, false, false, false, false]);
      expect([can(page, coredns, 53, "UDP"), can(page, database, 5432), can(page, internet, 443), can(page, web, 8080)]).toEqual([false, false, false, false]);
      // The colors keep what they had.
      expect([can(alb, web, 8080), can(web, bff, 8081), can(alb, bff, 8081)]).toEqual([true, true, false]);
    });

    it("none with NetworkPolicies off", async () => {
      const run = await runProgram("staging", { edit: (c) => ((c.maintenance = { enabled: true }), (c.networkPolicy = { enabled: false, reason: "a cluster without a policy engine" })) });
      expect(run.error).toBeUndefined();
      expect(run.ofType(POLICY)).toEqual([]);
      expect(run.get(DEPLOYMENT, "web-maintenance").inputs.metadata.name).toBe("web-maintenance");
    });
  });
});

describe("the maintenance page of the one-service shorthand (staging's web alone)", () => {
  it("the app-named live Service selects {app: web, color: maintenance}; the page accepts the ingress sources only", async () => {
    const run = await runProgram("staging", { edit: (c) => ((c.maintenance = { enabled: true }), oneService(c)) });
    expect(run.error).toBeUndefined();
    expect(run.get(SERVICE, "web-live").inputs).toEqual(liveService("web", "green", { app: "web", color: "maintenance" }));
    expect(run.get(POLICY, "web-maintenance-network").inputs.spec.ingress).toEqual([{ from: [{ ipBlock: { cidr: "10.0.0.0/16" } }], ports: [{ protocol: "TCP", port: 8080 }] }]);
    // No callees, so web's own policy is as without the section.
    const without = await runProgram("staging", { edit: oneService });
    expect(run.get(POLICY, "web-network-colors").inputs).toEqual(without.get(POLICY, "web-network-colors").inputs);
  });
});

describe("a stack without the section", () => {
  it("declares no page, no policy for it and no annotation: its objects are those it always had", async () => {
    for (const stack of ["staging", "production"] as const) {
      const run = await runProgram(stack);
      expect(run.error).toBeUndefined();
      expect(run.ofType(PAGE), stack).toEqual([]);
      expect(run.resources.filter((r) => r.name.includes("maintenance")), stack).toEqual([]);
      for (const live of run.ofType(SERVICE).filter((s) => s.inputs.metadata.labels.role === "live")) {
        expect(live.inputs.metadata.annotations, live.name).toEqual({ "pulumi.com/skipAwait": "true" });
      }
      const sectioned = await runProgram(stack, { edit: withMaintenance({}) });
      // Adding the section adds the page and its policy, records activeColor on the live Services and
      // lets callers reach the page; nothing else changes.
      expect(changedResources(run, sectioned), stack).toEqual(
        stack === "staging"
          ? [
              `${DEPLOYMENT}::web-maintenance`,
              `${SERVICE}::web-bff-live`,
              `${SERVICE}::web-live`,
              `${PAGE}::web-maintenance`,
              `${POLICY}::web-maintenance-network`,
              `${POLICY}::web-network-colors`,
            ].sort()
          : [`${DEPLOYMENT}::web-maintenance`, `${SERVICE}::web-live`, `${PAGE}::web-maintenance`, `${POLICY}::web-maintenance-network`].sort(),
      );
    }
  });
});
