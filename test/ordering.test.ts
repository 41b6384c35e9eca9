/**
 * The order of one `pulumi up` on the production stack, as dependencies the engine enforces:
 * pre-migration backup Job -> migration Job -> the idle color's Deployment -> its smoke Job, and
 * active Deployment -> its smoke Job -> live Service. The switch path depends on nothing but itself:
 * the live color's Deployment waits on no Job, and nothing but the contract Job waits on the live
 * Service, so `pulumi up --target <live Service URN>` always works.
 * Long Jobs are awaited for their whole deadline, not pulumi-kubernetes' default 10 minutes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlainConfig, ProgramRun, RegisteredResource, ROOT, runProgram } from "./helpers/program";

const JOB = "kubernetes:batch/v1:Job";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const SECRET = "kubernetes:core/v1:Secret";

/** `type::name` of every resource whose explicit dependencies include `urn`. */
const dependentsOf = (run: ProgramRun, urn: string) =>
  run.resources.filter((r) => r.dependencies.includes(urn)).map((r) => `${r.type}::${r.name}`);

describe("the order of a pulumi up (production)", () => {
  let run: ProgramRun;
  const byObjectName = (prefix: string): RegisteredResource => {
    const found = run.ofType(JOB).filter((j) => j.inputs.metadata.name.startsWith(prefix));
    expect(found, prefix).toHaveLength(1);
    return found[0];
  };
  beforeAll(async () => {
    run = await runProgram("production");
    expect(run.error).toBeUndefined();
  });

  it("backup Job -> migration Job -> the idle color's Deployment only", () => {
    const backup = byObjectName("web-backup-pre-");
    const migrate = byObjectName("web-migrate-");
    expect(migrate.dependencies).toContain(backup.urn);
    expect(run.get(DEPLOYMENT, "web-green").dependencies).toEqual([migrate.urn, run.get(SECRET, "web-env").urn]);
  });

  it("the live color's Deployment waits on no Job: only on the env Secret its Pods read", () => {
    expect(run.get(DEPLOYMENT, "web-blue").dependencies).toEqual([run.get(SECRET, "web-env").urn]);
  });

  it("Deployment -> its smoke Job -> live Service, and nothing waits on the live Service", () => {
    const smokeBlue = byObjectName("web-smoke-blue-");
    const live = run.get(SERVICE, "web-live");
    expect(smokeBlue.dependencies).toEqual([run.get(DEPLOYMENT, "web-blue").urn]);
    expect(live.dependencies).toEqual([run.get(DEPLOYMENT, "web-blue").urn, smokeBlue.urn]);
    expect(live.dependencies).not.toContain(byObjectName("web-smoke-green-").urn);
    expect(dependentsOf(run, live.urn)).toEqual([]);
    expect(dependentsOf(run, run.get("bluegreen:k8s:LiveService", "web-live").urn)).toEqual([]);
    expect(run.resources.filter((r) => r.type.startsWith("command:"))).toEqual([]);
  });

  it("the idle color's Deployment does not wait for the live Service", () => {
    const live = run.get(SERVICE, "web-live");
    expect(run.get(DEPLOYMENT, "web-green").dependencies).not.toContain(live.urn);
    expect(run.get(DEPLOYMENT, "web-blue").dependencies).not.toContain(live.urn);
  });

  it("after a promotion with previewReplicas, blue scales down without waiting for the switch, and waits for its Jobs instead", async () => {
    const promoted = await runProgram("production", {
      edit: (c) => {
        c.activeColor = "green";
        c.colors.blue.previewReplicas = 1;
      },
    });
    expect(promoted.error).toBeUndefined();
    const live = promoted.get(SERVICE, "web-live");
    const blue = promoted.get(DEPLOYMENT, "web-blue");
    const green = promoted.get(DEPLOYMENT, "web-green");
    const migrate = promoted.ofType(JOB).filter((j) => j.inputs.metadata.name.startsWith("web-migrate-"));
    expect(migrate).toHaveLength(1);
    expect(blue.inputs.spec.replicas).toBe(1);
    expect(blue.dependencies).toEqual([migrate[0].urn, promoted.get(SECRET, "web-env").urn]);
    expect(green.dependencies).toEqual([promoted.get(SECRET, "web-env").urn]);
    expect(live.dependencies).toEqual([green.urn, promoted.get(JOB, "web-smoke-green").urn]);
    expect(dependentsOf(promoted, live.urn)).toEqual([]);
  });

  it("migration and backup Jobs are awaited for their deadline plus two minutes", () => {
    const migrate = byObjectName("web-migrate-");
    expect(migrate.inputs.spec.activeDeadlineSeconds).toBe(900);
    expect(migrate.customTimeouts).toMatchObject({ create: "1020s", update: "1020s" });
    const backup = byObjectName("web-backup-pre-");
    expect(backup.inputs.spec.activeDeadlineSeconds).toBe(7200);
    expect(backup.customTimeouts).toMatchObject({ create: "7320s", update: "7320s" });
  });
});

