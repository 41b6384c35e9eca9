/**
 * The env Secret (`<app>-env-<hash>`) and the database Secret (`<app>-database-<hash>`) are named by
 * a hash of their content and immutable: a rotated secret is a new Secret that the Pods' templates
 * then name (so they roll onto it), created before the old one is deleted. Their data stays a Pulumi
 * secret; their name is not one.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { contentHash } from "../../components/contentHashedName";
import { changedResources, ProgramRun, runProgram, TEST_SECRETS, withoutSecrets } from "../helpers/program";

const SECRET = "kubernetes:core/v1:Secret";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const CRON_JOB = "kubernetes:batch/v1:CronJob";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const { databaseUrl, sessionSecret } = TEST_SECRETS.production;
const envRefs = (run: ProgramRun, color: string) =>
  run
    .get(DEPLOYMENT, `web-${color}`)
    .inputs.spec.template.spec.containers[0].env.filter((e: any) => e.valueFrom)
    .map((e: any) => e.valueFrom.secretKeyRef);
const cronDatabaseRef = (run: ProgramRun) =>
  run.get(CRON_JOB, "web-backups-backup").inputs.spec.jobTemplate.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name;

describe("content hash", () => {
  it("is the first 10 hex digits of SHA-256 over the sorted entries, whatever the key order", () => {
    expect(contentHash({ DATABASE_URL: databaseUrl, SESSION_SECRET: sessionSecret })).toBe("4960deb140");
    expect(contentHash({ SESSION_SECRET: sessionSecret, DATABASE_URL: databaseUrl })).toBe("4960deb140");
    expect(contentHash({ DATABASE_URL: databaseUrl })).toBe("80a2b086dc");
    expect(contentHash({ DATABASE_URL: databaseUrl, SESSION_SECRET: `${sessionSecret}-2` })).not.toBe("4960deb140");
  });
});

describe("Secrets named by their content (production)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("production");
    expect(run.error).toBeUndefined();
  });

  it("the env Secret: <app>-env-<hash>, immutable, data a Pulumi secret, name plain, never deleted before its replacement exists", () => {
    const secret = run.get(SECRET, "web-env");
    expect(secret.wireInputs.metadata).toEqual({ name: "web-env-4960deb140", namespace: "web-production", labels: { app: "web" } });
    expect(secret.wireInputs.immutable).toBe(true);
    expect(secret.wireInputs.type).toBe("Opaque");
    expect(secret.wireInputs.stringData).toEqual({
      [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
      value: { DATABASE_URL: databaseUrl, SESSION_SECRET: sessionSecret },
    });
    expect(secret.deleteBeforeReplace).toBe(false);
    for (const color of ["blue", "green"]) {
      expect(envRefs(run, color)).toEqual([
        { name: "web-env-4960deb140", key: "DATABASE_URL" },
        { name: "web-env-4960deb140", key: "SESSION_SECRET" },
      ]);
      // The Deployment reads the name from the Secret resource, so it changes after the new Secret exists.
      expect(run.get(DEPLOYMENT, `web-${color}`).dependencies).toContain(secret.urn);
    }
  });

  it("the database Secret: <app>-database-<hash>, immutable, data a Pulumi secret, read by the jobs", () => {
    const secret = run.get(SECRET, "web-database");
    expect(secret.wireInputs.metadata).toEqual({ name: "web-database-80a2b086dc", namespace: "web-production", labels: { app: "web" } });
    expect(secret.wireInputs.immutable).toBe(true);
    expect(secret.wireInputs.stringData).toEqual({ [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: { DATABASE_URL: databaseUrl } });
    expect(secret.deleteBeforeReplace).toBe(false);
    expect(cronDatabaseRef(run)).toBe("web-database-80a2b086dc");
    const migration = run.ofType("kubernetes:batch/v1:Job").find((j) => j.inputs.metadata.labels.role === "migration")!;
    expect(migration.inputs.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name).toBe("web-database-80a2b086dc");
  });

  it("rotating the session secret changes the env Secret's name and both Deployments' secretKeyRefs, and nothing else", async () => {
    const rotated = await runProgram("production", { secrets: { ...TEST_SECRETS.production, sessionSecret: "rotated-session-secret-value" } });
    expect(rotated.error).toBeUndefined();
    const name = `web-env-${contentHash({ DATABASE_URL: databaseUrl, SESSION_SECRET: "rotated-session-secret-value" })}`;
    expect(name).not.toBe("web-env-4960deb140");
    expect(rotated.get(SECRET, "web-env").wireInputs.metadata.name).toBe(name);
    for (const color of ["blue", "green"]) {
      expect(envRefs(rotated, color)).toEqual([
        { name, key: "DATABASE_URL" },
        { name, key: "SESSION_SECRET" },
      ]);
    }
    expect(changedResources(run, rotated)).toEqual([`${DEPLOYMENT}::web-blue`, `${DEPLOYMENT}::web-green`, `${SECRET}::web-env`]);
    expect(rotated.get(SECRET, "web-env").wireInputs.stringData[SECRET_SIG]).toBe("1b47061264138c4ac30d75fd1eb44270");
  });

  it("rotating the database URL renames both Secrets; the CronJob names the new one", async () => {
    const url = "postgres://web:rotated-db-password@db.production.internal:5432/web";
    const rotated = await runProgram("production", { secrets: { ...TEST_SECRETS.production, databaseUrl: url } });
    expect(rotated.error).toBeUndefined();
    expect(rotated.get(SECRET, "web-database").wireInputs.metadata.name).toBe(`web-database-${contentHash({ DATABASE_URL: url })}`);
    expect(cronDatabaseRef(rotated)).toBe(`web-database-${contentHash({ DATABASE_URL: url })}`);
    expect(envRefs(rotated, "blue")[0].name).toBe(`web-env-${contentHash({ DATABASE_URL: url, SESSION_SECRET: sessionSecret })}`);
    expect(changedResources(run, rotated)).toEqual(
      expect.arrayContaining([`${SECRET}::web-database`, `${SECRET}::web-env`, `${CRON_JOB}::web-backups-backup`, `${DEPLOYMENT}::web-blue`, `${DEPLOYMENT}::web-green`]),
    );
  });

  it("the same values give the same names, and a promotion changes no Secret", async () => {
    const again = await runProgram("production");
    const promoted = await runProgram("production", { edit: (c) => (c.activeColor = "green") });
    for (const other of [again, promoted]) {
      expect(changedResources(run, other).filter((k) => k.startsWith(SECRET) || k.startsWith(DEPLOYMENT))).toEqual([]);
    }
  });

  it("no secret value appears in a name or anywhere outside the Secrets' wrapped data", () => {
    for (const resource of run.resources) {
      // Pulumi secrets (the Secrets' data, the alarm topic's PagerDuty endpoint) are wrapped; nothing else may hold a value.
      const wire = JSON.stringify(withoutSecrets(resource.wireInputs));
      for (const value of Object.values(TEST_SECRETS.production)) expect(wire, `${resource.type} ${resource.name}`).not.toContain(value);
    }
  });
});
