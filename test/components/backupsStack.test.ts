/**
 * Backups in the whole program, from the real stack files: production protection, the pre-migration
 * backup ordering, secrets never plain, and config errors.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BackupRun, colorReleaseHash, preMigrationBackupHash } from "../../components/backups";
import { colorMigrationHash } from "../../components/migrationJob";
import { COLORS, Color, ConfigError } from "../../config";
import { ProgramRun, TEST_SECRETS, runProgram } from "../helpers/program";
import { JOBS_IMAGE, STACK_IMAGES, dependencyKeys, sqlExpandSpec } from "../helpers/releaseJobs";

const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

/** Every plain string in a value, skipping what is wrapped as a secret. */
function plainStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => plainStrings(v, out));
  else if (value && typeof value === "object") {
    if (SECRET_SIGNATURE in value) return out;
    Object.values(value).forEach((v) => plainStrings(v, out));
  }
  return out;
}

const JOB = "kubernetes:batch/v1:Job";
/** What production's pre-migration backups run (Pulumi.production.yaml). */
const PRODUCTION_BACKUP_RUN: BackupRun = {
  image: "ghcr.io/acme/web-jobs:1.5.0",
  args: ["backup"],
  bucketName: "acme-web-production-backups",
  prefix: "web/production",
  region: "eu-west-1",
  partSizeMb: 16,
  metrics: { namespace: "Bluegreen/Backups", dimensions: "App=web,Stack=production" },
};
const backupJobs = (run: ProgramRun) => run.ofType(JOB).map((j) => j.name).filter((n) => n.startsWith("web-backups-pre-"));
const urnOf = (run: ProgramRun, type: string, name: string) => run.get(type, name).urn;
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const ENV = "kubernetes:core/v1:Secret::web-env";
/** Production's expand Job hash for a color (sql mode, the repo's migrations/), which keys its backup Job. */
const expandHash = (color: Color, image = STACK_IMAGES.production[color]) => colorMigrationHash(color, image, sqlExpandSpec(JOBS_IMAGE.production));
/** The Kubernetes name of the backup Job protecting a release hash. */
const objectName = (release: string) => `web-backup-pre-${preMigrationBackupHash(release, PRODUCTION_BACKUP_RUN)}`;
const noMigrations = (c: Record<string, any>) => delete c.migrations;

