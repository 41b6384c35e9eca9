/**
 * BlueGreenApp under mocks: an app of two services (BFF + web) from the staging stack, what each
 * object waits on, the aliases that let stacks of the one-service program upgrade in place, and two
 * apps in one program.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { COLORS, servicesOf, StackConfig, validateStackConfig } from "../../config";
import { liveServiceUrn } from "../../domain/names";
import { oneService, PlainConfig, ProgramRun, PROJECT, runProgram } from "../helpers/program";
import { DEPLOYMENT, JOB, SERVICE, smokeJob, smokeJobKey } from "../helpers/releaseJobs";

const IMAGES = {
  blue: { bff: "ghcr.io/acme/bff:1.4.2", web: "ghcr.io/acme/web:1.4.2" },
  green: { bff: "ghcr.io/acme/bff:1.5.0", web: "ghcr.io/acme/web:1.5.0" },
};

/** Staging (converted to one service first, so the stack file's own services play no part) as an app `shop` of a BFF (called by web) and a web front end. */
export function twoServices(c: PlainConfig): void {
  oneService(c);
  c.app = "shop";
  c.services = { bff: { port: 8080, callers: ["web"] }, web: { port: 3000, smoke: { checks: [{ path: "/", status: 200 }] } } };
  for (const color of COLORS) {
    delete c.colors[color].image;
    c.colors[color].images = IMAGES[color];
  }
}

const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

describe("BlueGreenApp with two services (staging as BFF + web)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("staging", { edit: twoServices });
    expect(run.error).toBeUndefined();
  });
  const urnOf = (type: string, name: string) => run.get(type, name).urn;
  const depsOf = (type: string, name: string) => run.get(type, name).dependencies;

  it("declares each service's colors and live Service under its qualified name", () => {
    expect(run.ofType(DEPLOYMENT).map((d) => d.inputs.metadata.name).sort()).toEqual(["shop-bff-blue", "shop-bff-green", "shop-web-blue", "shop-web-green"]);
    const live = run.ofType(SERVICE).filter((s) => s.inputs.metadata.labels.role === "live");
    expect(live.map((s) => [s.inputs.metadata.name, s.inputs.spec.selector])).toEqual([
      ["shop-bff", { app: "shop-bff", color: "green" }],
      ["shop-web", { app: "shop-web", color: "green" }],
    ]);
    expect(run.get(DEPLOYMENT, "shop-web-green").inputs.spec.template.spec.containers[0]).toMatchObject({ image: IMAGES.green.web, ports: [{ containerPort: 3000 }] });
  });

  // The mocks put only the immediate parent's type in a URN; the engine puts every ancestor's (the
  // e2e suite checks the real URNs). So the mocks' URNs are compared from the parent type on.
  const fromParentType = (urn: string) => urn.slice(urn.indexOf("bluegreen:k8s:LiveService$"));

  it("the live Services' URNs are the ones domain/names derives, and the stack outputs list both", () => {
    const expected = ["shop-bff", "shop-web"].map((q) => liveServiceUrn("staging", PROJECT, q));
    expect(expected[0]).toBe("urn:pulumi:staging::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService$kubernetes:core/v1:Service::shop-bff-live");
    expect([urnOf(SERVICE, "shop-bff-live"), urnOf(SERVICE, "shop-web-live")].map(fromParentType)).toEqual(expected.map(fromParentType));
    expect(run.get(SERVICE, "shop-bff-live").parent).toMatch(/::bluegreen:k8s:BlueGreenApp\$bluegreen:k8s:LiveService::shop-bff-live$/);
    expect((run.outputs.liveServiceUrns as string[]).map(fromParentType)).toEqual(expected.map(fromParentType));
    expect(Object.keys(run.outputs.liveServiceUrn as object)).toEqual(["bff", "web"]);
  });

  it("every live Service waits on every service's active Deployment and smoke Job: one failed service holds the switch of all", () => {
    const gates = [urnOf(DEPLOYMENT, "shop-bff-green"), smokeJob(run, "shop-bff", "green").urn, urnOf(DEPLOYMENT, "shop-web-green"), smokeJob(run, "shop-web", "green").urn];
    for (const live of ["shop-bff-live", "shop-web-live"]) expect([...depsOf(SERVICE, live)].sort()).toEqual([...gates].sort());
  });

  it("one migration Job per color, shared: both services' Deployments of a color wait on that color's Job only", () => {
    const jobs = run.ofType(JOB).filter((j) => j.name.startsWith("shop-migrate-"));
    expect(jobs).toHaveLength(2);
    for (const color of COLORS) {
      const waits = ["bff", "web"].map((s) => depsOf(DEPLOYMENT, `shop-${s}-${color}`).filter((d) => d.includes("shop-migrate-")));
      expect(waits[0]).toHaveLength(1);
      expect(waits[1]).toEqual(waits[0]);
    }
    expect(depsOf(DEPLOYMENT, "shop-bff-blue")).not.toEqual(depsOf(DEPLOYMENT, "shop-bff-green"));
  });

  it("web may call the BFF: the BFF's Pods accept web's Pods and its smoke Jobs on 8080 (no ingress source), and web's may send to them", () => {
    const bff = run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "shop-bff-network-colors").inputs.spec;
    const web = run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "shop-web-network-colors").inputs.spec;
    const webPods = { matchLabels: { app: "shop-web" }, matchExpressions: [{ key: "color", operator: "In", values: ["blue", "green"] }, { key: "role", operator: "DoesNotExist" }] };
    const bffPods = { ...webPods, matchLabels: { app: "shop-bff" } };
    expect(bff.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { app: "shop-bff", role: "smoke" } } }], ports: [{ protocol: "TCP", port: 8080 }] },
      { from: [{ podSelector: webPods }], ports: [{ protocol: "TCP", port: 8080 }] },
    ]);
    // web has no callers: it keeps the ingress sources (staging's VPC).
    expect(web.ingress[0]).toEqual({ from: [{ ipBlock: { cidr: "10.0.0.0/16" } }], ports: [{ protocol: "TCP", port: 3000 }] });
    expect(web.egress).toContainEqual({ to: [{ podSelector: bffPods }], ports: [{ protocol: "TCP", port: 8080 }] });
    expect(web.ingress.some((rule: any) => JSON.stringify(rule).includes("shop-bff"))).toBe(false);
    // The migration and backup Jobs keep their app-wide policies; no policy for Pods of the app label alone.
    const names = run.outputs.networkPolicies as string[];
    expect(names).toEqual(expect.arrayContaining(["shop-allow-migrations", "shop-allow-backups", "shop-bff-allow-colors", "shop-web-allow-colors"]));
    expect(names).not.toContain("shop-allow-colors");
  });

  it("every child of the app carries the alias to its top-level URN of the one-service program", () => {
    const children = run.resources.filter((r) => r.parent.includes("bluegreen:k8s:BlueGreenApp::"));
    expect(children.length).toBeGreaterThan(8);
    for (const child of children) expect(child.aliases, key(child)).toContainEqual(expect.objectContaining({ spec: expect.objectContaining({ noparent: true }) }));
  });
});

