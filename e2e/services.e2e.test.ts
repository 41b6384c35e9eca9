/**
 * An app of two services (a BFF and a web front end against one database) under the real engine:
 * a color is a release of both; they are staged, promoted and rolled back as one. Every assertion
 * reads the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedObjects, E2eStack, kubectlJson, median, objectVersions, releaseCli, timeFlips, timing, withoutProgress, withoutRecords } from "./harness";

const NS = `e2e-services-${process.pid}`;
const STACK = `e2e-services-${process.pid}`;
const LIVE = ["shop-bff", "shop-web"];

let stack: E2eStack;

const selectors = () => LIVE.map((name) => kubectlJson("get", "service", name, "-n", NS).spec.selector.color as string);
const objects = () => objectVersions(NS);
const image = (deployment: string) => kubectlJson("get", "deployment", deployment, "-n", NS).spec.template.spec.containers[0].image as string;
const images = (version: string) => ({ bff: `ghcr.io/acme/bff:${version}`, web: `ghcr.io/acme/web:${version}` });

beforeAll(async () => {
  stack = await E2eStack.create(STACK, {
    namespace: NS,
    config: {
      app: "shop",
      services: { bff: { port: 8080, callers: ["web"] }, web: { port: 3000, smoke: { checks: [{ path: "/", status: 200 }] } } },
      colors: { blue: { images: images("1.0.0"), replicas: 2 }, green: { images: images("1.0.0"), replicas: 2 } },
      secretEnv: { DATABASE_URL: "databaseUrl" },
      jobsImage: "ghcr.io/acme/shop-jobs:1.0.0",
      migrations: { mode: "sql", directory: "migrations", backoffLimit: 0 },
      rolloutTimeoutSeconds: 20,
    },
    secrets: { databaseUrl: "postgres://shop:e2e-only@db.invalid:5432/shop" },
  });
});

afterAll(async () => {
  await stack?.destroy();
});

describe("an app of two services under the real engine", () => {
  it("first up: one migration Job per color for both services, four Deployments, both live Services on blue", async () => {
    const up = await stack.up();
    timing("services: first up", up.seconds);
    expect(up.error).toBe("");
    for (const name of ["shop-bff-blue", "shop-bff-green", "shop-web-blue", "shop-web-green"]) {
      expect(kubectlJson("get", "deployment", name, "-n", NS).status.availableReplicas).toBe(2);
    }
    const outputs = await stack.outputs();
    expect(outputs.migrationJobs.expand).toHaveLength(2);
    expect(selectors()).toEqual(["blue", "blue"]);
    expect(kubectlJson("get", "service", "shop-web", "-n", NS).spec.selector).toEqual({ app: "shop-web", color: "blue" });
    const state = (await stack.stack.exportStack()).deployment.resources.map((r: any) => r.urn as string);
    expect(state.filter((u: string) => u.includes("LiveService$kubernetes:core/v1:Service::")).sort()).toEqual([...outputs.liveServiceUrns].sort());
  });

  it("release: `stage green bff=… web=…` and up roll both green Deployments; the live Services stay", async () => {
    const staged = await releaseCli(["stage", "green", `bff=${images("1.1.0").bff}`, `web=${images("1.1.0").web}`, "--stack", STACK]);
    expect(staged.stderr).toBe("");
    expect(staged.code).toBe(0);
    const before = objects();
    const up = await stack.up();
    timing("services: release (stage both + up)", up.seconds);
    expect(up.error).toBe("");
    expect([image("shop-bff-green"), image("shop-web-green")]).toEqual([images("1.1.0").bff, images("1.1.0").web]);
    const changed = changedObjects(before, objects());
    expect(changed.filter((k) => k.startsWith("Service/"))).toEqual([]);
    expect(changed.filter((k) => k.startsWith("Deployment/"))).toEqual(["Deployment/shop-bff-green", "Deployment/shop-web-green"]);
    expect(selectors()).toEqual(["blue", "blue"]);
  });

  it("promote and roll back with the full pulumi up: both live Services flip, nothing else changes", async () => {
    for (const [command, target] of [
      ["promote", "green"],
      ["rollback", "blue"],
      ["promote", "green"],
    ] as const) {
      expect((await releaseCli([command, "--stack", STACK])).code).toBe(0);
      const before = objects();
      const { result: up, after } = await timeFlips(NS, LIVE, target, () => stack.up());
      timing(`services: ${command} via pulumi up: start -> last flip`, Math.max(...LIVE.map((s) => after[s] ?? NaN)));
      expect(up.error).toBe("");
      expect(up.changes).toEqual(["update kubernetes:core/v1:Service::shop-bff-live", "update kubernetes:core/v1:Service::shop-web-live"]);
      expect(changedObjects(before, objects())).toEqual(["Service/shop-bff", "Service/shop-web"]);
      expect(selectors()).toEqual([target, target]);
    }
  });

  it("a failing image on one service blocks the promotion of both: pulumi up fails, neither selector moves", async () => {
    const good = stack.read();
    stack.editConfig((c) => {
      c.colors.blue.images = { bff: "ghcr.io/acme/bff:1.2.0", web: "ghcr.io/acme/web:1.2.0-fail" };
      c.activeColor = "blue";
    });
    const before = objects();
    const up = await stack.up();
    timing("services: release + promotion with one failing service", up.seconds);
    expect(up.ok).toBe(false);
    expect(selectors()).toEqual(["green", "green"]);
    expect(before["Service/shop-bff"]).toBe(objects()["Service/shop-bff"]);
    expect(before["Service/shop-web"]).toBe(objects()["Service/shop-web"]);
    // The BFF's release went through on its own; it still did not take traffic.
    expect(image("shop-bff-blue")).toBe("ghcr.io/acme/bff:1.2.0");
    stack.write(good);
    const fixed = await stack.up();
    expect(fixed.error).toBe("");
    expect(selectors()).toEqual(["green", "green"]);
    // Every smoke Job the state holds is in the cluster (the BFF's went 1.0.0 -> 1.2.0 -> 1.0.0).
    const smokeJobs = Object.values((await stack.outputs()).smokeJobNames as Record<string, Record<string, string>>).flatMap((byColor) => Object.values(byColor));
    const inCluster = kubectlJson("get", "jobs", "-n", NS).items.map((j: any) => j.metadata.name as string);
    expect(smokeJobs.filter((name) => !inCluster.includes(name))).toEqual([]);
  });

  it("rollback --apply flips both live Services in one targeted update with a failed release pending", async () => {
    const lasts: number[] = [];
    const gaps: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < 5; i++) {
      const live = selectors()[0];
      const target = live === "green" ? "blue" : "green";
      const good = stack.read();
      // A failed hotfix of the live color's web front end.
      stack.editConfig((c) => (c.colors[live].images = { ...c.colors[live].images, web: `ghcr.io/acme/web:9.${i}.0-fail` }));
      expect((await stack.up()).ok).toBe(false);
      const before = objects();
      const run = await releaseCli(["rollback", "--apply", "--stack", STACK], { namespace: NS, color: target, services: LIVE });
      expect(withoutProgress(run.stderr)).toBe("");
      expect(run.code).toBe(0);
      expect(withoutRecords(changedObjects(before, objects()))).toEqual({ objects: ["Service/shop-bff", "Service/shop-web"], records: 1 });
      expect(selectors()).toEqual([target, target]);
      const flips = LIVE.map((s) => run.flips![s]!);
      lasts.push(Math.max(...flips));
      gaps.push(Math.abs(flips[0] - flips[1]));
      ends.push(run.seconds);
      // Repair: the file as it was, with the new live color (what the on-call's commit holds).
      stack.write(good);
      stack.editConfig((c) => (c.activeColor = target));
      expect((await stack.up()).error).toBe("");
    }
    timing("services rollback --apply: start -> last flip (median of 5)", median(lasts));
    timing("services rollback --apply: flips apart (median of 5)", median(gaps));
    timing("services rollback --apply: start -> end (median of 5)", median(ends));
    process.stdout.write(`[e2e timing] services rollback --apply runs: last flip ${lasts.map((f) => f.toFixed(2)).join(", ")}; apart ${gaps.map((f) => f.toFixed(2)).join(", ")}; end ${ends.map((e) => e.toFixed(2)).join(", ")}\n`);
    // Bounds against a wait on a Job or a rollout (tens of seconds here), not the target figures.
    expect(median(lasts)).toBeLessThan(10);
    expect(Math.max(...gaps)).toBeLessThan(2);
  });
});
