/**
 * The app's NetworkPolicies from the real stack files: the exact objects (selectors, ports, peers),
 * then each allow and deny proven on them with a NetworkPolicy evaluator, the defaults of a stack
 * without the section, turning them off (only with a reason), and that nothing on the switch path
 * depends on them. Production is the one-service shorthand (one set, `web-network`); staging is an
 * app of two services: web (named like the app) keeps that set and gains egress to the BFF, and
 * the BFF (`web-bff`, port 8081, called by web) gets its own set, `web-bff-network`. A service with
 * callers is internal: its Pods accept its callers' and its smoke Jobs, not the `ingress` sources.
 */
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../config";
import { allowed, Endpoint, Workload } from "../helpers/networkPolicy";
import { changedResources, oneService, PlainConfig, ProgramRun, runProgram, StackName } from "../helpers/program";

const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const DNS = { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] };
const COLORS_SELECTOR = {
  matchLabels: { app: "web" },
  matchExpressions: [
    { key: "color", operator: "In", values: ["blue", "green"] },
    { key: "role", operator: "DoesNotExist" },
  ],
};
const VPC = [{ ipBlock: { cidr: "10.0.0.0/16" } }];
/** Staging's BFF: its colors' Pods, and the rule that lets web's colors call them on its port. */
const BFF_COLORS_SELECTOR = { ...COLORS_SELECTOR, matchLabels: { app: "web-bff" } };
const TO_BFF = { to: [{ podSelector: BFF_COLORS_SELECTOR }], ports: [{ protocol: "TCP", port: 8081 }] };
/**
 * The whole ingress of the BFF's colors (it has callers, so no `ingress` source whatever the
 * section says): its own smoke Jobs, then web's colors, on 8081.
 */
const BFF_COLORS_INGRESS = [
  { from: [{ podSelector: { matchLabels: { app: "web-bff", role: "smoke" } } }], ports: [{ protocol: "TCP", port: 8081 }] },
  { from: [{ podSelector: COLORS_SELECTOR }], ports: [{ protocol: "TCP", port: 8081 }] },
];

const policiesOf = (run: ProgramRun) => run.ofType(POLICY).map((p) => p.inputs);
const policy = (run: ProgramRun, name: string) => {
  const found = policiesOf(run).filter((p) => p.metadata.name === name);
  expect(found, name).toHaveLength(1);
  return found[0];
};
const problems = (run: ProgramRun) => (run.error?.name === "ConfigError" ? [...(run.error as ConfigError).problems] : [String(run.error)]);