describe("two BlueGreenApps in one program", () => {
  const configOf = (app: string, namespace: string): StackConfig => {
    const result = validateStackConfig({
      app,
      namespace,
      production: false,
      activeColor: "blue",
      colors: { blue: { image: `ghcr.io/acme/${app}:1.0.0`, replicas: 1 }, green: { replicas: 0 } },
      port: 8080,
      servicePort: 80,
      healthPath: "/healthz",
      readinessPath: "/ready",
      jobsImage: "ghcr.io/acme/jobs:1.0.0",
      networkPolicy: { enabled: false, reason: "test" },
    });
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const parsed = result.config;
    return {
      ...parsed,
      project: PROJECT,
      stack: "test",
      idleColor: "green",
      services: servicesOf(parsed),
      secretConfig: {},
      secrets: {},
      smoke: { ...parsed.smoke, checks: [{ path: "/healthz", status: 200 }] },
      watch: { ...parsed.watch, minutes: 0 },
      alarmSubscriptions: [],
      migrations: undefined,
    } as StackConfig;
  };

  it("declare their objects apart, each under its own component", async () => {
    const urns: string[] = [];
    vi.resetModules();
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          urns.push(`${args.type}::${args.name}`);
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      PROJECT,
      "test",
      false,
    );
    const { BlueGreenApp } = await import("../../components/blueGreenApp");
    const web = new BlueGreenApp("web", configOf("web", "shop"));
    const admin = new BlueGreenApp("admin", configOf("admin", "shop"));
    const liveUrns = await Promise.all([web, admin].map((a) => new Promise<string>((resolve) => Object.values(a.services)[0].live.service.urn.apply(resolve))));
    expect(new Set(urns).size).toBe(urns.length);
    expect(urns).toEqual(expect.arrayContaining([`${DEPLOYMENT}::web-blue`, `${DEPLOYMENT}::admin-blue`, `${SERVICE}::web-live`, `${SERVICE}::admin-live`]));
    expect(liveUrns.map((u) => u.split("::").pop())).toEqual(["web-live", "admin-live"]);
  });
});