describe("backups in the stacks", () => {
  it("production protects the bucket and its key; staging does not; neither force-destroys", async () => {
    const [production, staging] = [await runProgram("production"), await runProgram("staging")];
    expect(production.error).toBeUndefined();
    expect(staging.error).toBeUndefined();
    for (const [run, protect] of [[production, true], [staging, false]] as const) {
      const bucket = run.get("aws:s3/bucket:Bucket", "web-backups-bucket");
      expect(bucket.protect).toBe(protect);
      expect(bucket.inputs.forceDestroy).toBe(false);
      expect(run.get("aws:kms/key:Key", "web-backups-bucket-key").protect).toBe(protect);
    }
    expect(production.get("aws:s3/bucket:Bucket", "web-backups-bucket").inputs.bucket).toBe("acme-web-production-backups");
    expect(production.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")).toHaveLength(1);
    expect(staging.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")).toHaveLength(0);
    expect(production.outputs.backupPrefix).toBe("web/production");
    expect(staging.outputs.backupPrefix).toBe("web/staging");
  });

  it("backup -> migration -> that color's Deployment: each color's expand Job waits for its own pre-migration backup Job", async () => {
    const run = await runProgram("production");
    expect(run.error).toBeUndefined();
    const migrationJobs = run.ofType(JOB).filter((j) => /^web-migrate-[a-f0-9]{10}-job$/.test(j.name));
    const hashes = COLORS.map((color) => expandHash(color));
    expect(new Set(hashes).size).toBe(2);
    expect(migrationJobs.map((j) => j.name)).toEqual(hashes.map((h) => `web-migrate-${h}-job`));
    expect(backupJobs(run)).toEqual(hashes.map((h) => `web-backups-pre-${h}`));
    expect(run.outputs.preMigrationBackupJobs).toEqual(hashes.map(objectName));
    for (const [i, migration] of migrationJobs.entries()) {
      const backup = run.get(JOB, `web-backups-pre-${hashes[i]}`);
      expect(backup.inputs.metadata.name).toBe(objectName(hashes[i]));
      expect(backup.inputs.metadata.labels.release).toBe(hashes[i]);
      expect(migration.dependencies).toContain(backup.urn);
      // Its own color's backup only.
      expect(migration.dependencies).not.toContain(run.get(JOB, `web-backups-pre-${hashes[1 - i]}`).urn);
      // The backup Job waits for the bucket set-up (policy, encryption, public access block).
      for (const [type, name] of [
        ["aws:s3/bucketPolicy:BucketPolicy", "web-backups-bucket-policy"],
        ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "web-backups-bucket-encryption"],
        ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "web-backups-bucket-public-access-block"],
        ["aws:s3/bucket:Bucket", "web-backups-bucket"],
      ]) {
        expect(backup.dependencies).toContain(urnOf(run, type, name));
      }
    }
    // Each color's Deployment waits on its own expand Job, whichever color is live (blue, in production).
    for (const [i, color] of COLORS.entries()) {
      expect(dependencyKeys(run, run.get(DEPLOYMENT, `web-${color}`).dependencies), color).toEqual([`${JOB}::web-migrate-${hashes[i]}-job`, ENV]);
    }
  });

  it("without migrations, each color's Deployment waits for its own release's backup Job (colorReleaseHash of the color and its image), whichever color is live", async () => {
    const run = await runProgram("production", { edit: noMigrations });
    expect(run.error).toBeUndefined();
    const hashes = COLORS.map((color) => colorReleaseHash(color, STACK_IMAGES.production[color]));
    expect(hashes[0]).toBe(createHash("sha256").update(JSON.stringify({ color: "blue", image: "ghcr.io/acme/web:1.4.2" })).digest("hex").slice(0, 10));
    expect(new Set(hashes).size).toBe(2);
    expect(backupJobs(run)).toEqual(hashes.map((h) => `web-backups-pre-${h}`));
    expect(run.outputs.preMigrationBackupJobs).toEqual(hashes.map(objectName));
    for (const [i, color] of COLORS.entries()) {
      const job = run.get(JOB, `web-backups-pre-${hashes[i]}`);
      expect(job.inputs.metadata.name).toBe(objectName(hashes[i]));
      expect(job.inputs.metadata.labels.release).toBe(hashes[i]);
      expect(dependencyKeys(run, run.get(DEPLOYMENT, `web-${color}`).dependencies), color).toEqual([`${JOB}::web-backups-pre-${hashes[i]}`, ENV]);
    }
    // After a promotion nothing moves: each color still waits on its own backup Job, unchanged.
    const promoted = await runProgram("production", { edit: (c) => (noMigrations(c), (c.activeColor = "green")) });
    expect(promoted.error).toBeUndefined();
    expect(backupJobs(promoted)).toEqual(backupJobs(run));
    expect(promoted.outputs.preMigrationBackupJobs).toEqual(run.outputs.preMigrationBackupJobs);
    for (const color of COLORS) {
      expect(promoted.get(DEPLOYMENT, `web-${color}`).dependencies, color).toEqual(run.get(DEPLOYMENT, `web-${color}`).dependencies);
    }
  });

  it("a promotion keeps every backup Job; staging a new image on green makes a new backup Job for green only", async () => {
    const base = await runProgram("production", { edit: noMigrations });
    const promoted = await runProgram("production", { edit: (c) => (noMigrations(c), (c.activeColor = "green")) });
    const released = await runProgram("production", { edit: (c) => (noMigrations(c), (c.colors.green.image = "ghcr.io/acme/web:1.6.0")) });
    expect(backupJobs(promoted)).toEqual(backupJobs(base));
    expect(backupJobs(released)).toEqual([
      `web-backups-pre-${colorReleaseHash("blue", "ghcr.io/acme/web:1.4.2")}`,
      `web-backups-pre-${colorReleaseHash("green", "ghcr.io/acme/web:1.6.0")}`,
    ]);
    expect(backupJobs(released)[0]).toBe(backupJobs(base)[0]);
    expect(backupJobs(released)[1]).not.toBe(backupJobs(base)[1]);
    // With migrations the backup Jobs follow the expand Jobs: a promotion changes none, a release on green only green's.
    const withMigrations = await runProgram("production");
    const promotedWithMigrations = await runProgram("production", { edit: (c) => (c.activeColor = "green") });
    const releasedWithMigrations = await runProgram("production", { edit: (c) => (c.colors.green.image = "ghcr.io/acme/web:1.6.0") });
    expect(backupJobs(promotedWithMigrations)).toEqual(backupJobs(withMigrations));
    expect(promotedWithMigrations.outputs.preMigrationBackupJobs).toEqual(withMigrations.outputs.preMigrationBackupJobs);
    expect(backupJobs(releasedWithMigrations)).toEqual([`web-backups-pre-${expandHash("blue")}`, `web-backups-pre-${expandHash("green", "ghcr.io/acme/web:1.6.0")}`]);
    expect(releasedWithMigrations.outputs.preMigrationBackupJobs).toEqual([
      (withMigrations.outputs.preMigrationBackupJobs as string[])[0],
      objectName(expandHash("green", "ghcr.io/acme/web:1.6.0")),
    ]);
  });

  it("secrets reach the program only as secrets: never a plain string in any resource input or output", async () => {
    for (const stack of ["staging", "production"] as const) {
      const run = await runProgram(stack);
      expect(run.error).toBeUndefined();
      const secrets = Object.values(TEST_SECRETS[stack]);
      const passwords = secrets.map((s) => /:([^:@/]+)@/.exec(s)?.[1] ?? s);
      for (const resource of run.resources) {
        const plain = plainStrings(resource.wireInputs).join("\n");
        for (const secret of [...secrets, ...passwords]) expect(plain, `${resource.type} ${resource.name}`).not.toContain(secret);
      }
      expect(JSON.stringify(run.outputs)).not.toMatch(/password|secret-value/);
      const restoreSecret = run.get("kubernetes:core/v1:Secret", "web-backups-restore-check");
      expect(restoreSecret.wireInputs.stringData[SECRET_SIGNATURE]).toBe("1b47061264138c4ac30d75fd1eb44270");
      const cron = run.get("kubernetes:batch/v1:CronJob", "web-backups-backup");
      const env = cron.inputs.spec.jobTemplate.spec.template.spec.containers[0].env;
      const databaseSecret = { staging: "web-database-255d6c1f84", production: "web-database-80a2b086dc" }[stack];
      expect(env[0]).toEqual({ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: databaseSecret, key: "DATABASE_URL" } } });
    }
  });
});

