/**
 * The product's core promise, checked on the real production stack file: a promotion or a rollback
 * changes only the live Service's selector (the post-promotion watch runs after `pulumi up`, from
 * the `promotionWatch` output, and is no resource), and renames no Job; a release to the idle color
 * changes only that color (its Deployment, its smoke Job and its own release Jobs: the pre-migration
 * backup and the expand migration), never the live Service nor the other color's Jobs. The property
 * is also checked on staging, an app of two services (web and its BFF): there a flip changes exactly
 * both live Services.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MigrationJobSpec } from "../components/migrationJob";
import { Color } from "../config";
import { changedResources, ProgramRun, ROOT, runProgram, StackName } from "./helpers/program";
import {
  expandJobName,
  JOB,
  jobObjectNames,
  JOBS_IMAGE,
  LIVE_SERVICE,
  LIVE_SERVICES,
  liveServiceGates,
  migrationJobNames,
  shippedFiles,
  smokeJob,
  smokeJobKey,
  smokeJobResource,
  sqlExpandSpec,
  STACK_SERVICES,
  stackRelease,
} from "./helpers/releaseJobs";

/** Production's expand Job name for a color running `image` (default: the stack file's; sql mode). */
const productionExpand = (color: Color, image?: string, spec: MigrationJobSpec = sqlExpandSpec(JOBS_IMAGE.production)) =>
  expandJobName(color, stackRelease("production", color, image ? { web: image } : {}), spec);
/** Every registered resource of a color's release Jobs: the MigrationJob component, its Job, the backup Job. */
const releaseJobResources = (expandName: string) => [
  `bluegreen:k8s:MigrationJob::${expandName}`,
  `${JOB}::${expandName.replace(/^web-migrate-/, "web-backups-pre-")}`,
  `${JOB}::${expandName}-job`,
];

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
        "Roll back: npx bluegreen rollback -s production --apply (or: git revert <promotion commit> && pulumi up -s production)",
      liveServiceUrn: "urn:pulumi:production::bluegreen::bluegreen:k8s:LiveService$kubernetes:core/v1:Service::web-live",
    });
    // The watch settings do not depend on the color: the same output before and after the flip.
    expect(greenLive.outputs.promotionWatch).toEqual(blueLive.outputs.promotionWatch);
  });
});