describe("a one-service stack that adds a service named like the app (staging converted to one service, then given web and a BFF)", () => {
  /** web's own Kubernetes objects (not the BFF's, not the release Jobs named by the release), by `type::name`. */
  const webObjects = (run: ProgramRun) =>
    Object.fromEntries(
      run.resources
        .filter((r) => r.custom && !r.type.startsWith("aws:") && /^web-(blue|green|live|smoke-|env|network-)/.test(r.name) && !r.name.startsWith("web-bff"))
        .map((r) => [key(r), JSON.stringify(r.wireInputs)]),
    );
  const COLORS_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy::web-network-colors";

  it("keeps every object of that service under the same names and inputs, and adds the other's", async () => {
    const before = await runProgram("staging", { edit: oneService });
    const after = await runProgram("staging", {
      edit: (c) => {
        oneService(c);
        c.services = { web: {}, bff: { port: 8081, callers: ["web"] } };
        for (const color of COLORS) {
          c.colors[color].images = { web: c.colors[color].image, bff: `ghcr.io/acme/bff:${color}` };
          delete c.colors[color].image;
        }
      },
    });
    expect(before.error).toBeUndefined();
    expect(after.error).toBeUndefined();
    const kept = webObjects(before);
    expect(Object.keys(kept).length).toBeGreaterThan(8);
    // web's smoke Jobs among them: the same hash, so the same resources.
    for (const color of COLORS) expect(Object.keys(kept), color).toContain(smokeJobKey(before, "web", color));
    // The one change: web's Pods may now call the BFF.
    const policy = "kubernetes:networking.k8s.io/v1:NetworkPolicy::web-network-colors";
    const { [policy]: _policy, ...rest } = webObjects(after);
    const { [policy]: _before, ...keptRest } = kept;
    expect(rest).toEqual(keptRest);
    expect(after.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "web-network-colors").inputs.spec.egress.at(-1)).toEqual({
      to: [{ podSelector: { matchLabels: { app: "web-bff" }, matchExpressions: [{ key: "color", operator: "In", values: ["blue", "green"] }, { key: "role", operator: "DoesNotExist" }] } }],
      ports: [{ protocol: "TCP", port: 8081 }],
    });
    expect(after.ofType(DEPLOYMENT).map((d) => d.name).sort()).toEqual(["web-bff-blue", "web-bff-green", "web-blue", "web-green"]);
  });

  it("the committed staging file (web and its BFF) is that upgrade: web's objects are those of staging as one service, but for its colors' policy", async () => {
    const one = await runProgram("staging", { edit: oneService });
    const committed = await runProgram("staging");
    expect(one.error).toBeUndefined();
    expect(committed.error).toBeUndefined();
    const { [COLORS_POLICY]: before, ...kept } = webObjects(one);
    const { [COLORS_POLICY]: after, ...rest } = webObjects(committed);
    expect(Object.keys(kept).length).toBeGreaterThan(8);
    expect(rest).toEqual(kept);
    expect(after).not.toEqual(before);
    // The one change: web's Pods may call the BFF's, on the BFF's port.
    const colorsPolicy = (run: ProgramRun) => run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "web-network-colors").inputs;
    const bffPods = { matchLabels: { app: "web-bff" }, matchExpressions: [{ key: "color", operator: "In", values: ["blue", "green"] }, { key: "role", operator: "DoesNotExist" }] };
    expect(colorsPolicy(committed)).toEqual({
      ...colorsPolicy(one),
      spec: { ...colorsPolicy(one).spec, egress: [...colorsPolicy(one).spec.egress, { to: [{ podSelector: bffPods }], ports: [{ protocol: "TCP", port: 8081 }] }] },
    });
    expect(committed.ofType(DEPLOYMENT).map((d) => d.name).sort()).toEqual(["web-bff-blue", "web-bff-green", "web-blue", "web-green"]);
  });
});
