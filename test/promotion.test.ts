/**
 * The product's core promise, checked on the real production stack file: a promotion or a rollback
 * changes only the live Service's selector and the post-promotion watch (which then runs); a
 * release to the idle color changes only that color (its Deployment and its smoke Job).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { changedResources, ProgramRun, runProgram } from "./helpers/program";

const LIVE_SERVICE = "kubernetes:core/v1:Service::web-live";
const WATCH = "command:local:Command::web-watch";

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

  it("promotion changes exactly the live Service and the watch Command: no Deployment, Job, bucket or alarm", () => {
    expect(greenLive.error).toBeUndefined();
    expect(changedResources(blueLive, greenLive)).toEqual([WATCH, LIVE_SERVICE]);
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

  it("rollback (reverting the flip) changes only the live Service and the watch back, to identical inputs", async () => {
    const rolledBack = await runProgram("production");
    expect(changedResources(greenLive, rolledBack)).toEqual([WATCH, LIVE_SERVICE]);
    expect(changedResources(blueLive, rolledBack)).toEqual([]);
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
        "Roll back: git revert <promotion commit> && pulumi up -s production (or: pulumi config set activeColor blue -s production && pulumi up -s production)",
    });
  });
});

describe("release to the idle color (production)", () => {
  it("changing the idle image changes the idle Deployment and its smoke Job only", async () => {
    const before = await runProgram("production");
    const after = await runProgram("production", { edit: (c) => (c.colors.green.image = "ghcr.io/acme/web:1.5.1") });
    expect(changedResources(before, after)).toEqual(["kubernetes:apps/v1:Deployment::web-green", "kubernetes:batch/v1:Job::web-smoke-green"]);
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
      WATCH,
      "kubernetes:apps/v1:Deployment::web-blue",
      "kubernetes:apps/v1:Deployment::web-green",
      LIVE_SERVICE,
    ]);
  });
});
