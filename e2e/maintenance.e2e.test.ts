/**
 * Maintenance mode of an app of two services under the real engine: adding the `maintenance`
 * section starts the page (and changes no selector); turning `maintenance.enabled` on by a plain
 * `pulumi up` changes only the live Services' selectors, which then send traffic to the page's Pods
 * (their endpoints), and off returns them to `activeColor`; a targeted `pulumi up --target <each live
 * Service URN>` does the same and leaves a state the next preview finds nothing to change in. A
 * release that cannot be made backward compatible goes: on, promote while on, off. Finally the
 * policy's read of the deployed live Services, against this cluster. Last, the release CLI as
 * on-call runs it, `npx bluegreen maintenance on|off -s <stack> --apply`, timed from Enter. Every
 * assertion reads the cluster; the flips are timed with a watch on each live Service.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { kubectlReader } from "../policy/deployedLiveServices";
import { maintenanceToggleNotWithPromotionPolicy } from "../policy/maintenanceToggleNotWithPromotion";
import { targetedUpArgs } from "../release/targetedSwitch";
import { check } from "../test/policy/harness";
import { changedObjects, E2eStack, kubectl, kubectlJson, median, objectVersions, releaseCli, ROOT, timeFlips, timing, withoutProgress, withoutRecords } from "./harness";

const NS = `e2e-maintenance-${process.pid}`;
const STACK = `e2e-maintenance-${process.pid}`;
const LIVE = ["shop-bff", "shop-web"];
const LIVE_CHANGES = ["update kubernetes:core/v1:Service::shop-bff-live", "update kubernetes:core/v1:Service::shop-web-live"];
const LIVE_OBJECTS = ["Service/shop-bff", "Service/shop-web"];
const MESSAGE = "Upgrading the database; back at 14:00 UTC.";
const PAGE = { app: "shop", color: "maintenance" };

let stack: E2eStack;

const objects = () => objectVersions(NS);
const service = (name: string) => kubectlJson("get", "service", name, "-n", NS);
const selectors = () => LIVE.map((name) => service(name).spec.selector);
const colorSelectors = (color: string) => LIVE.map((name) => ({ app: name, color }));

/** A Service as the API holds it, without what moves on every write: to compare two reads but for one field. */
function comparable(svc: any): any {
  const copy = structuredClone(svc);
  for (const key of ["resourceVersion", "managedFields", "generation"]) delete copy.metadata[key];
  return copy;
}

/** The Pod IPs behind a Service (its EndpointSlices), once the controller has caught up with `expected`; sorted. */
async function endpointIps(name: string, expected: readonly string[]): Promise<string[]> {
  const read = () =>
    kubectlJson("get", "endpointslices", "-n", NS, "-l", `kubernetes.io/service-name=${name}`)
      .items.flatMap((slice: any) => (slice.endpoints ?? []).flatMap((e: any) => e.addresses as string[]))
      .sort();
  const deadline = Date.now() + 15_000;
  let ips = read();
  while (JSON.stringify(ips) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    ips = read();
  }
  return ips;
}

/** The IPs of the running Pods with these labels (a smoke Job's finished Pod has the color's labels too). */
const podIps = (selector: string) =>
  kubectlJson("get", "pods", "-n", NS, "-l", selector, "--field-selector=status.phase=Running")
    .items.map((p: any) => p.status.podIP as string)
    .sort();

/** `pulumi up --target <urn>...`, the way release/targetedSwitch.ts runs it. */
function targetedUp(urns: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", targetedUpArgs(STACK, urns), { cwd: ROOT, env: { PULUMI_NODEJS_TRANSPILE_ONLY: "true", ...process.env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGINT"), 180_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

const setMaintenance = (enabled: boolean) => stack.editConfig((c) => (c.maintenance = { ...c.maintenance, enabled }));
const lastFlip = (after: Record<string, number | undefined>) => Math.max(...LIVE.map((s) => after[s] ?? NaN));
/** The stack file's bluegreen config, as the release CLI left it on disk. */
const fileConfig = (key: string) => parse(stack.read()).config[`bluegreen:${key}`];

beforeAll(async () => {
  stack = await E2eStack.create(STACK, {
    namespace: NS,
    config: {
      app: "shop",
      services: { bff: { port: 8080, callers: ["web"] }, web: { port: 3000, smoke: { checks: [{ path: "/", status: 200 }] } } },
      colors: { blue: { images: { bff: "ghcr.io/acme/bff:1.0.0", web: "ghcr.io/acme/web:1.0.0" }, replicas: 2 }, green: { images: { bff: "ghcr.io/acme/bff:1.1.0", web: "ghcr.io/acme/web:1.1.0" }, replicas: 2 } },
      secretEnv: { DATABASE_URL: "databaseUrl" },
      jobsImage: "ghcr.io/acme/shop-jobs:1.0.0",
      migrations: { mode: "sql", directory: "migrations", backoffLimit: 0 },
      rolloutTimeoutSeconds: 20,
    },
    secrets: { databaseUrl: "postgres://shop:e2e-only@db.invalid:5432/shop" },
  });
  const first = await stack.up();
  expect(first.error).toBe("");
  expect(selectors()).toEqual(colorSelectors("blue"));
});

