/**
 * The order of one `pulumi up` on the production stack, as dependencies the engine enforces: for each
 * color, its pre-migration backup Job -> its expand migration Job -> its Deployment -> its smoke Job,
 * whichever color is live; and the active color's Deployment and smoke Job -> live Service. On
 * staging (two services, web and its BFF) every Deployment of a color waits on that color's Jobs,
 * and both live Services wait on both services' active Deployments and smoke Jobs. The
 * dependency graph does not depend on `activeColor`, so a switch (even `pulumi up --target <live
 * Service URN>`) changes one resource and leaves a consistent state; a rollback to a color whose
 * release went through waits on nothing, its Jobs being unchanged. Nothing but the contract Job
 * waits on the live Service.
 * Long Jobs are awaited for their whole deadline, not pulumi-kubernetes' default 10 minutes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Color, COLORS } from "../config";
import { PlainConfig, ProgramRun, ROOT, runProgram, StackName } from "./helpers/program";
import {
  commandExpandSpec,
  DEPLOYMENT,
  dependencyKeys,
  expandJobResource,
  JOB,
  JOBS_IMAGE,
  keyOf,
  LIVE_SERVICES,
  liveServiceGates,
  releaseBackupResource,
  SECRET,
  SERVICE,
  sqlExpandSpec,
  STACK_IMAGES,
  STACK_SERVICES,
  shippedFiles,
  smokeJobKey,
  smokeJobResource,
  stackRelease,
} from "./helpers/releaseJobs";

const ENV = `${SECRET}::web-env`;
/** Production's expand Job of a color (sql mode, as committed). */
const productionExpand = (color: Color) => expandJobResource(color, stackRelease("production", color), sqlExpandSpec(JOBS_IMAGE.production));

/** `type::name` of every resource whose explicit dependencies include `urn`. */
const dependentsOf = (run: ProgramRun, urn: string) =>
  run.resources.filter((r) => r.dependencies.includes(urn)).map((r) => `${r.type}::${r.name}`);

describe("the order of a pulumi up (production)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("production");
    expect(run.error).toBeUndefined();
  });
  const deps = (type: string, name: string) => dependencyKeys(run, run.get(type, name).dependencies);

  it.each(COLORS)("%s: its backup Job -> its migration Job -> its Deployment, and no other color's Job", (color) => {
    const migrate = run.get(JOB, productionExpand(color));
    const backupName = migrate.name.replace(/^web-migrate-([0-9a-f]{10})-job$/, "web-backups-pre-$1");
    expect(deps(JOB, migrate.name)).toContain(`${JOB}::${backupName}`);
    expect(deps(DEPLOYMENT, `web-${color}`)).toEqual([`${JOB}::${migrate.name}`, ENV]);
    const other = color === "blue" ? "green" : "blue";
    expect(deps(JOB, migrate.name)).not.toContain(`${JOB}::${productionExpand(other)}`);
    expect(deps(JOB, migrate.name).filter((k) => k.startsWith(`${JOB}::web-backups-pre-`))).toEqual([`${JOB}::${backupName}`]);
  });

  it("the live color's Deployment waits on its own Jobs too, like the idle one: its expand Job and the env Secret its Pods read", () => {
    expect(run.outputs.activeColor).toBe("blue");
    expect(deps(DEPLOYMENT, "web-blue")).toEqual([`${JOB}::${productionExpand("blue")}`, ENV]);
  });

  it("Deployment -> its smoke Job -> live Service, and nothing waits on the live Service", () => {
    const live = run.get(SERVICE, "web-live");
    expect(deps(JOB, smokeJobResource(run, "web", "blue"))).toEqual([`${DEPLOYMENT}::web-blue`]);
    expect(deps(JOB, smokeJobResource(run, "web", "green"))).toEqual([`${DEPLOYMENT}::web-green`]);
    expect(deps(SERVICE, "web-live")).toEqual([`${DEPLOYMENT}::web-blue`, smokeJobKey(run, "web", "blue")]);
    expect(dependentsOf(run, live.urn)).toEqual([]);
    expect(dependentsOf(run, run.get("bluegreen:k8s:LiveService", "web-live").urn)).toEqual([]);
    expect(run.resources.filter((r) => r.type.startsWith("command:"))).toEqual([]);
  });

  it("the idle color's Deployment does not wait for the live Service", () => {
    const live = run.get(SERVICE, "web-live");
    expect(run.get(DEPLOYMENT, "web-green").dependencies).not.toContain(live.urn);
    expect(run.get(DEPLOYMENT, "web-blue").dependencies).not.toContain(live.urn);
  });

  it("after a promotion with previewReplicas, blue scales down without waiting for the switch, and still waits on its own (unchanged) Jobs only", async () => {
    const promoted = await runProgram("production", {
      edit: (c) => {
        c.activeColor = "green";
        c.colors.blue.previewReplicas = 1;
      },
    });
    expect(promoted.error).toBeUndefined();
    const live = promoted.get(SERVICE, "web-live");
    const promotedDeps = (type: string, name: string) => dependencyKeys(promoted, promoted.get(type, name).dependencies);
    const migrate = promoted.ofType(JOB).filter((j) => j.inputs.metadata.name.startsWith("web-migrate-"));
    expect(migrate.map((j) => j.name)).toEqual(COLORS.map(productionExpand));
    expect(promoted.get(DEPLOYMENT, "web-blue").inputs.spec.replicas).toBe(1);
    expect(promotedDeps(DEPLOYMENT, "web-blue")).toEqual([`${JOB}::${productionExpand("blue")}`, ENV]);
    expect(promotedDeps(DEPLOYMENT, "web-green")).toEqual([`${JOB}::${productionExpand("green")}`, ENV]);
    // Green's smoke Job is the one that passed before the promotion: the same hash, the same resource.
    expect(smokeJobKey(promoted, "web", "green")).toBe(smokeJobKey(run, "web", "green"));
    expect(promotedDeps(SERVICE, "web-live")).toEqual([`${DEPLOYMENT}::web-green`, smokeJobKey(promoted, "web", "green")]);
    expect(dependentsOf(promoted, live.urn)).toEqual([]);
  });

  it("migration and backup Jobs are awaited for their deadline plus two minutes", () => {
    const migrate = run.ofType(JOB).filter((j) => j.inputs.metadata.name.startsWith("web-migrate-"));
    const backup = run.ofType(JOB).filter((j) => j.inputs.metadata.name.startsWith("web-backup-pre-"));
    expect(migrate).toHaveLength(2);
    expect(backup).toHaveLength(2);
    for (const job of migrate) {
      expect(job.inputs.spec.activeDeadlineSeconds, job.name).toBe(900);
      expect(job.customTimeouts, job.name).toMatchObject({ create: "1020s", update: "1020s" });
    }
    for (const job of backup) {
      expect(job.inputs.spec.activeDeadlineSeconds, job.name).toBe(7200);
      expect(job.customTimeouts, job.name).toMatchObject({ create: "7320s", update: "7320s" });
    }
  });
});

