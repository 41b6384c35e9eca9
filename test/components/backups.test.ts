/**
 * The Backups component under Pulumi mocks that resolve ARNs like AWS does, so the IAM and bucket
 * policy JSON can be asserted exactly.
 */
import * as pulumi from "@pulumi/pulumi";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Secret } from "kubernetes-models/v1/Secret";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { beforeAll, describe, expect, it } from "vitest";
import { preMigrationBackupHash } from "../../components/backups";
import { backupsSchema } from "../../config/backups";

const ACCOUNT = "210987654321";
const OIDC = "oidc.eks.eu-west-1.amazonaws.com/id/9F8E7D6C5B4A39281706F5E4D3C2B1A0";

type Created = { type: string; name: string; inputs: any };
const created: Created[] = [];

function arnFor(type: string, name: string, inputs: any): Record<string, string> {
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = inputs.bucket ?? `${name}-1a2b3c`;
      return { bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:kms/key:Key":
      return { arn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${name}-id`, keyId: `${name}-id` };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${name}` };
    default:
      return {};
  }
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...arnFor(args.type, args.name, args.inputs) } };
      },
      call: (args) => args.inputs,
    },
    "bluegreen",
    "production",
    false,
  );
});

const settle = () => require("@pulumi/pulumi/runtime/settings").waitForRPCs();

