/**
 * The product's core promise, checked on the real production stack file: a promotion or a rollback
 * changes only the live Service's selector (the post-promotion watch runs after `pulumi up`, from
 * the `promotionWatch` output, and is no resource); a release to the idle color changes only that
 * color (its Deployment and its smoke Job), never the live Service.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { changedResources, ProgramRun, runProgram } from "./helpers/program";

const LIVE_SERVICE = "kubernetes:core/v1:Service::web-live";

describe("promotion and rollback (production)", () => {
  let blueLive: ProgramRun;
  let greenLive: ProgramRun;
  beforeAll(async () => {
    blueLive = await runProgram("production");
    greenLive = await runProgram("production", { edit: (c) => (c.activeColor = "green") });
  });

  it("the stack file has blue live", () => {
    expect(blueLive.error).toBeUndefined();
    expect(blueLive.outputs.activeColor).toBe("blue");
  });

  it("promotion changes exactly the live Service: no Deployment, Job, Command, bucket or alarm", () => {
    expect(greenLive.error).toBeUndefined();
    expect(changedResources(blueLive, greenLive)).toEqual([LIVE_SERVICE]);
    expect(greenLive.resources.filter((r) => r.type.startsWith("command:"))).toEqual([]);
  });

  it("and within it only the selector", () => {
    const before = blueLive.get("kubernetes:core/v1:Service", "web-live").inputs;
    const after = greenLive.get("kubernetes:core/v1:Service", "web-live").inputs;
    expect(before.spec.selector).toEqual({ app: "web", color: "blue" });
    expect(after.spec.selector).toEqual({ app: "web", color: "green" });
    expect({ ...after, spec: { ...after.spec, selector: undefined } }).toEqual({
      ...before,
      spec: { ...before.spec, selector: undefined },
    });
  });

  it("rollback (reverting the flip) changes only the live Service back, to identical inputs", async () => {
    const rolledBack = await runProgram("production");
    expect(changedResources(greenLive, rolledBack)).toEqual([LIVE_SERVICE]);
    expect(changedResources(blueLive, rolledBack)).toEqual([]);
    expect(rolledBack.get("kubernetes:core/v1:Service", "web-live").wireInputs).toEqual(
      blueLive.get("kubernetes:core/v1:Service", "web-live").wireInputs,
    );
  });

  it("after a promotion the live Service waits for the new color's Deployment", () => {
    const deps = (run: ProgramRun) => run.get("kubernetes:core/v1:Service", "web-live").dependencies;
    expect(deps(blueLive)).toContain(blueLive.get("kubernetes:apps/v1:Deployment", "web-blue").urn);
    expect(deps(greenLive)).toContain(greenLive.get("kubernetes:apps/v1:Deployment", "web-green").urn);
    expect(deps(greenLive)).not.toContain(greenLive.get("kubernetes:apps/v1:Deployment", "web-blue").urn);
  });

  it("stack outputs follow the flip", () => {
    expect(greenLive.outputs).toMatchObject({
      activeColor: "green",
      idleColor: "blue",
      liveImage: "ghcr.io/acme/web:1.5.0",
      idleImage: "ghcr.io/acme/web:1.4.2",
      rollbackHint:
        "Roll back: npm run release -- rollback --stack production --apply (or: git revert <promotion commit> && pulumi up -s production)",
      liveServiceUrn: "urn:pulumi:production::bluegreen::bluegreen:k8s:LiveService$kubernetes:core/v1:Service::web-live",
    });
    // The watch settings do not depend on the color: the same output before and after the flip.
    expect(greenLive.outputs.promotionWatch).toEqual(blueLive.outputs.promotionWatch);
  });
});

describe("release to the idle color (production)", () => {
  it("changing the idle image changes the idle Deployment and its smoke Job only", async () => {
    const before = await runProgram("production");
    const after = await runProgram("production", { edit: (c) => (c.colors.green.image = "ghcr.io/acme/web:1.5.1") });
    expect(changedResources(before, after)).toEqual(["kubernetes:apps/v1:Deployment::web-green", "kubernetes:batch/v1:Job::web-smoke-green"]);
    expect(after.get("kubernetes:core/v1:Service", "web-live").wireInputs).toEqual(before.get("kubernetes:core/v1:Service", "web-live").wireInputs);
    expect(after.get("kubernetes:core/v1:Service", "web-live").dependencies).toEqual(
      before.get("kubernetes:core/v1:Service", "web-live").dependencies,
    );
    expect(after.get("kubernetes:apps/v1:Deployment", "web-green").inputs.spec.template.spec.containers[0].image).toBe(
      "ghcr.io/acme/web:1.5.1",
    );
  });

  it("a release and a promotion in one commit: the live Service waits for the new Deployment", async () => {
    const run = await runProgram("production", {
      edit: (c) => {
        c.colors.green.image = "ghcr.io/acme/web:1.5.1";
        c.activeColor = "green";
      },
    });
    const liveService = run.get("kubernetes:core/v1:Service", "web-live");
    expect(liveService.inputs.spec.selector).toEqual({ app: "web", color: "green" });
    expect(liveService.dependencies).toContain(run.get("kubernetes:apps/v1:Deployment", "web-green").urn);
    expect(liveService.dependencies).toContain(run.get("kubernetes:batch/v1:Job", "web-smoke-green").urn);
  });

  it("previewReplicas scales the idle color, and the promotion then scales both colors", async () => {
    const idleSmall = (active: string) => (c: Record<string, any>) => {
      c.colors.green.previewReplicas = 1;
      c.colors.blue.previewReplicas = 1;
      c.activeColor = active;
    };
    const blue = await runProgram("production", { edit: idleSmall("blue") });
    const green = await runProgram("production", { edit: idleSmall("green") });
    const replicas = (run: ProgramRun, color: string) => run.get("kubernetes:apps/v1:Deployment", `web-${color}`).inputs.spec.replicas;
    expect([replicas(blue, "blue"), replicas(blue, "green")]).toEqual([4, 1]);
    expect([replicas(green, "blue"), replicas(green, "green")]).toEqual([1, 4]);
    expect(changedResources(blue, green)).toEqual([
      "kubernetes:apps/v1:Deployment::web-blue",
      "kubernetes:apps/v1:Deployment::web-green",
      LIVE_SERVICE,
    ]);
  });
});

describe("the promotion property, on both stacks and their variants", () => {
  type Variant = [string, "staging" | "production", (c: Record<string, any>) => void];
  const variants: Variant[] = [
    ["production", "production", () => {}],
    ["production without migrations", "production", (c) => delete c.migrations],
    ["production in command mode", "production", (c) => (c.migrations = { mode: "command", command: ["npx", "prisma", "migrate", "deploy"] })],
    ["staging", "staging", () => {}],
    ["staging without alarms or backups", "staging", (c) => (delete c.alarms, delete c.backups, delete c.watch)],
    ["staging with the smoke gate off", "staging", (c) => (c.smoke = { enabled: false })],
  ];
  const flip = (edit: (c: Record<string, any>) => void) => (c: Record<string, any>) => {
    edit(c);
    c.activeColor = c.activeColor === "blue" ? "green" : "blue";
  };

  it.each(variants)("%s: flipping activeColor changes exactly the live Service; flipping back restores identical inputs", async (_name, stack, edit) => {
    const before = await runProgram(stack, { edit });
    const flipped = await runProgram(stack, { edit: flip(edit) });
    const back = await runProgram(stack, { edit });
    expect(before.error).toBeUndefined();
    expect(flipped.error).toBeUndefined();
    expect(changedResources(before, flipped)).toEqual([LIVE_SERVICE]);
    expect(changedResources(flipped, back)).toEqual([LIVE_SERVICE]);
    expect(changedResources(before, back)).toEqual([]);
    const live = (run: ProgramRun) => run.get("kubernetes:core/v1:Service", "web-live");
    expect(live(back).wireInputs).toEqual(live(before).wireInputs);
    expect(live(flipped).inputs.spec.selector).toEqual({ app: "web", color: flipped.outputs.activeColor });
    expect(flipped.resources.filter((r) => r.type.startsWith("command:"))).toEqual([]);
  });

  const releases: [string, "staging" | "production", (c: Record<string, any>) => void][] = [
    ["production: a new idle image", "production", (c) => (c.colors.green.image = "ghcr.io/acme/web:1.6.0")],
    ["production: the idle color scaled", "production", (c) => (c.colors.green.replicas = 6)],
    ["production: the idle color retired", "production", (c) => ((c.colors.green.replicas = 0), delete c.colors.green.image)],
    ["production: a new jobs image", "production", (c) => (c.jobsImage = "ghcr.io/acme/web-jobs:1.6.0")],
    ["staging: a new idle image", "staging", (c) => (c.colors.blue.image = "ghcr.io/acme/web:1.6.0-rc.1")],
    ["staging: a new idle image and a new migration runner", "staging", (c) => ((c.colors.blue.image = "ghcr.io/acme/web:1.6.0-rc.1"), (c.migrations.image = "ghcr.io/acme/web-jobs:1.6.0-rc.1"))],
  ];

  it.each(releases)("%s never changes the live Service or what it waits for", async (_name, stack, edit) => {
    const before = await runProgram(stack);
    const after = await runProgram(stack, { edit });
    expect(after.error).toBeUndefined();
    expect(changedResources(before, after)).not.toContain(LIVE_SERVICE);
    expect(changedResources(before, after).length).toBeGreaterThan(0);
    const live = (run: ProgramRun) => run.get("kubernetes:core/v1:Service", "web-live");
    expect(live(after).wireInputs).toEqual(live(before).wireInputs);
    expect(live(after).dependencies).toEqual(live(before).dependencies);
    const activeDeployment = (run: ProgramRun) => run.get("kubernetes:apps/v1:Deployment", `web-${run.outputs.activeColor}`);
    expect(activeDeployment(after).wireInputs).toEqual(activeDeployment(before).wireInputs);
    expect(activeDeployment(after).dependencies).toEqual(activeDeployment(before).dependencies);
  });
});