describe("NetworkPolicies of the production stack", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("production");
    expect(run.error).toBeUndefined();
  });

  it("one component declaring, in the app's namespace, an allow policy per kind of Pod and a default-deny", () => {
    const component = run.get("bluegreen:k8s:NetworkPolicies", "web-network");
    expect(run.ofType(POLICY).map((p) => [p.name, p.parent === component.urn]).sort()).toEqual([
      ["web-network-backups", true],
      ["web-network-colors", true],
      ["web-network-default-deny", true],
      ["web-network-migrations", true],
      ["web-network-smoke", true],
    ]);
    for (const p of policiesOf(run)) {
      expect(p.metadata.namespace).toBe("web-production");
      expect(p.metadata.labels).toEqual({ app: "web", component: "network-policy" });
      expect(() => new NetworkPolicy(p).validate()).not.toThrow();
    }
    expect(run.outputs.networkPolicies).toEqual(["web-allow-colors", "web-allow-smoke", "web-allow-migrations", "web-allow-backups", "web-default-deny"]);
  });

  it("colors: in, the app port from the ingress CIDRs and from the smoke Jobs; out, DNS and the database", () => {
    expect(policy(run, "web-allow-colors").spec).toEqual({
      podSelector: COLORS_SELECTOR,
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        { from: VPC, ports: [{ protocol: "TCP", port: 8080 }] },
        { from: [{ podSelector: { matchLabels: { app: "web", role: "smoke" } } }], ports: [{ protocol: "TCP", port: 8080 }] },
      ],
      egress: [DNS, { to: VPC, ports: [{ protocol: "TCP", port: 5432 }] }],
    });
  });

  it("smoke Jobs: out, DNS and the colors' Pods on the app port; nothing in", () => {
    expect(policy(run, "web-allow-smoke").spec).toEqual({
      podSelector: { matchLabels: { app: "web", role: "smoke" } },
      policyTypes: ["Ingress", "Egress"],
      egress: [DNS, { to: [{ podSelector: COLORS_SELECTOR }], ports: [{ protocol: "TCP", port: 8080 }] }],
    });
  });

  it("migration Jobs: out, DNS and the database; backup jobs: also the AWS endpoints on 443; nothing in", () => {
    expect(policy(run, "web-allow-migrations").spec).toEqual({
      podSelector: { matchLabels: { app: "web", role: "migration" } },
      policyTypes: ["Ingress", "Egress"],
      egress: [DNS, { to: VPC, ports: [{ protocol: "TCP", port: 5432 }] }],
    });
    expect(policy(run, "web-allow-backups").spec).toEqual({
      podSelector: { matchLabels: { app: "web", component: "backups" } },
      policyTypes: ["Ingress", "Egress"],
      egress: [DNS, { to: VPC, ports: [{ protocol: "TCP", port: 5432 }] }, { to: VPC, ports: [{ protocol: "TCP", port: 443 }] }],
    });
  });

  it("default-deny: every Pod of the app, both directions, created after the allow policies", () => {
    const deny = run.get(POLICY, "web-network-default-deny");
    expect(deny.inputs.spec).toEqual({ podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress", "Egress"] });
    expect([...deny.dependencies].sort()).toEqual(
      ["colors", "smoke", "migrations", "backups"].map((role) => run.get(POLICY, `web-network-${role}`).urn).sort(),
    );
  });

  it("each policy selects the Pods the program really declares, by their template labels", () => {
    const templateLabels = (type: string, name: string) => {
      const inputs = run.get(type, name).inputs;
      return (inputs.spec.jobTemplate ?? inputs).spec.template.metadata.labels;
    };
    const jobLabels = (role: string) => run.ofType("kubernetes:batch/v1:Job").filter((j) => j.inputs.spec.template.metadata.labels.role === role)[0].inputs.spec.template.metadata.labels;
    const selecting = (labels: Record<string, string>) =>
      policiesOf(run)
        .filter((p) => {
          const s = p.spec.podSelector;
          return Object.entries(s.matchLabels).every(([k, v]) => labels[k] === v) &&
            (s.matchExpressions ?? []).every((e: any) => (e.operator === "In" ? e.values.includes(labels[e.key]) : !(e.key in labels)));
        })
        .map((p) => p.metadata.name);
    expect(selecting(templateLabels("kubernetes:apps/v1:Deployment", "web-blue"))).toEqual(["web-allow-colors", "web-default-deny"]);
    expect(selecting(templateLabels("kubernetes:apps/v1:Deployment", "web-green"))).toEqual(["web-allow-colors", "web-default-deny"]);
    expect(selecting(jobLabels("smoke"))).toEqual(["web-allow-smoke", "web-default-deny"]);
    expect(selecting(jobLabels("migration"))).toEqual(["web-allow-migrations", "web-default-deny"]);
    expect(selecting(jobLabels("backup"))).toEqual(["web-allow-backups", "web-default-deny"]);
    expect(selecting(templateLabels("kubernetes:batch/v1:CronJob", "web-backups-backup"))).toEqual(["web-allow-backups", "web-default-deny"]);
    expect(selecting(templateLabels("kubernetes:batch/v1:CronJob", "web-backups-restore-check"))).toEqual(["web-allow-backups", "web-default-deny"]);
  });

  describe("what they allow and deny", () => {
    const ns = "web-production";
    const pod = (labels: Record<string, string>, namespace = ns): Workload => ({ namespace, labels });
    const blue = pod({ app: "web", color: "blue" });
    const green = pod({ app: "web", color: "green" });
    const smoke = pod({ app: "web", color: "green", role: "smoke" });
    const migration = pod({ app: "web", role: "migration" });
    const backup = pod({ app: "web", component: "backups", role: "backup" });
    const restoreCheck = pod({ app: "web", component: "backups", role: "restore-check" });
    const coredns = pod({ "k8s-app": "kube-dns" }, "kube-system");
    const otherApp = pod({ app: "shop" }, "shop-production");
    const alb = { ip: "10.0.12.34" };
    const database = { ip: "10.0.48.10" };
    const vpcEndpoint = { ip: "10.0.3.7" };
    const internet = { ip: "203.0.113.9" };
    const can = (from: Endpoint, to: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP") => allowed(policiesOf(run), { from, to, port, protocol });

    it("the load balancer and the smoke Jobs reach the colors on the app port, and only there", () => {
      expect([can(alb, blue, 8080), can(alb, green, 8080), can(smoke, blue, 8080), can(smoke, green, 8080)]).toEqual([true, true, true, true]);
      expect([can(alb, blue, 9090), can(smoke, green, 22), can(internet, blue, 8080), can(otherApp, blue, 8080)]).toEqual([false, false, false, false]);
      expect([can(migration, blue, 8080), can(backup, green, 8080), can(blue, green, 8080)]).toEqual([false, false, false]);
    });

    it("nothing reaches a Job", () => {
      for (const job of [smoke, migration, backup, restoreCheck]) {
        expect([can(alb, job, 8080), can(blue, job, 8080), can(otherApp, job, 443)]).toEqual([false, false, false]);
      }
    });

    it("every Pod of the app resolves names through the cluster DNS, UDP and TCP", () => {
      for (const p of [blue, green, smoke, migration, backup, restoreCheck]) {
        expect([can(p, coredns, 53, "UDP"), can(p, coredns, 53, "TCP")]).toEqual([true, true]);
        expect(can(p, otherApp, 53, "UDP")).toBe(false);
      }
    });

    it("the colors, migrations and backup jobs reach the database; the smoke Jobs do not", () => {
      expect([blue, green, migration, backup, restoreCheck].map((p) => can(p, database, 5432))).toEqual([true, true, true, true, true]);
      expect([can(smoke, database, 5432), can(migration, internet, 5432), can(migration, database, 5433)]).toEqual([false, false, false]);
    });

    it("only the backup jobs reach the AWS endpoints, on 443 only; nobody reaches the internet", () => {
      expect([can(backup, vpcEndpoint, 443), can(restoreCheck, vpcEndpoint, 443)]).toEqual([true, true]);
      expect([can(migration, vpcEndpoint, 443), can(blue, vpcEndpoint, 443), can(smoke, vpcEndpoint, 443), can(backup, vpcEndpoint, 80)]).toEqual([false, false, false, false]);
      expect([blue, smoke, migration, backup].map((p) => can(p, internet, 443))).toEqual([false, false, false, false]);
    });

    it("a Pod of the app no allow policy selects gets nothing in either direction", () => {
      const debug = pod({ app: "web", role: "debug" });
      expect([can(debug, coredns, 53, "UDP"), can(debug, database, 5432), can(alb, debug, 8080), can(smoke, debug, 8080)]).toEqual([false, false, false, false]);
      // Pods of other apps are left alone.
      expect(can(otherApp, internet, 443)).toBe(true);
    });
  });

  it("nothing on the switch path depends on them, and a promotion or a release changes none", async () => {
    const urns = new Set(run.ofType(POLICY).map((p) => p.urn));
    for (const r of run.resources) if (r.type !== POLICY) expect(r.dependencies.filter((d) => urns.has(d)), `${r.type} ${r.name}`).toEqual([]);
    const promoted = await runProgram("production", { edit: (c) => (c.activeColor = "green") });
    const released = await runProgram("production", { edit: (c) => (c.colors.green.image = "ghcr.io/acme/web:1.5.1") });
    for (const other of [promoted, released]) expect(changedResources(run, other).filter((k) => k.startsWith(POLICY))).toEqual([]);
  });
});

describe("NetworkPolicies of the staging stack (web and its BFF)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("staging");
    expect(run.error).toBeUndefined();
  });

  it("web's set keeps the five policies (the app-wide Jobs' too); the BFF's own set has its colors, its smoke Jobs and a default-deny, in web-staging", () => {
    const web = run.get("bluegreen:k8s:NetworkPolicies", "web-network").urn;
    const bff = run.get("bluegreen:k8s:NetworkPolicies", "web-bff-network").urn;
    expect(run.ofType(POLICY).map((p) => [p.name, p.parent === web ? "web-network" : p.parent === bff ? "web-bff-network" : p.parent]).sort()).toEqual([
      ["web-bff-network-colors", "web-bff-network"],
      ["web-bff-network-default-deny", "web-bff-network"],
      ["web-bff-network-smoke", "web-bff-network"],
      ["web-network-backups", "web-network"],
      ["web-network-colors", "web-network"],
      ["web-network-default-deny", "web-network"],
      ["web-network-migrations", "web-network"],
      ["web-network-smoke", "web-network"],
    ]);
    expect(policiesOf(run).map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual([
      "web-staging/web-allow-backups",
      "web-staging/web-allow-colors",
      "web-staging/web-allow-migrations",
      "web-staging/web-allow-smoke",
      "web-staging/web-bff-allow-colors",
      "web-staging/web-bff-allow-smoke",
      "web-staging/web-bff-default-deny",
      "web-staging/web-default-deny",
    ]);
    for (const p of policiesOf(run)) {
      expect(p.metadata.labels, p.metadata.name).toEqual({ app: p.metadata.name.startsWith("web-bff-") ? "web-bff" : "web", component: "network-policy" });
      expect(() => new NetworkPolicy(p).validate(), p.metadata.name).not.toThrow();
    }
    expect(policy(run, "web-allow-backups").spec.egress[2]).toEqual({ to: VPC, ports: [{ protocol: "TCP", port: 443 }] });
    expect(run.outputs.networkPolicies).toEqual([
      "web-allow-colors",
      "web-allow-smoke",
      "web-allow-migrations",
      "web-allow-backups",
      "web-default-deny",
      "web-bff-allow-colors",
      "web-bff-allow-smoke",
      "web-bff-default-deny",
    ]);
  });

  it("web's colors (no callers: it keeps the ingress sources): as in the one-service form, plus egress to the BFF's Pods on 8081", () => {
    expect(policy(run, "web-allow-colors").spec).toEqual({
      podSelector: COLORS_SELECTOR,
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        { from: VPC, ports: [{ protocol: "TCP", port: 8080 }] },
        { from: [{ podSelector: { matchLabels: { app: "web", role: "smoke" } } }], ports: [{ protocol: "TCP", port: 8080 }] },
      ],
      egress: [DNS, { to: VPC, ports: [{ protocol: "TCP", port: 5432 }] }, TO_BFF],
    });
  });

  it("the BFF's colors accept its own smoke Jobs and web's colors on 8081, and no ingress source; its smoke Jobs reach its Pods only; its default-deny covers its label only", () => {
    const colors = policy(run, "web-bff-allow-colors").spec;
    expect(colors).toEqual({
      podSelector: BFF_COLORS_SELECTOR,
      policyTypes: ["Ingress", "Egress"],
      ingress: BFF_COLORS_INGRESS,
      egress: [DNS, { to: VPC, ports: [{ protocol: "TCP", port: 5432 }] }],
    });
    expect(policy(run, "web-bff-allow-smoke").spec).toEqual({
      podSelector: { matchLabels: { app: "web-bff", role: "smoke" } },
      policyTypes: ["Ingress", "Egress"],
      egress: [DNS, { to: [{ podSelector: BFF_COLORS_SELECTOR }], ports: [{ protocol: "TCP", port: 8081 }] }],
    });
    const deny = run.get(POLICY, "web-bff-network-default-deny");
    expect(deny.inputs.spec).toEqual({ podSelector: { matchLabels: { app: "web-bff" } }, policyTypes: ["Ingress", "Egress"] });
    expect([...deny.dependencies].sort()).toEqual(["colors", "smoke"].map((role) => run.get(POLICY, `web-bff-network-${role}`).urn).sort());
  });

  it("what they allow and deny between the services", () => {
    const ns = "web-staging";
    const pod = (labels: Record<string, string>, namespace = ns): Workload => ({ namespace, labels });
    const web = pod({ app: "web", color: "green" });
    const bff = pod({ app: "web-bff", color: "green" });
    const webSmoke = pod({ app: "web", color: "green", role: "smoke" });
    const bffSmoke = pod({ app: "web-bff", color: "green", role: "smoke" });
    const migration = pod({ app: "web", role: "migration" });
    const otherApp = pod({ app: "shop" }, "shop-staging");
    const database = { ip: "10.0.48.10" };
    const alb = { ip: "10.0.12.34" };
    const can = (from: Endpoint, to: Endpoint, port: number) => allowed(policiesOf(run), { from, to, port });
    // The ingress sources (the VPC) reach web, which has no callers, and not the BFF, which has.
    expect([can(alb, web, 8080), can(alb, bff, 8081), can(alb, bff, 8080)]).toEqual([true, false, false]);
    // web's Pods call the BFF's on its port only; the BFF does not call web.
    expect([can(web, bff, 8081), can(web, bff, 8080), can(bff, web, 8080)]).toEqual([true, false, false]);
    // Each smoke Job reaches its own service's Pods only.
    expect([can(webSmoke, web, 8080), can(bffSmoke, bff, 8081), can(webSmoke, bff, 8081), can(bffSmoke, web, 8080)]).toEqual([true, true, false, false]);
    // No other Pod of the cluster, nor a Job of the app, calls the BFF; both services reach the database.
    expect([can(otherApp, bff, 8081), can(migration, bff, 8081), can(webSmoke, bff, 8080)]).toEqual([false, false, false]);
    expect([can(web, database, 5432), can(bff, database, 5432), can(bffSmoke, database, 5432)]).toEqual([true, true, false]);
  });
});

