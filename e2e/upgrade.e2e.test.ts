/**
 * A stack deployed by the program as it was before BlueGreenApp (every component at the top level)
 * upgrades to this one in place, under the real engine: the previous program runs from a git
 * worktree at its commit, then this one previews and applies the same stack. Only the new component
 * resource is created (a state entry, no Kubernetes object); nothing is deleted or replaced, every
 * Kubernetes object keeps its uid and spec, no Job runs again. A switch afterwards targets the new
 * URN of the live Service.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveServiceUrn } from "../domain/names";
import { changedObjects, E2eStack, kubectlJson, objectVersions, PROJECT, releaseCli, ROOT, withoutProgress, withoutRecords } from "./harness";

/** The last commit of the one-service program, whose index.ts declared every component at the top level. */
const PREVIOUS_PROGRAM = "e6997815eb05890eb7cc17bfca6fc06201e54aa5";

const NS = `e2e-upgrade-${process.pid}`;
const STACK = `e2e-upgrade-${process.pid}`;
const worktree = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-previous-")), "program");
let stack: E2eStack;

const objects = () => objectVersions(NS);

beforeAll(async () => {
  execFileSync("git", ["worktree", "add", "--detach", worktree, PREVIOUS_PROGRAM], { cwd: ROOT, stdio: "ignore", timeout: 60_000 });
  // The previous program with the packages it was released with (its own lockfile): an upgrade
  // brings the new program and its new dependencies together.
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: worktree, stdio: "ignore", timeout: 600_000 });
  stack = await E2eStack.create(STACK, {
    namespace: NS,
    workDir: worktree,
    config: {
      colors: { blue: { image: "ghcr.io/acme/web:1.0.0", replicas: 2 }, green: { image: "ghcr.io/acme/web:1.1.0", replicas: 2 } },
      secretEnv: { DATABASE_URL: "databaseUrl", SESSION_SECRET: "sessionSecret" },
      jobsImage: "ghcr.io/acme/web-jobs:1.0.0",
      migrations: { mode: "sql", directory: "migrations", backoffLimit: 0 },
      rolloutTimeoutSeconds: 20,
    },
    secrets: { databaseUrl: "postgres://web:e2e-only@db.invalid:5432/web", sessionSecret: "e2e-session-secret" },
  });
}, 900_000);

afterAll(async () => {
  await stack?.destroy();
  execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: ROOT, stdio: "ignore", timeout: 60_000 });
});

describe("upgrading a stack of the one-service program to BlueGreenApp", () => {
  it("deploys with the previous program, then previews and applies this one with nothing created in the cluster, deleted or replaced", async () => {
    const first = await stack.up();
    expect(first.error).toBe("");
    const oldState = (await stack.stack.exportStack()).deployment.resources.map((r: any) => r.urn as string);
    expect(oldState).toContain(`urn:pulumi:${STACK}::${PROJECT}::bluegreen:k8s:LiveService$kubernetes:core/v1:Service::web-live`);
    const before = objects();
    const jobsBefore = kubectlJson("get", "jobs", "-n", NS).items.map((j: any) => `${j.metadata.name}/${j.metadata.uid}`).sort();

    await stack.moveTo(ROOT);
    const preview = await stack.stack.preview();
    expect(preview.changeSummary).toEqual({ create: 1, same: expect.any(Number) });
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(up.changes).toEqual(["create bluegreen:k8s:BlueGreenApp::web"]);
    expect(objects()).toEqual(before);
    expect(kubectlJson("get", "jobs", "-n", NS).items.map((j: any) => `${j.metadata.name}/${j.metadata.uid}`).sort()).toEqual(jobsBefore);

    // Same objects under new URNs: every old one has a successor of the same name under the app.
    const newState = (await stack.stack.exportStack()).deployment.resources.map((r: any) => r.urn as string);
    expect(newState).toContain(liveServiceUrn(STACK, PROJECT, "web"));
    expect(newState.filter((u: string) => u.endsWith("::web-live"))).toEqual([
      `urn:pulumi:${STACK}::${PROJECT}::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService::web-live`,
      liveServiceUrn(STACK, PROJECT, "web"),
    ]);
    expect(newState).toHaveLength(oldState.length + 1);

    // A second run changes nothing.
    const again = await stack.up();
    expect(again.changes).toEqual([]);
  });

  it("after the upgrade, rollback --apply targets the live Service's new URN and flips only it", async () => {
    const before = objects();
    const run = await releaseCli(["rollback", "--apply", "--stack", STACK], { namespace: NS, color: "green" });
    expect(withoutProgress(run.stderr)).toBe("");
    expect(run.code).toBe(0);
    expect(kubectlJson("get", "service", "web", "-n", NS).spec.selector).toEqual({ app: "web", color: "green" });
    expect(withoutRecords(changedObjects(before, objects()))).toEqual({ objects: ["Service/web"], records: 1 });
    // The full `pulumi up` then agrees with the file: nothing more to change.
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(up.changes).toEqual([]);
  });
});