type Mode = "sql" | "command" | "none";
const commandMode = (c: PlainConfig) => (c.migrations = { mode: "command", command: ["npx", "prisma", "migrate", "deploy"] });
const noMigrations = (c: PlainConfig) => delete c.migrations;

/** `type::name` of the Job a color's Deployment waits on: its expand Job, or its release's backup Job without migrations. */
function ownJobOf(stack: StackName, mode: Mode, color: Color): string {
  const release = stackRelease(stack, color);
  if (mode === "none") return `${JOB}::${releaseBackupResource(color, release)}`;
  // command mode runs the migrating service's image: staging's first service, web.
  return `${JOB}::${expandJobResource(color, release, mode === "sql" ? sqlExpandSpec(JOBS_IMAGE[stack]) : commandExpandSpec(STACK_IMAGES[stack][color]))}`;
}

describe("the switch path depends on nothing but itself", () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "switch-path-"));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cases: [string, StackName, (c: PlainConfig) => void, Mode][] = [
    ["production as committed", "production", () => {}, "sql"],
    ["production after a promotion", "production", (c) => (c.activeColor = "green"), "sql"],
    ["production without migrations (each color's release backup Job)", "production", noMigrations, "none"],
    ["production after a promotion, without migrations", "production", (c) => ((c.activeColor = "green"), noMigrations(c)), "none"],
    ["staging as committed", "staging", () => {}, "sql"],
    ["staging in command mode (a migration Job per color)", "staging", commandMode, "command"],
    ["staging rolled back, in command mode", "staging", (c) => (commandMode(c), (c.activeColor = "blue")), "command"],
  ];

  it.each(cases)("%s: each color's Deployments wait on its own Jobs only; every live Service on every service's active Deployment and smoke Job only", async (_name, stack, edit, mode) => {
    const run = await runProgram(stack, { edit });
    expect(run.error).toBeUndefined();
    const active = run.outputs.activeColor as Color;
    for (const color of COLORS) {
      const own = ownJobOf(stack, mode, color);
      const other = ownJobOf(stack, mode, color === "blue" ? "green" : "blue");
      expect(own).not.toBe(other);
      // Every service's Deployment of the color (staging: web's and the BFF's) waits on the same Job, and its own env Secret.
      for (const service of STACK_SERVICES[stack]) {
        expect(dependencyKeys(run, run.get(DEPLOYMENT, `${service}-${color}`).dependencies), `${service} ${color}`).toEqual([own, `${SECRET}::${service}-env`]);
      }
      // The expand Job waits on its own color's backup Job, never on the other color's Jobs.
      const ownJob = run.get(JOB, own.slice(`${JOB}::`.length));
      const ownDeps = dependencyKeys(run, ownJob.dependencies);
      expect(ownDeps, color).not.toContain(other);
      if (mode !== "none") {
        const backups = ownDeps.filter((k) => k.startsWith(`${JOB}::web-backups-pre-`));
        expect(backups, color).toEqual([own.replace(/web-migrate-([0-9a-f]{10})-job$/, "web-backups-pre-$1")]);
      }
    }
    // Every live Service (staging: web's and the BFF's) waits on every service's active Deployment and smoke Job.
    expect(run.ofType(SERVICE).filter((s) => s.inputs.metadata.labels?.role === "live").map(keyOf).sort()).toEqual(LIVE_SERVICES[stack]);
    for (const key of LIVE_SERVICES[stack]) {
      const live = run.get(SERVICE, key.slice(`${SERVICE}::`.length));
      expect(dependencyKeys(run, live.dependencies), key).toEqual(liveServiceGates(run, stack, active));
      expect(dependentsOf(run, live.urn), key).toEqual([]);
    }
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
    // Both colors still wait on their own expand Jobs (the retired one too), and on nothing of the switch.
    const spec = sqlExpandSpec(JOBS_IMAGE.production, shippedFiles(dir));
    for (const color of COLORS) {
      expect(dependencyKeys(run, run.get(DEPLOYMENT, `web-${color}`).dependencies), color).toEqual([
        `${JOB}::${expandJobResource(color, STACK_IMAGES.production[color], spec)}`,
        ENV,
      ]);
    }
  });
});