describe("NetworkPolicies of the staging stack as one service (the shorthand)", () => {
  it("the same five policies, in web-staging", async () => {
    const run = await runProgram("staging", { edit: oneService });
    expect(run.error).toBeUndefined();
    expect(policiesOf(run).map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual([
      "web-staging/web-allow-backups",
      "web-staging/web-allow-colors",
      "web-staging/web-allow-migrations",
      "web-staging/web-allow-smoke",
      "web-staging/web-default-deny",
    ]);
    expect(policy(run, "web-allow-backups").spec.egress[2]).toEqual({ to: VPC, ports: [{ protocol: "TCP", port: 443 }] });
    expect(policy(run, "web-allow-colors").spec.egress).toEqual([DNS, { to: VPC, ports: [{ protocol: "TCP", port: 5432 }] }]);
  });
});

describe("NetworkPolicy config", () => {
  it("without the section: any source on the app port only, the database on 5432 and AWS on 443 at any address (staging: web and its BFF)", async () => {
    const run = await runProgram("staging", { edit: (c) => delete c.networkPolicy });
    expect(run.error).toBeUndefined();
    expect(policy(run, "web-allow-colors").spec.ingress[0]).toEqual({ ports: [{ protocol: "TCP", port: 8080 }] });
    // The BFF has callers: no rule from any source, only its smoke Jobs and web's colors.
    expect(policy(run, "web-bff-allow-colors").spec.ingress).toEqual(BFF_COLORS_INGRESS);
    // web's egress to the BFF stays pod-to-pod: the section's defaults do not widen it.
    expect(policy(run, "web-allow-colors").spec.egress).toEqual([DNS, { ports: [{ protocol: "TCP", port: 5432 }] }, TO_BFF]);
    expect(policy(run, "web-bff-allow-colors").spec.egress).toEqual([DNS, { ports: [{ protocol: "TCP", port: 5432 }] }]);
    expect(policy(run, "web-allow-backups").spec.egress).toEqual([DNS, { ports: [{ protocol: "TCP", port: 5432 }] }, { ports: [{ protocol: "TCP", port: 443 }] }]);
    const can = (from: Endpoint, to: Endpoint, port: number) => allowed(policiesOf(run), { from, to, port });
    const blue: Workload = { namespace: "web-staging", labels: { app: "web", color: "blue" } };
    const bffBlue: Workload = { namespace: "web-staging", labels: { app: "web-bff", color: "blue" } };
    expect([can({ ip: "198.51.100.1" }, blue, 8080), can({ ip: "198.51.100.1" }, blue, 8081)]).toEqual([true, false]);
    expect([can({ ip: "198.51.100.1" }, bffBlue, 8081), can(blue, bffBlue, 8081)]).toEqual([false, true]);
    expect([can(blue, { ip: "198.51.100.1" }, 5432), can(blue, { ip: "198.51.100.1" }, 8081)]).toEqual([true, false]);
  });

  it("an ingress controller by namespace and Pod labels, extra app egress, another port and database port", async () => {
    const run = await runProgram("staging", {
      edit: (c) => {
        c.port = 3000;
        c.networkPolicy = {
          ingress: { namespaceSelector: { "kubernetes.io/metadata.name": "ingress-nginx" }, podSelector: { "app.kubernetes.io/name": "ingress-nginx" } },
          database: { cidrs: ["10.0.48.0/20"], port: 6432 },
          appEgress: [{ cidrs: ["192.0.2.0/24"], ports: [443, 8443] }],
        };
      },
    });
    expect(run.error).toBeUndefined();
    const colors = policy(run, "web-allow-colors").spec;
    expect(colors.ingress[0]).toEqual({
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" } } }],
      ports: [{ protocol: "TCP", port: 3000 }],
    });
    expect(colors.egress).toEqual([
      DNS,
      { to: [{ ipBlock: { cidr: "10.0.48.0/20" } }], ports: [{ protocol: "TCP", port: 6432 }] },
      { to: [{ ipBlock: { cidr: "192.0.2.0/24" } }], ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 8443 }] },
      // Staging's web calls its BFF, whose own `port` (8081) the top-level `port` does not change.
      TO_BFF,
    ]);
    expect(policy(run, "web-allow-smoke").spec.egress[1].ports).toEqual([{ protocol: "TCP", port: 3000 }]);
    const can = (from: Endpoint, to: Endpoint, port: number) => allowed(policiesOf(run), { from, to, port });
    const green: Workload = { namespace: "web-staging", labels: { app: "web", color: "green" } };
    const controller: Workload = { namespace: "ingress-nginx", labels: { "app.kubernetes.io/name": "ingress-nginx" } };
    const otherInThatNamespace: Workload = { namespace: "ingress-nginx", labels: { app: "something-else" } };
    expect([can(controller, green, 3000), can(otherInThatNamespace, green, 3000), can({ ip: "10.0.1.1" }, green, 3000)]).toEqual([true, false, false]);
    // The BFF (called by web) is not reached by the ingress controller.
    expect(policy(run, "web-bff-allow-colors").spec.ingress).toEqual(BFF_COLORS_INGRESS);
    const bffGreen: Workload = { namespace: "web-staging", labels: { app: "web-bff", color: "green" } };
    expect([can(controller, bffGreen, 8081), can(green, bffGreen, 8081)]).toEqual([false, true]);
    expect([can(green, { ip: "192.0.2.10" }, 8443), can(green, { ip: "192.0.2.10" }, 80), can(green, { ip: "10.0.50.1" }, 6432)]).toEqual([true, false, true]);
  });

  it("a stack without smoke, migrations and backups gets only each service's colors' policy and default-deny (staging; and as one service)", async () => {
    const bare = (c: PlainConfig) => {
      delete c.migrations;
      delete c.backups;
      c.smoke = { enabled: false };
    };
    const secrets = { sessionSecret: "s", databaseUrl: "postgres://u:p@h:5432/d" };
    const run = await runProgram("staging", { edit: bare, secrets });
    expect(run.error).toBeUndefined();
    expect(policiesOf(run).map((p) => p.metadata.name).sort()).toEqual(["web-allow-colors", "web-bff-allow-colors", "web-bff-default-deny", "web-default-deny"]);
    const one = await runProgram("staging", { edit: (c) => bare(oneService(c)), secrets });
    expect(one.error).toBeUndefined();
    expect(policiesOf(one).map((p) => p.metadata.name).sort()).toEqual(["web-allow-colors", "web-default-deny"]);
  });

  it("off with a reason: no policy, and the reason in the stack output", async () => {
    for (const stack of ["staging", "production"] as StackName[]) {
      const run = await runProgram(stack, { edit: (c) => (c.networkPolicy = { enabled: false, reason: "the cluster's CNI enforces no NetworkPolicy yet (INFRA-142)" }) });
      expect(run.error).toBeUndefined();
      expect(run.ofType(POLICY)).toEqual([]);
      expect(run.outputs.networkPolicies).toBe("off: the cluster's CNI enforces no NetworkPolicy yet (INFRA-142)");
    }
  });

  it("off without a reason, or a blank one, is a config error in every stack; a reason while on is one too", async () => {
    const off = (c: PlainConfig) => (c.networkPolicy = { enabled: false });
    expect(problems(await runProgram("production", { edit: off }))).toEqual([
      '`networkPolicy.enabled` is `false` but `networkPolicy.reason` is not set: a production stack runs without NetworkPolicies only for a stated reason; set one with `pulumi config set --path networkPolicy.reason "<why>"`, or turn them back on with `pulumi config rm --path networkPolicy.enabled`',
    ]);
    expect(problems(await runProgram("staging", { edit: off }))).toEqual([
      '`networkPolicy.enabled` is `false` but `networkPolicy.reason` is not set: a stack runs without NetworkPolicies only for a stated reason; set one with `pulumi config set --path networkPolicy.reason "<why>"`, or turn them back on with `pulumi config rm --path networkPolicy.enabled`',
    ]);
    expect(problems(await runProgram("staging", { edit: (c) => (c.networkPolicy = { enabled: false, reason: "  " }) }))).toEqual([
      "`networkPolicy.reason` is `  `: must be a sentence saying why the NetworkPolicies are off",
    ]);
    expect(problems(await runProgram("staging", { edit: (c) => (c.networkPolicy.reason = "old note") }))).toEqual([
      "`networkPolicy.reason` is `old note` but the NetworkPolicies are on: the reason would explain nothing; remove it with `pulumi config rm --path networkPolicy.reason`",
    ]);
  });

  it("bad CIDRs, ports, labels and an empty ingress are named with the fix", async () => {
    const run = await runProgram("production", {
      edit: (c) => {
        c.networkPolicy.ingress = {};
        c.networkPolicy.database = { cidrs: ["10.0.0.0/33", "db.internal"], port: 70000 };
        c.networkPolicy.aws = { cidrs: [] };
        c.networkPolicy.appEgress = [{ cidrs: ["192.0.2.0/24"], ports: [] }];
        c.networkPolicy.egres = [];
      },
    });
    expect(problems(run)).toEqual([
      "`networkPolicy.database.cidrs.0` is `10.0.0.0/33`: must be a CIDR such as `10.0.0.0/16`",
      "`networkPolicy.database.cidrs.1` is `db.internal`: must be a CIDR such as `10.0.0.0/16`",
      "`networkPolicy.database.port` is `70000`: must be a whole number from 1 to 65535; set it with `pulumi config set --path networkPolicy.database.port 5432`",
      "`networkPolicy.aws.cidrs` is `[]`: must be a list of at least one CIDR such as `[10.0.0.0/16]`; remove the key to allow any address",
      "`networkPolicy.appEgress.0.ports` is `[]`: must be a list of ports such as `[443]`",
      "`networkPolicy.egres` is not a known key: remove it with `pulumi config rm --path networkPolicy.egres`",
    ]);
    const empty = await runProgram("production", { edit: (c) => (c.networkPolicy.ingress = {}) });
    expect(problems(empty)).toEqual([
      "`networkPolicy.ingress` names no source: set `cidrs` (such as the load balancer's subnets) or `namespaceSelector`/`podSelector` (such as the ingress controller's), or remove it to accept any source on the app's port",
    ]);
    const labels = await runProgram("production", { edit: (c) => (c.networkPolicy.ingress = { podSelector: { "bad key!": "x" } }) });
    expect(problems(labels)).toEqual(["`networkPolicy.ingress.podSelector.bad key!` is not a Kubernetes label key (such as `kubernetes.io/metadata.name`): fix it"]);
  });
});