afterAll(async () => {
  await stack?.destroy();
});

describe("maintenance mode of an app of two services under the real engine", () => {
  it("adding the section starts the page and its policy and records activeColor on the live Services; no selector moves, nothing is replaced", async () => {
    stack.editConfig((c) => (c.maintenance = { enabled: false, message: MESSAGE, retryAfterSeconds: 600 }));
    const before = objects();
    const up = await stack.up();
    timing("maintenance: add the section (page rollout)", up.seconds);
    expect(up.error).toBe("");
    expect(up.changes).toEqual([
      "create bluegreen:k8s:MaintenancePage::shop-maintenance",
      "create kubernetes:apps/v1:Deployment::shop-maintenance",
      "create kubernetes:networking.k8s.io/v1:NetworkPolicy::shop-maintenance-network",
      "update kubernetes:core/v1:Service::shop-bff-live",
      "update kubernetes:core/v1:Service::shop-web-live",
      "update kubernetes:networking.k8s.io/v1:NetworkPolicy::shop-web-network-colors",
    ]);
    expect(changedObjects(before, objects())).toEqual(["Deployment/shop-maintenance", "NetworkPolicy/shop-allow-maintenance", "NetworkPolicy/shop-web-allow-colors", ...LIVE_OBJECTS]);
    expect(selectors()).toEqual(colorSelectors("blue"));
    for (const name of LIVE) expect(service(name).metadata.annotations["bluegreen.dev/active-color"]).toBe("blue");
    const page = kubectlJson("get", "deployment", "shop-maintenance", "-n", NS);
    expect(page.status.availableReplicas).toBe(1);
    expect(page.spec.template.spec.containers[0].env).toEqual([
      { name: "MAINTENANCE_PORT", value: "8080" },
      { name: "MAINTENANCE_MESSAGE", value: MESSAGE },
      { name: "MAINTENANCE_RETRY_AFTER_SECONDS", value: "600" },
      { name: "MAINTENANCE_SHUTDOWN_DELAY_SECONDS", value: "5" },
    ]);
    // status finds the page in its one read of the app's objects (the page is labelled `app: shop`).
    const status = await releaseCli(["status", "-s", STACK, "--file", stack.file, "-o", "json"]);
    expect(JSON.parse(status.stdout).maintenancePage).toEqual({
      image: "ghcr.io/acme/shop-jobs:1.0.0",
      deployment: { name: "shop-maintenance", image: "ghcr.io/acme/shop-jobs:1.0.0", replicas: 1, ready: 1, available: 1, updated: 1, rollout: "complete" },
    });
  });

  it("on and off by a plain pulumi up: only the live Services' selectors change, and their endpoints follow", async () => {
    const flips: Record<string, number[]> = { on: [], off: [] };
    for (let round = 0; round < 3; round++) {
      for (const on of [true, false]) {
        setMaintenance(on);
        const before = objects();
        const servicesBefore = LIVE.map((name) => comparable(service(name)));
        const target = on ? "maintenance" : "blue";
        const { result: up, after } = await timeFlips(NS, LIVE, target, () => stack.up());
        expect(up.error).toBe("");
        expect(up.changes).toEqual(LIVE_CHANGES);
        expect(changedObjects(before, objects())).toEqual(LIVE_OBJECTS);
        expect(selectors()).toEqual(on ? [PAGE, PAGE] : colorSelectors("blue"));
        // Nothing but the selector changed on each Service.
        LIVE.forEach((name, i) => {
          const expected = structuredClone(servicesBefore[i]);
          expected.spec.selector = on ? PAGE : { app: name, color: "blue" };
          expect(comparable(service(name)), name).toEqual(expected);
        });
        flips[on ? "on" : "off"].push(lastFlip(after));
        if (round === 0) {
          // The live Services' endpoints are the page's Pods, then each service's blue Pods again.
          for (const name of LIVE) {
            const expected = podIps(on ? "app=shop,color=maintenance" : `app=${name},color=blue`);
            expect(expected.length, name).toBeGreaterThan(0);
            expect(await endpointIps(name, expected), name).toEqual(expected);
          }
        }
      }
    }
    timing("maintenance on via pulumi up: start -> last flip (median of 3)", median(flips.on));
    timing("maintenance off via pulumi up: start -> last flip (median of 3)", median(flips.off));
    process.stdout.write(`[e2e timing] maintenance via pulumi up runs: on ${flips.on.map((f) => f.toFixed(2)).join(", ")}; off ${flips.off.map((f) => f.toFixed(2)).join(", ")}\n`);
  });

  it("on and off by a targeted pulumi up of the live Services: the same change, as quick as a color switch, and a state the next preview finds nothing to change in", async () => {
    const urns: string[] = (await stack.outputs()).liveServiceUrns;
    expect(urns).toHaveLength(2);
    // Each round: maintenance on, off, then (for comparison, under the same load) a switch to green and back.
    const steps: { label: string; edit: () => void; selects: string; expected: () => Record<string, string>[] }[] = [
      { label: "on", edit: () => setMaintenance(true), selects: "maintenance", expected: () => [PAGE, PAGE] },
      { label: "off", edit: () => setMaintenance(false), selects: "blue", expected: () => colorSelectors("blue") },
      { label: "to green", edit: () => stack.editConfig((c) => (c.activeColor = "green")), selects: "green", expected: () => colorSelectors("green") },
      { label: "to blue", edit: () => stack.editConfig((c) => (c.activeColor = "blue")), selects: "blue", expected: () => colorSelectors("blue") },
    ];
    const flips: Record<string, number[]> = Object.fromEntries(steps.map((s) => [s.label, []]));
    const ends: Record<string, number[]> = Object.fromEntries(steps.map((s) => [s.label, []]));
    for (let round = 0; round < 5; round++) {
      for (const step of steps) {
        step.edit();
        const before = objects();
        const started = Date.now();
        const { result, after } = await timeFlips(NS, LIVE, step.selects, () => targetedUp(urns));
        expect(result.output, step.label).not.toMatch(/error:/);
        expect(result.code, step.label).toBe(0);
        ends[step.label].push((Date.now() - started) / 1000);
        expect(changedObjects(before, objects()), step.label).toEqual(LIVE_OBJECTS);
        expect(selectors(), step.label).toEqual(step.expected());
        flips[step.label].push(lastFlip(after));
      }
    }
    for (const step of steps) {
      const label = step.label === "on" || step.label === "off" ? `maintenance ${step.label}` : `color switch ${step.label}`;
      timing(`${label} via targeted up: start -> last flip (median of 5)`, median(flips[step.label]));
      timing(`${label} via targeted up: start -> end (median of 5)`, median(ends[step.label]));
      process.stdout.write(`[e2e timing] ${label} via targeted up runs: last flip ${flips[step.label].map((f) => f.toFixed(2)).join(", ")}\n`);
    }
    // Bounds against a wait on a rollout or a Job (tens of seconds here), not the target figures.
    expect(median(flips.on)).toBeLessThan(10);
    expect(median(flips.off)).toBeLessThan(10);
    await stack.stack.preview({ expectNoChanges: true });
  });

  it("a release that cannot be made backward compatible: on, promote while on (the page keeps the traffic), off onto the new color", async () => {
    setMaintenance(true);
    expect((await stack.up()).error).toBe("");
    expect(selectors()).toEqual([PAGE, PAGE]);
    stack.editConfig((c) => (c.activeColor = "green"));
    const before = objects();
    const promoted = await stack.up();
    expect(promoted.error).toBe("");
    expect(promoted.changes).toEqual(LIVE_CHANGES);
    expect(changedObjects(before, objects())).toEqual(LIVE_OBJECTS);
    expect(selectors()).toEqual([PAGE, PAGE]);
    for (const name of LIVE) expect(service(name).metadata.annotations["bluegreen.dev/active-color"]).toBe("green");
    setMaintenance(false);
    const { result: off, after } = await timeFlips(NS, LIVE, "green", () => stack.up());
    expect(off.error).toBe("");
    expect(off.changes).toEqual(LIVE_CHANGES);
    expect(selectors()).toEqual(colorSelectors("green"));
    timing("maintenance off onto the promoted color via pulumi up: start -> last flip", lastFlip(after));
  });

  it("the policy reads the deployed live Services from this cluster and refuses a toggle landing with a promotion", async () => {
    // Deployed: green, not in maintenance. Planned: the page, returning to blue (a rollback folded into `maintenance on`).
    const planned = (name: string, traffic: Record<string, string>, activeColor: string) => {
      const deployed = service(name);
      return {
        type: "kubernetes:core/v1:Service",
        name: `${name}-live`,
        props: { ...deployed, metadata: { ...deployed.metadata, annotations: { ...deployed.metadata.annotations, "bluegreen.dev/active-color": activeColor } }, spec: { ...deployed.spec, selector: traffic } },
      };
    };
    const policy = () => [maintenanceToggleNotWithPromotionPolicy(kubectlReader())];
    const provider = (props: Record<string, unknown>) => ({ type: "pulumi:providers:kubernetes", name: "default", urn: "urn:provider", props });
    const refused = await check(
      LIVE.map((name) => planned(name, PAGE, "blue")),
      { policies: policy(), stack: STACK },
    );
    expect(refused.map((v) => v.message)).toEqual(
      LIVE.map(
        (name) =>
          `live Service \`${name}\`: traffic would go from \`green\` straight to the maintenance page while \`activeColor\` changes from \`green\` to \`blue\` in the same update: a promotion and a maintenance toggle are two commits; turn maintenance on alone first (\`activeColor\` stays \`green\`), then promote while in maintenance`,
      ),
    );
    // The same with the provider's kubeconfig given as text (written to a private temp file for kubectl).
    const inline = fs.readFileSync(process.env.KUBECONFIG!, "utf8");
    expect((await check([planned("shop-web", PAGE, "blue")], { policies: policy(), provider: provider({ kubeconfig: inline }) })).map((v) => v.resource)).toEqual(["shop-web-live"]);
    // Maintenance on alone passes.
    expect(await check(LIVE.map((name) => planned(name, PAGE, "green")), { policies: policy() })).toEqual([]);
    // A context that does not exist: the policy says it could not read, rather than passing.
    const unreadable = await check([planned("shop-web", PAGE, "green")], { policies: policy(), provider: provider({ context: "no-such-context" }) });
    expect(unreadable.map((v) => v.message)).toEqual([expect.stringMatching(/^live Service `shop-web`: cannot read the deployed one to compare with \(kubectl get services -n e2e-maintenance-\d+ -l role=live: .*no-such-context/)]);
    expect(kubectl("get", "service", "shop-web", "-n", NS, "-o", "jsonpath={.spec.selector.color}")).toBe("green");
  });

  it("on and off by the release CLI from Enter (npx bluegreen maintenance on|off --apply): only the live Services' selectors change, the stack file follows, and the next preview finds nothing to change", async () => {
    // Where the earlier tests left the stack: the section there, maintenance off, traffic on activeColor.
    const activeColor: string = fileConfig("activeColor");
    expect(fileConfig("maintenance").enabled).toBe(false);
    expect(selectors()).toEqual(colorSelectors(activeColor));
    const flips: Record<string, number[]> = { on: [], off: [] };
    const ends: Record<string, number[]> = { on: [], off: [] };
    for (let round = 0; round < 5; round++) {
      for (const word of ["on", "off"] as const) {
        const on = word === "on";
        const label = `${word}, round ${round + 1}`;
        const color = on ? "maintenance" : activeColor;
        const before = objects();
        const servicesBefore = LIVE.map((name) => comparable(service(name)));
        const run = await releaseCli(["maintenance", word, "-s", STACK, "--apply"], { namespace: NS, color, services: LIVE });
        expect(withoutProgress(run.stderr), label).toBe("");
        expect(run.code, label).toBe(0);
        expect(run.stdout, label).toContain(`Traffic is on ${color}`);
        expect(selectors(), label).toEqual(on ? [PAGE, PAGE] : colorSelectors(activeColor));
        // The live Services, and the switch's record in the cluster; on each Service, only its selector.
        expect(withoutRecords(changedObjects(before, objects())), label).toEqual({ objects: LIVE_OBJECTS, records: 1 });
        LIVE.forEach((name, i) => {
          const expected = structuredClone(servicesBefore[i]);
          expected.spec.selector = on ? PAGE : { app: name, color: activeColor };
          expect(comparable(service(name)), `${label}: ${name}`).toEqual(expected);
        });
        // The stack file says what the cluster does; activeColor stays.
        expect(fileConfig("maintenance").enabled, label).toBe(on);
        expect(fileConfig("activeColor"), label).toBe(activeColor);
        expect(run.conditionAfter, label).toBeDefined();
        flips[word].push(run.conditionAfter!);
        ends[word].push(run.seconds);
      }
    }
    for (const word of ["on", "off"] as const) {
      timing(`npx bluegreen maintenance ${word} --apply: Enter -> last live Service flipped (median of 5)`, median(flips[word]));
      timing(`npx bluegreen maintenance ${word} --apply: Enter -> end (median of 5)`, median(ends[word]));
      process.stdout.write(`[e2e timing] npx bluegreen maintenance ${word} --apply runs: flip ${flips[word].map((f) => f.toFixed(2)).join(", ")}; end ${ends[word].map((e) => e.toFixed(2)).join(", ")}\n`);
    }
    // The state the CLI's targeted updates left is the one the stack file describes.
    await stack.stack.preview({ expectNoChanges: true });
    // A bound that catches a toggle waiting on something it should not (as for a rollback), not a
    // timing: the times are measured and quoted from the `[e2e timing]` lines above.
    expect(median(flips.on)).toBeLessThan(10);
    expect(median(flips.off)).toBeLessThan(10);
  });
});