describe("the dependency graph is the same whichever color is live", () => {
  const variants: [string, (c: PlainConfig) => void][] = [
    ["as committed", () => {}],
    ["in command mode", commandMode],
    ["without migrations", noMigrations],
  ];
  const cases = (["staging", "production"] as const).flatMap((stack) => variants.map(([name, edit]) => [`${stack} ${name}`, stack, edit] as const));

  /** Every resource but the live Services, with its parent and its dependencies as sets of `type::name`. */
  const graphOf = (run: ProgramRun, stack: StackName) => {
    const byUrn = new Map(run.resources.map((r) => [r.urn, keyOf(r)]));
    const keys = (urns: readonly string[]) => [...new Set(dependencyKeys(run, urns))].sort();
    return Object.fromEntries(
      run.resources
        .filter((r) => !LIVE_SERVICES[stack].includes(keyOf(r)))
        .map((r) => [
          keyOf(r),
          {
            parent: byUrn.get(r.parent) ?? r.parent,
            dependencies: keys(r.dependencies),
            propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([property, urns]) => [property, keys(urns)])),
          },
        ]),
    );
  };

  it.each(cases)("%s: every resource but the live Services has the same dependencies with blue or green live", async (_name, stack, edit) => {
    const runs = {} as Record<Color, ProgramRun>;
    for (const color of COLORS) {
      runs[color] = await runProgram(stack, { edit: (c) => (edit(c), (c.activeColor = color)) });
      expect(runs[color].error, color).toBeUndefined();
      expect(runs[color].outputs.activeColor).toBe(color);
      // No contract Job here: it alone may depend on the live Service.
      expect(runs[color].ofType(JOB).filter((j) => j.inputs.metadata.labels?.["bluegreen/phase"] === "contract")).toEqual([]);
    }
    const [blue, green] = [graphOf(runs.blue, stack), graphOf(runs.green, stack)];
    expect(Object.keys(green).sort()).toEqual(Object.keys(blue).sort());
    expect(Object.keys(blue).length).toBeGreaterThan(20);
    for (const key of Object.keys(blue)) expect(green[key], key).toEqual(blue[key]);
    // Each color's Deployments (every service's) wait on one Job, the same one, of their own in both runs.
    for (const color of COLORS) {
      const jobs = STACK_SERVICES[stack].map((service) => blue[`${DEPLOYMENT}::${service}-${color}`].dependencies.filter((k) => k.startsWith(`${JOB}::`)));
      expect(jobs[0], color).toHaveLength(1);
      for (const [i, service] of STACK_SERVICES[stack].entries()) expect(jobs[i], `${service} ${color}`).toEqual(jobs[0]);
    }
    // Each live Service waits on exactly every service's active Deployment and smoke Job, and nothing waits on it.
    for (const color of COLORS) {
      for (const key of LIVE_SERVICES[stack]) {
        const live = runs[color].get(SERVICE, key.slice(`${SERVICE}::`.length));
        expect(dependencyKeys(runs[color], live.dependencies), `${key} ${color}`).toEqual(liveServiceGates(runs[color], stack, color));
        expect(dependentsOf(runs[color], live.urn), `${key} ${color}`).toEqual([]);
      }
    }
  });
});