const CONFIG = backupsSchema.parse({
  bucketName: "acme-web-production-backups",
  region: "eu-west-1",
  oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC}`,
  oidcProviderUrl: OIDC,
  lifecycle: { transitionDays: 30, storageClass: "GLACIER_IR", expireDays: 365, noncurrentExpireDays: 30 },
  objectLock: { mode: "GOVERNANCE", days: 35 },
  metricsNamespace: "Bluegreen/Backups",
  verify: [{ name: "users exist", sql: "SELECT count(*) > 0 FROM users" }],
});

async function build(name: string, overrides: Record<string, unknown> = {}) {
  const { Backups } = await import("../../components/backups");
  const before = created.length;
  const backups = new Backups(name, {
    app: "web",
    stack: "production",
    namespace: "web-production",
    jobsImage: "ghcr.io/acme/web-jobs:1.4.2",
    config: CONFIG,
    protect: true,
    databaseUrlEnv: { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "web-database", key: "DATABASE_URL" } } },
    restoreCheckDatabaseUrl: pulumi.secret("postgres://restore_check:pw@scratch:5432/postgres"),
    preMigrationFor: ["a1b2c3d4e5"],
    ...overrides,
  });
  await settle();
  const mine = created.slice(before);
  const get = (type: string, resourceName: string) => {
    const found = mine.filter((r) => r.type === type && r.name === resourceName);
    if (found.length !== 1) throw new Error(`expected one ${type} ${resourceName}, found ${found.length}: ${mine.map((r) => `${r.type}::${r.name}`).join(", ")}`);
    return found[0].inputs;
  };
  return { backups, resources: mine, get };
}

const BUCKET_ARN = "arn:aws:s3:::acme-web-production-backups";
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/web-backups-bucket-key-id`;

describe("backup bucket hardening", () => {
  let built: Awaited<ReturnType<typeof build>>;
  beforeAll(async () => {
    built = await build("web-backups");
  });

  it("bucket: named, never forceDestroy, Object Lock on when configured", () => {
    expect(built.get("aws:s3/bucket:Bucket", "web-backups-bucket")).toEqual({
      bucket: "acme-web-production-backups",
      forceDestroy: false,
      objectLockEnabled: true,
      tags: { app: "web", stack: "production", purpose: "database-backups" },
    });
  });

  it("KMS key with rotation and an alias", () => {
    expect(built.get("aws:kms/key:Key", "web-backups-bucket-key")).toEqual({
      description: "Encrypts the database backups in acme-web-production-backups",
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: { app: "web", stack: "production", purpose: "database-backups" },
    });
    expect(built.get("aws:kms/alias:Alias", "web-backups-bucket-key")).toEqual({ name: "alias/web-production-backups", targetKeyId: "web-backups-bucket-key-id" });
  });

  it("versioning, SSE-KMS with bucket key, public access block", () => {
    expect(built.get("aws:s3/bucketVersioning:BucketVersioning", "web-backups-bucket-versioning")).toEqual({
      bucket: "acme-web-production-backups",
      versioningConfiguration: { status: "Enabled" },
    });
    expect(built.get("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "web-backups-bucket-encryption")).toEqual({
      bucket: "acme-web-production-backups",
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN }, bucketKeyEnabled: true }],
    });
    expect(built.get("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "web-backups-bucket-public-access-block")).toEqual({
      bucket: "acme-web-production-backups",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
  });

  it("bucket policy denies non-TLS access, unencrypted puts and other keys", () => {
    const policy = built.get("aws:s3/bucketPolicy:BucketPolicy", "web-backups-bucket-policy");
    expect(JSON.parse(policy.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
          Sid: "DenyUnencryptedPuts",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: `${BUCKET_ARN}/*`,
          Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } },
        },
        {
          Sid: "DenyOtherKmsKey",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: `${BUCKET_ARN}/*`,
          Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN } },
        },
      ],
    });
  });

  it("lifecycle: transition, expiry, noncurrent expiry, abort incomplete multipart after 1 day; Object Lock retention", () => {
    expect(built.get("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "web-backups-bucket-lifecycle")).toEqual({
      bucket: "acme-web-production-backups",
      rules: [
        {
          id: "backups",
          status: "Enabled",
          filter: {},
          transitions: [{ days: 30, storageClass: "GLACIER_IR" }],
          expiration: { days: 365 },
          noncurrentVersionExpiration: { noncurrentDays: 30 },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
      ],
    });
    expect(built.get("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "web-backups-bucket-object-lock")).toEqual({
      bucket: "acme-web-production-backups",
      rule: { defaultRetention: { mode: "GOVERNANCE", days: 35 } },
    });
  });

  it("IRSA trust: only the job's ServiceAccount, audience sts.amazonaws.com", () => {
    for (const [role, sa] of [["web-backups-backup", "web-backup"], ["web-backups-restore-check", "web-restore-check"]]) {
      expect(JSON.parse(built.get("aws:iam/role:Role", role).assumeRolePolicy)).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC}` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { [`${OIDC}:sub`]: `system:serviceaccount:web-production:${sa}`, [`${OIDC}:aud`]: "sts.amazonaws.com" } },
          },
        ],
      });
    }
  });

  it("IAM policies: exact, only the stack prefix, only the actions used, KMS only on the bucket key, no `*`", () => {
    const backup = JSON.parse(built.get("aws:iam/rolePolicy:RolePolicy", "web-backups-backup-storage").policy);
    expect(backup).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "WriteBackups", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: [`${BUCKET_ARN}/web/production/*`] },
        { Sid: "EncryptBackups", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [KEY_ARN] },
      ],
    });
    const restoreCheck = JSON.parse(built.get("aws:iam/rolePolicy:RolePolicy", "web-backups-restore-check-storage").policy);
    expect(restoreCheck).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "ListBackups", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [BUCKET_ARN], Condition: { StringLike: { "s3:prefix": ["web/production/*"] } } },
        { Sid: "ReadBackups", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${BUCKET_ARN}/web/production/*`] },
        { Sid: "DecryptBackups", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [KEY_ARN] },
      ],
    });
    for (const document of [backup, restoreCheck]) {
      for (const statement of document.Statement) {
        for (const value of [...statement.Action, ...statement.Resource]) {
          expect(value).not.toMatch(/^\*$|:\*$|^[a-z0-9]+:\*/);
          if (value.startsWith("arn:aws:s3:::") && value.includes("/")) expect(value).toBe(`${BUCKET_ARN}/web/production/*`);
        }
      }
    }
    // PutMetricData has no resource-level permissions: its own policy, narrowed to the namespace.
    expect(JSON.parse(built.get("aws:iam/rolePolicy:RolePolicy", "web-backups-backup-metrics").policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "PublishBackupMetrics",
          Effect: "Allow",
          Action: ["cloudwatch:PutMetricData"],
          Resource: "*",
          Condition: { StringEquals: { "cloudwatch:namespace": "Bluegreen/Backups" } },
        },
      ],
    });
  });

  it("ServiceAccounts carry their role ARNs and mount no Kubernetes API token", () => {
    expect(built.get("kubernetes:core/v1:ServiceAccount", "web-backups-backup")).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "web-backup",
        namespace: "web-production",
        labels: { app: "web", component: "backups" },
        annotations: { "eks.amazonaws.com/role-arn": `arn:aws:iam::${ACCOUNT}:role/web-backups-backup` },
      },
      automountServiceAccountToken: false,
    });
    expect(built.get("kubernetes:core/v1:ServiceAccount", "web-backups-restore-check")).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "web-restore-check",
        namespace: "web-production",
        labels: { app: "web", component: "backups" },
        annotations: { "eks.amazonaws.com/role-arn": `arn:aws:iam::${ACCOUNT}:role/web-backups-restore-check` },
      },
      automountServiceAccountToken: false,
    });
  });

  it("the backup jobs' scratch space follows `backups.resources.*.ephemeralStorage`", async () => {
    const scratch = backupsSchema.parse({
      region: "eu-west-1",
      oidcProviderArn: CONFIG.oidcProviderArn,
      oidcProviderUrl: OIDC,
      resources: { requests: { cpu: "250m", memory: "256Mi", ephemeralStorage: "1Gi" }, limits: { cpu: "1", memory: "512Mi", ephemeralStorage: "8Gi" } },
    });
    const { get } = await build("web-scratch", { config: scratch, preMigrationFor: [] });
    for (const role of ["backup", "restore-check"]) {
      const pod = get("kubernetes:batch/v1:CronJob", `web-scratch-${role}`).spec.jobTemplate.spec.template.spec;
      expect(pod.containers[0].resources).toEqual({
        requests: { cpu: "250m", memory: "256Mi", "ephemeral-storage": "1Gi" },
        limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "8Gi" },
      });
      expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "8Gi" } }]);
      expect(pod.automountServiceAccountToken).toBe(false);
    }
  });

  const podSecurity = {
    runAsNonRoot: true,
    runAsUser: 10001,
    runAsGroup: 10001,
    fsGroup: 10001,
    seccompProfile: { type: "RuntimeDefault" },
  };
  const containerSecurity = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } };
  const backupEnv = (name: string) => [
    { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "web-database", key: "DATABASE_URL" } } },
    { name: "BACKUP_BUCKET", value: "acme-web-production-backups" },
    { name: "BACKUP_PREFIX", value: "web/production" },
    { name: "AWS_REGION", value: "eu-west-1" },
    { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
    { name: "BACKUP_NAME", value: name },
    { name: "BACKUP_KMS_KEY_ID", value: KEY_ARN },
    { name: "BACKUP_PART_SIZE_MB", value: "16" },
    { name: "BACKUP_METRICS_NAMESPACE", value: "Bluegreen/Backups" },
    { name: "BACKUP_METRICS_DIMENSIONS", value: "App=web,Stack=production" },
  ];
  const jobSpec = (role: string, serviceAccountName: string, env: unknown[]) => ({
    backoffLimit: 2,
    activeDeadlineSeconds: 3600,
    template: {
      metadata: { labels: { app: "web", component: "backups", role } },
      spec: {
        restartPolicy: "Never",
        serviceAccountName,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 60,
        securityContext: podSecurity,
        containers: [
          {
            name: role,
            image: "ghcr.io/acme/web-jobs:1.4.2",
            imagePullPolicy: "IfNotPresent",
            args: [role],
            env,
            resources: {
              requests: { cpu: "250m", memory: "256Mi", "ephemeral-storage": "256Mi" },
              limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "2Gi" },
            },
            securityContext: containerSecurity,
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          },
        ],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "2Gi" } }],
      },
    },
  });

  it("backup CronJob: schedule, Forbid, deadlines, backoff, history limits, resources, restricted pod; no TTL", () => {
    const cron = built.get("kubernetes:batch/v1:CronJob", "web-backups-backup");
    expect(cron).toEqual({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "web-backup", namespace: "web-production", labels: { app: "web", component: "backups", role: "backup" } },
      spec: {
        schedule: "0 3 * * *",
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: { metadata: { labels: { app: "web", component: "backups", role: "backup" } }, spec: jobSpec("backup", "web-backup", backupEnv("scheduled")) },
      },
    });
    expect(JSON.stringify(cron)).not.toContain("ttlSecondsAfterFinished");
    expect(() => new CronJob(cron).validate()).not.toThrow();
  });

  it("restore-check CronJob: weekly by default, scratch URL from its own Secret, verify queries", () => {
    const cron = built.get("kubernetes:batch/v1:CronJob", "web-backups-restore-check");
    expect(cron.spec.schedule).toBe("0 5 * * 0");
    expect(cron.spec.concurrencyPolicy).toBe("Forbid");
    expect(cron.spec.jobTemplate.spec).toEqual(
      jobSpec("restore-check", "web-restore-check", [
        { name: "RESTORE_CHECK_DATABASE_URL", valueFrom: { secretKeyRef: { name: "web-restore-check", key: "RESTORE_CHECK_DATABASE_URL" } } },
        { name: "BACKUP_BUCKET", value: "acme-web-production-backups" },
        { name: "BACKUP_PREFIX", value: "web/production" },
        { name: "AWS_REGION", value: "eu-west-1" },
        { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
        { name: "RESTORE_CHECK_VERIFY", value: '[{"name":"users exist","sql":"SELECT count(*) > 0 FROM users"}]' },
      ]),
    );
    expect(() => new CronJob(cron).validate()).not.toThrow();
    const secret = built.get("kubernetes:core/v1:Secret", "web-backups-restore-check");
    expect(secret.metadata.name).toBe("web-restore-check");
    // Still wrapped as a Pulumi secret when it reaches the provider.
    expect(secret.stringData).toEqual({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: { RESTORE_CHECK_DATABASE_URL: "postgres://restore_check:pw@scratch:5432/postgres" },
    });
    expect(() => new Secret({ ...secret, stringData: { RESTORE_CHECK_DATABASE_URL: "x" } }).validate()).not.toThrow();
    expect(() => new ServiceAccount(built.get("kubernetes:core/v1:ServiceAccount", "web-backups-backup")).validate()).not.toThrow();
  });

  it("pre-migration backup Job per release hash, named by the release and what it runs, replaced when unready", () => {
    // The hash of the release and everything the backup runs (image, arguments, the settings in its env).
    expect(
      preMigrationBackupHash("a1b2c3d4e5", {
        image: "ghcr.io/acme/web-jobs:1.4.2",
        args: ["backup"],
        bucketName: "acme-web-production-backups",
        prefix: "web/production",
        region: "eu-west-1",
        partSizeMb: 16,
        metrics: { namespace: "Bluegreen/Backups", dimensions: "App=web,Stack=production" },
      }),
    ).toBe("9698c94ac1");
    const job = built.get("kubernetes:batch/v1:Job", "web-backups-pre-a1b2c3d4e5");
    expect(job).toEqual({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: "web-backup-pre-9698c94ac1",
        namespace: "web-production",
        labels: { app: "web", component: "backups", role: "backup-pre-migration", release: "a1b2c3d4e5" },
        annotations: { "pulumi.com/replaceUnready": "true" },
      },
      spec: jobSpec("backup", "web-backup", backupEnv("web-backup-pre-9698c94ac1")),
    });
    expect(() => new Job(job).validate()).not.toThrow();
    expect(Object.keys(built.backups.preMigrationJobs)).toEqual(["a1b2c3d4e5"]);
  });
});