describe("the switch path depends on nothing but itself", () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "switch-path-"));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const commandMode = (c: PlainConfig) => (c.migrations = { mode: "command", command: ["npx", "prisma", "migrate", "deploy"] });
  const cases: [string, "staging" | "production", (c: PlainConfig) => void][] = [
    ["production as committed", "production", () => {}],
    ["production after a promotion", "production", (c) => (c.activeColor = "green")],
    ["production without migrations (the release's backup Job)", "production", (c) => delete c.migrations],
    ["production after a promotion, without migrations", "production", (c) => ((c.activeColor = "green"), delete c.migrations)],
    ["staging as committed", "staging", () => {}],
    ["staging in command mode (a migration Job per color image)", "staging", commandMode],
    ["staging rolled back, in command mode", "staging", (c) => (commandMode(c), (c.activeColor = "blue"))],
  ];

  it.each(cases)("%s: the live color's Deployment waits on no Job, the idle one waits on Jobs only", async (_name, stack, edit) => {
    const run = await runProgram(stack, { edit });
    expect(run.error).toBeUndefined();
    const active = run.outputs.activeColor as string;
    const idle = run.outputs.idleColor as string;
    const env = run.get(SECRET, "web-env").urn;
    expect(run.get(DEPLOYMENT, `web-${active}`).dependencies).toEqual([env]);
    const jobUrns = new Set(run.ofType(JOB).map((j) => j.urn));
    const idleDeps = run.get(DEPLOYMENT, `web-${idle}`).dependencies.filter((urn) => urn !== env);
    expect(idleDeps.length).toBeGreaterThan(0);
    for (const urn of idleDeps) expect(jobUrns.has(urn), urn).toBe(true);
    const live = run.get(SERVICE, "web-live");
    expect(live.dependencies).toEqual([run.get(DEPLOYMENT, `web-${active}`).urn, run.get(JOB, `web-smoke-${active}`).urn]);
    expect(dependentsOf(run, live.urn)).toEqual([]);
  });

  it("only the contract Job waits on the live Service", async () => {
    const dir = path.join(tmp, "contract");
    fs.mkdirSync(dir);
    for (const f of fs.readdirSync(path.join(ROOT, "migrations"))) fs.copyFileSync(path.join(ROOT, "migrations", f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, "006_drop_users_legacy.sql"), "-- migrate:contract\nALTER TABLE users DROP COLUMN IF EXISTS legacy_name;\n");
    const run = await runProgram("production", {
      edit: (c) => {
        c.migrations.directory = dir;
        c.colors.green.previewReplicas = 0;
      },
    });
    expect(run.error).toBeUndefined();
    const contract = run.ofType(JOB).filter((j) => j.inputs.metadata.labels?.["bluegreen/phase"] === "contract");
    expect(contract).toHaveLength(1);
    // The contract MigrationJob component and its Job.
    expect(dependentsOf(run, run.get(SERVICE, "web-live").urn)).toEqual([
      `bluegreen:k8s:MigrationJob::${contract[0].name.replace(/-job$/, "")}`,
      `${JOB}::${contract[0].name}`,
    ]);
    expect(run.get(DEPLOYMENT, "web-blue").dependencies).toEqual([run.get(SECRET, "web-env").urn]);
  });
});