describe("release to the idle color (production)", () => {
  it("changing the idle image changes the idle Deployment, its smoke Job and its own release Jobs only", async () => {
    const before = await runProgram("production");
    const after = await runProgram("production", { edit: (c) => (c.colors.green.image = "ghcr.io/acme/web:1.5.1") });
    expect(after.error).toBeUndefined();
    // Green's expand Job (and the backup Job before it) is replaced by one for the new image; blue's stay.
    // Green's smoke Job too: a new resource named by its new hash, and the old one deleted.
    const [oldSmoke, newSmoke] = [smokeJobKey(before, "web", "green"), smokeJobKey(after, "web", "green")];
    expect(newSmoke).not.toBe(oldSmoke);
    expect(changedResources(before, after)).toEqual(
      [
        ...releaseJobResources(productionExpand("green")),
        ...releaseJobResources(productionExpand("green", "ghcr.io/acme/web:1.5.1")),
        "kubernetes:apps/v1:Deployment::web-green",
        oldSmoke,
        newSmoke,
      ].sort(),
    );
    expect(smokeJobKey(after, "web", "blue")).toBe(smokeJobKey(before, "web", "blue"));
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
    expect(liveService.dependencies).toContain(smokeJob(run, "web", "green").urn);
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

  it.each(variants)("%s: flipping activeColor changes exactly the live Services; flipping back restores identical inputs", async (_name, stack, edit) => {
    const before = await runProgram(stack, { edit });
    const flipped = await runProgram(stack, { edit: flip(edit) });
    const back = await runProgram(stack, { edit });
    expect(before.error).toBeUndefined();
    expect(flipped.error).toBeUndefined();
    // Production: its one live Service; staging: web's and the BFF's, and nothing else.
    expect(changedResources(before, flipped)).toEqual(LIVE_SERVICES[stack]);
    expect(changedResources(flipped, back)).toEqual(LIVE_SERVICES[stack]);
    expect(changedResources(before, back)).toEqual([]);
    for (const service of STACK_SERVICES[stack]) {
      const live = (run: ProgramRun) => run.get("kubernetes:core/v1:Service", `${service}-live`);
      expect(live(back).wireInputs, service).toEqual(live(before).wireInputs);
      expect(live(flipped).inputs.spec.selector, service).toEqual({ app: service, color: flipped.outputs.activeColor });
      expect(live(before).inputs.spec.selector, service).toEqual({ app: service, color: before.outputs.activeColor });
    }
    expect(flipped.resources.filter((r) => r.type.startsWith("command:"))).toEqual([]);
    // No Job is renamed, so none re-runs: the switch waits on Jobs that already completed.
    expect(jobObjectNames(flipped)).toEqual(jobObjectNames(before));
    expect(flipped.outputs.migrationJobs).toEqual(before.outputs.migrationJobs);
    expect(flipped.outputs.preMigrationBackupJobs).toEqual(before.outputs.preMigrationBackupJobs);
  });

  /**
   * A release, and the active color's expand Job after it: unchanged (undefined) when the release
   * touches only the idle color; renamed, with the inactive one, when it changes what every expand
   * Job runs (the runner image).
   */
  const releases: [string, StackName, (c: Record<string, any>) => void, string | undefined][] = [
    ["production: a new idle image", "production", (c) => (c.colors.green.image = "ghcr.io/acme/web:1.6.0"), undefined],
    ["production: the idle color scaled", "production", (c) => (c.colors.green.replicas = 6), undefined],
    ["production: the idle color retired", "production", (c) => ((c.colors.green.replicas = 0), delete c.colors.green.image), undefined],
    [
      "production: a new jobs image",
      "production",
      (c) => (c.jobsImage = "ghcr.io/acme/web-jobs:1.6.0"),
      expandJobName("blue", stackRelease("production", "blue"), sqlExpandSpec("ghcr.io/acme/web-jobs:1.6.0")),
    ],
    ["staging: a new idle release (both services' images)", "staging", (c) => (c.colors.blue.images = { web: "ghcr.io/acme/web:1.6.0-rc.1", bff: "ghcr.io/acme/bff:1.6.0-rc.1" }), undefined],
    ["staging: a new idle image of one service (the BFF)", "staging", (c) => (c.colors.blue.images.bff = "ghcr.io/acme/bff:1.6.0-rc.1"), undefined],
    [
      "staging: a new idle release and a new migration runner",
      "staging",
      (c) => ((c.colors.blue.images = { web: "ghcr.io/acme/web:1.6.0-rc.1", bff: "ghcr.io/acme/bff:1.6.0-rc.1" }), (c.migrations.image = "ghcr.io/acme/web-jobs:1.6.0-rc.1")),
      expandJobName("green", stackRelease("staging", "green"), sqlExpandSpec("ghcr.io/acme/web-jobs:1.6.0-rc.1")),
    ],
  ];

  it.each(releases)("%s never changes a live Service, what it waits for, or the active Deployments", async (_name, stack, edit, renamedActiveJob) => {
    const before = await runProgram(stack);
    const after = await runProgram(stack, { edit });
    expect(after.error).toBeUndefined();
    for (const key of LIVE_SERVICES[stack]) expect(changedResources(before, after)).not.toContain(key);
    expect(changedResources(before, after).length).toBeGreaterThan(0);
    const active = before.outputs.activeColor as Color;
    expect(after.outputs.activeColor).toBe(active);
    for (const service of STACK_SERVICES[stack]) {
      const live = (run: ProgramRun) => run.get("kubernetes:core/v1:Service", `${service}-live`);
      expect(live(after).wireInputs, service).toEqual(live(before).wireInputs);
      expect(live(after).dependencies, service).toEqual(live(before).dependencies);
      expect(live(after).dependencies, service).toEqual(liveServiceGates(after, stack, active).map((key) => after.get(key.split("::")[0], key.split("::")[1]).urn));
      // The active color's smoke Job keeps its hash, so it is the same resource: the gate does not re-run.
      expect(smokeJobResource(after, service, active), service).toBe(smokeJobResource(before, service, active));
    }
    // Every service's active Deployment (production: web's; staging: web's and the BFF's).
    for (const service of STACK_SERVICES[stack]) {
      const activeDeployment = (run: ProgramRun) => run.get("kubernetes:apps/v1:Deployment", `${service}-${active}`);
      expect(activeDeployment(after).wireInputs, service).toEqual(activeDeployment(before).wireInputs);
      const activeJob = (run: ProgramRun) => activeDeployment(run).dependencies.filter((urn) => urn.includes("kubernetes:batch/v1:Job::"));
      expect(activeJob(before), service).toHaveLength(1);
      if (renamedActiveJob === undefined) {
        // The active color waits on the same, already completed, Job.
        expect(activeDeployment(after).dependencies, service).toEqual(activeDeployment(before).dependencies);
      } else {
        // The active color's Job is the new one of what every expand Job now runs: only that dependency moved.
        const beforeJob = activeJob(before)[0];
        expect(activeJob(after), service).toEqual([after.get(JOB, `${renamedActiveJob}-job`).urn]);
        expect(activeJob(after)[0], service).not.toBe(beforeJob);
        expect(activeDeployment(after).dependencies.map((urn) => (urn === activeJob(after)[0] ? beforeJob : urn)), service).toEqual(activeDeployment(before).dependencies);
      }
    }
  });
});

describe("which Jobs a change re-runs (production)", () => {
  let base: ProgramRun;
  beforeAll(async () => {
    base = await runProgram("production");
    expect(base.error).toBeUndefined();
  });

  it("the stack runs one expand Job per color, each named by the color, its image and what it runs", () => {
    expect(migrationJobNames(base)).toEqual([productionExpand("blue"), productionExpand("green")].sort());
    expect(base.outputs.migrationJobs).toEqual({ expand: [productionExpand("blue"), productionExpand("green")], contract: "none" });
  });

  it("a release on green (a new image) renames only green's expand Job; blue's stays", async () => {
    const released = await runProgram("production", { edit: (c) => (c.colors.green.image = "ghcr.io/acme/web:1.5.1") });
    expect(released.error).toBeUndefined();
    expect(released.outputs.migrationJobs).toEqual({ expand: [productionExpand("blue"), productionExpand("green", "ghcr.io/acme/web:1.5.1")], contract: "none" });
    expect(productionExpand("green", "ghcr.io/acme/web:1.5.1")).not.toBe(productionExpand("green"));
    const names = jobObjectNames(released);
    const before = jobObjectNames(base);
    // Blue's expand, backup and smoke Jobs are untouched (the smoke Job the same resource, of the same hash).
    expect(smokeJobResource(released, "web", "blue")).toBe(smokeJobResource(base, "web", "blue"));
    for (const job of [`${productionExpand("blue")}-job`, productionExpand("blue").replace(/^web-migrate-/, "web-backups-pre-"), smokeJobResource(base, "web", "blue")]) {
      expect(names[job], job).toBe(before[job]);
      expect(released.get(JOB, job).wireInputs, job).toEqual(base.get(JOB, job).wireInputs);
    }
    // Green's is a new Job, and a new resource named like it.
    const [oldGreen, newGreen] = [smokeJobResource(base, "web", "green"), smokeJobResource(released, "web", "green")];
    expect(newGreen).not.toBe(oldGreen);
    expect(names[newGreen]).toBe(newGreen);
    expect(before[oldGreen]).toBe(oldGreen);
    expect(names[oldGreen]).toBeUndefined();
  });

  it("a new migration file renames both colors' expand Jobs (what they run changed), and no smoke Job", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotion-migrations-"));
    try {
      for (const f of fs.readdirSync(path.join(ROOT, "migrations"))) fs.copyFileSync(path.join(ROOT, "migrations", f), path.join(dir, f));
      fs.writeFileSync(path.join(dir, "006_add_orders_note.sql"), "ALTER TABLE orders ADD COLUMN note text;\n");
      const added = await runProgram("production", { edit: (c) => (c.migrations.directory = dir) });
      expect(added.error).toBeUndefined();
      const spec = sqlExpandSpec(JOBS_IMAGE.production, shippedFiles(dir));
      const expand = [productionExpand("blue", undefined, spec), productionExpand("green", undefined, spec)];
      expect(added.outputs.migrationJobs).toEqual({ expand, contract: "none" });
      expect(expand[0]).not.toBe(productionExpand("blue"));
      expect(expand[1]).not.toBe(productionExpand("green"));
      for (const color of ["blue", "green"] as const) {
        const smoke = smokeJobResource(base, "web", color);
        expect(smokeJobResource(added, "web", color), color).toBe(smoke);
        expect(jobObjectNames(added)[smoke], color).toBe(jobObjectNames(base)[smoke]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a promotion renames no Job", async () => {
    const promoted = await runProgram("production", { edit: (c) => (c.activeColor = "green") });
    expect(promoted.error).toBeUndefined();
    expect(jobObjectNames(promoted)).toEqual(jobObjectNames(base));
    expect(Object.keys(jobObjectNames(base))).toHaveLength(6); // per color: a backup, an expand and a smoke Job
    expect(promoted.outputs.migrationJobs).toEqual(base.outputs.migrationJobs);
    expect(promoted.outputs.preMigrationBackupJobs).toEqual(base.outputs.preMigrationBackupJobs);
    expect(promoted.outputs.smokeJobNames).toEqual(base.outputs.smokeJobNames);
  });
});