describe("options", () => {
  it("without Object Lock, metrics or releases: no lock config, no metrics policy, no Jobs; default prefix and bucket name", async () => {
    const minimal = backupsSchema.parse({ region: "eu-west-1", oidcProviderArn: CONFIG.oidcProviderArn, oidcProviderUrl: OIDC, prefix: "web/staging" });
    const { resources, get } = await build("web-min", { config: minimal, stack: "staging", protect: false, preMigrationFor: [] });
    const types = resources.map((r) => `${r.type}::${r.name}`);
    expect(types.filter((t) => t.includes("ObjectLock") || t.includes("metrics") || t.includes("batch/v1:Job"))).toEqual([]);
    expect(get("aws:s3/bucket:Bucket", "web-min-bucket")).toEqual({ forceDestroy: false, tags: { app: "web", stack: "staging", purpose: "database-backups" } });
    expect(JSON.parse(get("aws:iam/rolePolicy:RolePolicy", "web-min-backup-storage").policy).Statement[0].Resource).toEqual([
      "arn:aws:s3:::web-min-bucket-1a2b3c/web/staging/*",
    ]);
  });

  it("refuses bad release hashes before creating anything", async () => {
    const before = created.length;
    await expect(build("web-bad", { preMigrationFor: ["Not-A-Hash"] })).rejects.toThrow(
      "Backups web-bad: `preMigrationFor` has `Not-A-Hash`: release hashes are 6-20 lowercase letters and digits",
    );
    await expect(build("web-dup", { preMigrationFor: ["abcdef1", "abcdef1"] })).rejects.toThrow("Backups web-dup: `preMigrationFor` lists a hash twice: abcdef1, abcdef1");
    expect(created.length).toBe(before);
  });
});
