/**
 * Job identity on the real production stack: every Job (migration, pre-migration backup, smoke) is
 * named by a hash of what it runs. A change that does not touch what a Job runs (resources,
 * deadlines, retries, a rotated database Secret, the smoke start-up allowance) keeps every Job's
 * name and changes its inputs only under the `ignoreChanges` it registers, so Pulumi neither
 * replaces nor re-runs it; a change to what it runs gives it a new name.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { worstCaseSeconds } from "../../components/smokeGate";
import { PlainConfig, ProgramRun, RegisteredResource, runProgram, TEST_SECRETS } from "../helpers/program";
import { smokeJob } from "../helpers/releaseJobs";

const JOB = "kubernetes:batch/v1:Job";
const SETTINGS = ["spec.activeDeadlineSeconds", "spec.backoffLimit", "spec.template.spec.containers[0].resources"];
const DATABASE_REF = "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name";
const TMP = "spec.template.spec.volumes[0].emptyDir";
const IGNORED: Record<string, string[]> = {
  migration: [...SETTINGS, DATABASE_REF, TMP],
  backup: [...SETTINGS, DATABASE_REF, TMP],
  smoke: [...SETTINGS, "spec.template.spec.containers[0].image"],
};

const kindOf = (job: RegisteredResource) => job.inputs.spec.template.metadata.labels.role as "migration" | "backup" | "smoke";
/** Job logical name -> Kubernetes name. */
const jobNames = (run: ProgramRun) => Object.fromEntries(run.ofType(JOB).map((j) => [j.name, j.inputs.metadata.name]));

/** `value` without the properties at these Pulumi property paths (`a.b[0].c`). */
function withoutPaths(value: unknown, paths: readonly string[]): unknown {
  const copy = JSON.parse(JSON.stringify(value));
  for (const path of paths) {
    const segments = path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "").map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    let node: any = copy;
    for (const segment of segments.slice(0, -1)) node = node?.[segment];
    if (node && typeof node === "object") delete node[segments[segments.length - 1]];
  }
  return copy;
}

/** The Jobs of `after` compared with `before`: same names, differences only under their ignoreChanges. */
function expectOnlyIgnoredChanges(before: ProgramRun, after: ProgramRun) {
  expect(jobNames(after)).toEqual(jobNames(before));
  for (const job of after.ofType(JOB)) {
    const old = before.get(JOB, job.name);
    expect(withoutPaths(job.wireInputs, job.ignoreChanges), job.name).toEqual(withoutPaths(old.wireInputs, job.ignoreChanges));
  }
}

