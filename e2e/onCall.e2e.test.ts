/**
 * What on-call sees, under the real engine: `status` read from the cluster, the drift check that
 * keeps a deploy from undoing a rollback not yet pushed, and `history`. The stack lives in a project
 * directory with a git repository of its own (its Pulumi.yaml runs this project's program), so the
 * stack file has the history a team's repository would give it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedObjects, E2eStack, gitProject, GitProject, kubectlJson, objectVersions, releaseCli, timing, withoutProgress } from "./harness";

const NS = `e2e-oncall-${process.pid}`;
const STACK = `e2e-oncall-${process.pid}`;

let project: GitProject;
let stack: E2eStack;

const selector = () => kubectlJson("get", "service", "web", "-n", NS).spec.selector;
const cli = (...args: string[]) => releaseCli([...args, "-s", STACK, "--file", stack.file]);
const statusJson = async () => {
  const run = await cli("status", "-o", "json");
  return { ...run, report: JSON.parse(run.stdout) };
};

beforeAll(async () => {
  project = gitProject();
  stack = await E2eStack.create(STACK, {
    namespace: NS,
    workDir: project.dir,
    config: {
      colors: { blue: { image: "ghcr.io/acme/web:1.0.0", replicas: 2 }, green: { image: "ghcr.io/acme/web:1.1.0", replicas: 2 } },
      secretEnv: { DATABASE_URL: "databaseUrl" },
      jobsImage: "ghcr.io/acme/web-jobs:1.0.0",
      migrations: { mode: "sql", directory: "migrations", backoffLimit: 0 },
      rolloutTimeoutSeconds: 20,
    },
    secrets: { databaseUrl: "postgres://web:e2e-only@db.invalid:5432/web" },
  });
  project.commit(`${STACK}: blue live, green staged`);
});

afterAll(async () => {
  await stack?.destroy();
});

describe("on-call reads the cluster", () => {
  it("status shows the live selector from the cluster, each Deployment's readiness and each Job's state", async () => {
    const up = await stack.up();
    expect(up.error).toBe("");
    const { code, report, seconds } = await statusJson();
    timing("npx bluegreen status -o json (from Enter)", seconds);
    expect(code).toBe(0);
    expect(report.live).toEqual({ stackFile: "blue", head: "blue", state: "blue", cluster: "blue" });
    const [web] = report.services;
    expect(web.selects).toBe("blue");
    for (const color of ["blue", "green"]) {
      expect(web.colors[color].deployment).toMatchObject({ name: `web-${color}`, replicas: 2, ready: 2, available: 2, updated: 2, rollout: "complete" });
      expect(web.colors[color].smokeJob.state).toBe("complete");
    }
    const outputs = await stack.outputs();
    expect(report.releaseJobs.map((j: any) => [j.name, j.state]).sort()).toEqual(outputs.migrationJobs.expand.map((name: string) => [name, "complete"]).sort());
    expect(report.rollback).toEqual({ to: "green", instant: true, problems: [] });
    expect(report.problems).toEqual([]);
    expect(report.unread).toEqual([]);

    const text = await cli("status");
    timing("npx bluegreen status (from Enter)", text.seconds);
    expect(text.stderr).toBe("");
    const lines = text.stdout.split("\n");
    expect(lines[1]).toBe("Live: blue");
    expect(lines[2]).toMatch(/^Live per source: cluster blue, Pulumi\.e2e-oncall-\d+\.yaml blue, HEAD [0-9a-f]{7} blue, Pulumi state blue$/);
    expect(lines).toContain("  blue   live  ghcr.io/acme/web:1.0.0  2/2                complete  complete");
    expect(lines).toContain("  green  idle  ghcr.io/acme/web:1.1.0  2/2                complete  complete");
    expect(lines).toContain("The cluster, the stack file, HEAD and the Pulumi state agree.");
  });

  it("a promotion by plain pulumi up, then a failed release pending: status names what is not ready", async () => {
    const promoted = await cli("promote");
    expect(promoted.code).toBe(0);
    project.commit(`${STACK}: promote green`);
    expect((await stack.up()).error).toBe("");
    expect(selector().color).toBe("green");
    // A hotfix of the live color whose image never gets ready: `pulumi up` fails, traffic stays.
    stack.editConfig((c) => (c.colors.green.image = "ghcr.io/acme/web:1.1.1-fail"));
    project.commit(`${STACK}: hotfix green 1.1.1`);
    const failed = await stack.up();
    expect(failed.ok).toBe(false);
    const { code, report } = await statusJson();
    expect(code).toBe(0);
    expect(report.live.cluster).toBe("green");
    expect(report.services[0].colors.green.deployment.rollout).not.toBe("complete");
    expect(report.services[0].colors.green.deployment.image).toBe("ghcr.io/acme/web:1.1.1-fail");
    expect(report.services[0].colors.green.smokeJob.state).toBe("missing");
    expect(report.rollback).toEqual({ to: "blue", instant: true, problems: [] });
  });

  it("rollback --apply from Enter, then status names the uncommitted switch and who made it", async () => {
    const run = await releaseCli(["rollback", "-s", STACK, "--file", stack.file, "--apply"], { namespace: NS, color: "blue" });
    timing("npx bluegreen rollback --apply, failed release pending: Enter -> flip", run.conditionAfter);
    expect(withoutProgress(run.stderr)).toBe("");
    expect(run.code).toBe(0);
    expect(selector().color).toBe("blue");
    const { code, report } = await statusJson();
    expect(code).toBe(3);
    expect(report.live).toMatchObject({ stackFile: "blue", head: "green", state: "blue", cluster: "blue" });
    expect(report.lastSwitch).toMatchObject({ from: "green", to: "blue", how: "rollback --apply", who: "Oncall E2e", images: { web: "ghcr.io/acme/web:1.0.0" } });
    expect(report.problems.map((p: any) => p.kind)).toEqual(["uncommitted"]);
    const text = await cli("status");
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/\n {2}uncommitted: the cluster and Pulumi\.e2e-oncall-\d+\.yaml serve `blue` \(rollback --apply by Oncall E2e at [0-9T:-]+Z\), but HEAD says `green`/);
  });

  it("the deploy path refuses drift: with the rollback not pushed, a merge to main switches nothing", async () => {
    // CI checks out main: the rollback's edit is not there; a later, unrelated commit lands.
    project.git("checkout", "--", ".");
    const before = project.git("rev-parse", "HEAD");
    stack.write(`${stack.read()}# an unrelated change\n`);
    project.commit("docs: an unrelated change");
    const objects = objectVersions(NS);
    const drift = await cli("check-drift", "--since", before);
    timing("npx bluegreen check-drift (from Enter)", drift.seconds);
    expect(drift.code).toBe(3);
    expect(drift.stdout).toBe("");
    const lines = drift.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^check-drift: refused: the cluster serves \`blue\` \\(rollback --apply by Oncall E2e at [0-9T:-]+Z\\), but git said \`green\` at ${before} and says \`green\` at [0-9a-f]{7}: this deploy would switch traffic back to \`green\`\\. Make git true first: commit \`activeColor: blue\``,
      ),
    );
    // The deploy stops there: nothing in the cluster changed, traffic stays on blue.
    expect(changedObjects(objects, objectVersions(NS))).toEqual([]);
    expect(selector().color).toBe("blue");

    // Making git true: the rollback's edit, committed; then the deploy goes ahead and switches nothing.
    const edit = await cli("rollback");
    expect(edit.code).toBe(0);
    const fixed = project.commit(`${STACK}: roll back to blue`);
    expect((await cli("check-drift", "--since", fixed + "~1")).code).toBe(0);
  });

  it("history shows the switches of the run in order, with how each happened", async () => {
    const run = await cli("history", "-o", "json");
    timing("npx bluegreen history -o json (from Enter)", run.seconds);
    expect(run.code).toBe(0);
    const history = JSON.parse(run.stdout);
    expect(history.schema).toBe("bluegreen.history/v1");
    expect(history.unread).toEqual([]);
    expect(history.switches.map((s: any) => [s.from, s.to, s.how])).toEqual([
      ["green", "blue", "rollback --apply"],
      ["blue", "green", "pulumi up"],
    ]);
    const [rollback, promotion] = history.switches;
    expect(rollback).toMatchObject({ who: "Oncall E2e", images: { web: "ghcr.io/acme/web:1.0.0" }, sources: ["pulumi", "cluster"] });
    expect(promotion).toMatchObject({ who: "Oncall E2e (commit)", images: { web: "ghcr.io/acme/web:1.1.0" }, sources: ["pulumi", "git"] });
    expect(promotion.commit).toBe(project.git("log", "--format=%H", "--grep", "promote green"));
    const text = (await cli("history")).stdout.trimEnd().split("\n");
    expect(text).toHaveLength(3);
    expect(text[0]).toMatch(/^when \(UTC\) +switch +how +who +commit +images +watch$/);
    expect(text[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}green → blue {2}rollback --apply {2}Oncall E2e/);
  });
});