describe("backups config errors", () => {
  // The program's config module is a fresh instance per run, so match ConfigError by name.
  const problems = (run: ProgramRun) => (run.error?.name === "ConfigError" ? [...(run.error as ConfigError).problems] : [String(run.error)]);

  it("production without backups is refused", async () => {
    const run = await runProgram("production", { edit: (c) => delete c.backups });
    expect(problems(run)).toEqual([
      '`backups` is not set but `production` is true: a production stack must back up its database; add a `backups` section (see README, "Backups and restore")',
    ]);
    expect(run.resources).toEqual([]);
  });

  it("a missing scratch database secret, an unpinned jobs image and inconsistent lifecycle are named with their fix", async () => {
    const secrets = { ...TEST_SECRETS.production };
    delete (secrets as Record<string, string>).restoreCheckDatabaseUrl;
    const missing = await runProgram("production", { secrets });
    expect(problems(missing)).toEqual([
      "`restoreCheckDatabaseUrl` is not set but `backups` is: restore-check restores into a scratch database on that server; set it with `pulumi config set --secret restoreCheckDatabaseUrl postgres://restore_check:password@scratch-db:5432/postgres -s production`",
    ]);
    const bad = await runProgram("production", {
      edit: (c) => {
        c.jobsImage = "ghcr.io/acme/web-jobs:latest";
        c.backups.lifecycle.transitionDays = 400;
        c.backups.oidcProviderUrl = "oidc.eks.eu-west-1.amazonaws.com/id/OTHER";
      },
    });
    expect(problems(bad)).toEqual([
      "`jobsImage` is `ghcr.io/acme/web-jobs:latest`: production images must be pinned and `latest` moves; use a version tag or a digest, such as `ghcr.io/acme/web-jobs:1.4.2` or `ghcr.io/acme/web-jobs@sha256:<digest>`",
      "`backups.oidcProviderUrl` is `oidc.eks.eu-west-1.amazonaws.com/id/OTHER` but `backups.oidcProviderArn` names `oidc.eks.eu-west-1.amazonaws.com/id/9F8E7D6C5B4A39281706F5E4D3C2B1A0`: they must be the same provider; copy the issuer from the ARN with `pulumi config set --path backups.oidcProviderUrl oidc.eks.eu-west-1.amazonaws.com/id/9F8E7D6C5B4A39281706F5E4D3C2B1A0`",
      "`backups.lifecycle.transitionDays` is 400 but `backups.lifecycle.expireDays` is 365: backups would expire before moving to GLACIER_IR; lower transitionDays or raise expireDays",
    ]);
    const typo = await runProgram("staging", { edit: (c) => (c.backups.shedule = "0 1 * * *") });
    expect(problems(typo)).toEqual(["`backups.shedule` is not a known key (did you mean `schedule`?): remove it with `pulumi config rm --path backups.shedule`"]);
    const cron = await runProgram("staging", { edit: (c) => (c.backups.schedule = "daily") });
    expect(problems(cron)).toEqual(["`backups.schedule` is `daily`: must be a five-field cron schedule such as `0 3 * * *`"]);
  });
});