describe("Job identity (production)", () => {
  let base: ProgramRun;
  beforeAll(async () => {
    base = await runProgram("production");
    expect(base.error).toBeUndefined();
  });

  it("every Job registers ignoreChanges for exactly the fields outside its hash; migrations are replaced delete-first", () => {
    // Per color: a pre-migration backup Job, an expand migration Job and a smoke Job.
    const kinds = base.ofType(JOB).map(kindOf).sort();
    expect(kinds).toEqual(["backup", "backup", "migration", "migration", "smoke", "smoke"]);
    for (const job of base.ofType(JOB)) {
      expect(job.ignoreChanges, job.name).toEqual(IGNORED[kindOf(job)]);
      // The paths name what the Job really has at those positions.
      const container = job.inputs.spec.template.spec.containers[0];
      if (IGNORED[kindOf(job)].includes(DATABASE_REF)) expect(container.env[0].name).toBe("DATABASE_URL");
      if (IGNORED[kindOf(job)].includes(TMP)) expect(job.inputs.spec.template.spec.volumes[0].name).toBe("tmp");
      expect(job.deleteBeforeReplace, job.name).toBe(kindOf(job) === "migration");
    }
  });

  it("a resources-only change (app, backups) changes no Job name, only ignored fields", async () => {
    const resized = await runProgram("production", {
      edit: (c: PlainConfig) => {
        c.resources.limits = { cpu: "4", memory: "2Gi", ephemeralStorage: "4Gi" };
        c.backups.resources.limits = { cpu: "4", memory: "1Gi", ephemeralStorage: "16Gi" };
      },
    });
    expect(resized.error).toBeUndefined();
    for (const migration of resized.ofType(JOB).filter((j) => kindOf(j) === "migration")) {
      expect(migration.inputs.spec.template.spec.containers[0].resources.limits, migration.name).toEqual({ cpu: "4", memory: "2Gi", "ephemeral-storage": "4Gi" });
    }
    for (const backup of resized.ofType(JOB).filter((j) => kindOf(j) === "backup")) {
      expect(backup.inputs.spec.template.spec.volumes[0], backup.name).toEqual({ name: "tmp", emptyDir: { sizeLimit: "16Gi" } });
    }
    expectOnlyIgnoredChanges(base, resized);
  });

  it("deadlines, retries and the smoke start-up allowance change no Job name, only ignored fields", async () => {
    const retimed = await runProgram("production", {
      edit: (c: PlainConfig) => {
        c.migrations.activeDeadlineSeconds = 600;
        c.migrations.backoffLimit = 0;
        c.backups.activeDeadlineSeconds = 10800;
        c.backups.backoffLimit = 0;
        c.smoke.startupAllowanceSeconds = 300;
      },
    });
    expect(retimed.error).toBeUndefined();
    expectOnlyIgnoredChanges(base, retimed);
    // Still awaited for the (new) deadline plus two minutes.
    for (const backup of retimed.ofType(JOB).filter((j) => kindOf(j) === "backup")) {
      expect(backup.customTimeouts, backup.name).toMatchObject({ create: "10920s", update: "10920s" });
    }
  });

  it("a rotated database URL changes no Job name, only the ignored Secret name", async () => {
    const rotated = await runProgram("production", {
      secrets: { ...TEST_SECRETS.production, databaseUrl: "postgres://web:rotated-db-password@db.production.internal:5432/web" },
    });
    expect(rotated.error).toBeUndefined();
    const refs = (run: ProgramRun) =>
      run
        .ofType(JOB)
        .filter((j) => kindOf(j) !== "smoke")
        .map((j) => j.inputs.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name);
    expect(refs(base)).toHaveLength(4);
    for (const ref of refs(rotated)) expect(refs(base)).not.toContain(ref);
    expectOnlyIgnoredChanges(base, rotated);
  });

  it("a change to what a Job runs gives it a new name (both colors' Jobs of that kind), and only those Jobs", async () => {
    const names = (run: ProgramRun, kind: string): string[] =>
      run
        .ofType(JOB)
        .filter((j) => kindOf(j) === kind)
        .map((j) => j.inputs.metadata.name)
        .sort();
    const cases: [string, (c: PlainConfig) => void, string[]][] = [
      // The migration runner's command: its lock timeouts are arguments.
      ["migrations.lockTimeoutSeconds", (c) => (c.migrations.lockTimeoutSeconds = 120), ["migration", "backup"]],
      // The backup's own settings (its env) and image: a new backup, the migration stays.
      ["backups.partSizeMb", (c) => (c.backups.partSizeMb = 64), ["backup"]],
      ["backups.prefix", (c) => (c.backups.prefix = "web/production-2"), ["backup"]],
      ["backups.metricsNamespace", (c) => ((c.backups.metricsNamespace = "Acme/Backups"), (c.alarms.backupMetric = { namespace: "Acme/Backups" })), ["backup"]],
      // The smoke checks' command.
      ["smoke.retries", (c) => (c.smoke.retries = 5), ["smoke"]],
    ];
    for (const [what, edit, renamed] of cases) {
      const changed = await runProgram("production", { edit });
      expect(changed.error, what).toBeUndefined();
      // A smoke Job's resource is named like the Job: a new name is a new resource, not a replacement.
      for (const smoke of changed.ofType(JOB).filter((j) => kindOf(j) === "smoke")) expect(smoke.name, what).toBe(smoke.inputs.metadata.name);
      for (const kind of ["migration", "backup", "smoke"]) {
        expect(names(changed, kind), `${what}: ${kind}`).toHaveLength(2);
        if (renamed.includes(kind)) {
          for (const renamedJob of names(changed, kind)) expect(names(base, kind), `${what}: ${kind}`).not.toContain(renamedJob);
        } else expect(names(changed, kind), `${what}: ${kind}`).toEqual(names(base, kind));
      }
    }
  });
});

describe("the smoke Job's deadline", () => {
  it("is the checks' own worst case plus smoke.startupAllowanceSeconds (default 60), awaited two minutes longer", async () => {
    // production: 3 checks, timeout 5 s, 3 retries, backoff 2 s.
    expect(worstCaseSeconds(3, 5, 3, 2)).toBe(3 * (4 * 5 + (2 + 4 + 8)));
    const byDefault = await runProgram("production");
    const slow = await runProgram("production", { edit: (c) => (c.smoke.startupAllowanceSeconds = 240) });
    const smoke = (run: ProgramRun) => smokeJob(run, "web", "green");
    expect(smoke(byDefault).inputs.spec.activeDeadlineSeconds).toBe(102 + 60);
    expect(smoke(slow).inputs.spec.activeDeadlineSeconds).toBe(102 + 240);
    expect(smoke(slow).customTimeouts).toMatchObject({ create: `${102 + 240 + 120}s`, update: `${102 + 240 + 120}s` });
    expect(smoke(slow).inputs.metadata.name).toBe(smoke(byDefault).inputs.metadata.name);
    expect(smoke(slow).name).toBe(smoke(byDefault).name);
  });

  it("refuses an allowance outside 10-1800 s, naming the key", async () => {
    const run = await runProgram("production", { edit: (c) => (c.smoke.startupAllowanceSeconds = 5) });
    expect((run.error as { problems?: string[] }).problems).toEqual([
      "`smoke.startupAllowanceSeconds` is `5`: must be a whole number of seconds from 10 to 1800; set it with `pulumi config set --path smoke.startupAllowanceSeconds 60`",
    ]);
  });
});
