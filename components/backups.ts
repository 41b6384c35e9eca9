/**
 * Backups declared as stack state: the hardened bucket (BackupBucket), one IAM role per job with
 * IRSA trust and least privilege, their ServiceAccounts, the scheduled backup CronJob, one
 * pre-migration backup Job per release (the release's Deployment, or its migration Job, depends on
 * it), and the weekly restore-check CronJob that restores into a scratch database.
 */
import { createHash } from "node:crypto";
import type * as aws from "@pulumi/aws";
import { awsSdk } from "../lib/awsSdk";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BackupsConfig } from "../config/backups";
import { BackupBucket } from "./backupBucket";
import { containerResources, tmpVolume } from "./containerResources";
import { ignoredAfterCreation } from "./jobIdentity";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./restrictedSecurity";

/** An env entry reading a Secret key, as DatabaseSecret.databaseUrlEnv() returns it. */
export interface SecretEnvVar {
  readonly name: string;
  readonly valueFrom: { readonly secretKeyRef: { readonly name: pulumi.Input<string>; readonly key: string } };
}

export interface BackupsArgs {
  /** App name: prefix of every Kubernetes object name and the `app` label. */
  readonly app: string;
  /** Stack name, for the default key prefix and tags. */
  readonly stack: string;
  /** Namespace of the ServiceAccounts, Secret, CronJobs and Jobs. */
  readonly namespace: string;
  /** Image of the jobs; its entrypoint is `node dist/jobs/cli.js`, so args start with the command. */
  readonly jobsImage: string;
  /** The `backups` config section. */
  readonly config: BackupsConfig;
  /** Protect the bucket and its key (production). */
  readonly protect: boolean;
  /** The DATABASE_URL env entry of the database to back up (DatabaseSecret.databaseUrlEnv()). */
  readonly databaseUrlEnv: SecretEnvVar;
  /** URL of the scratch server restore-check restores into; stored in its own Secret. */
  readonly restoreCheckDatabaseUrl: pulumi.Input<string>;
  /**
   * Release hashes of the migration Jobs about to run: one pre-migration backup Job per hash, named
   * `<app>-backup-pre-<hash>` by a hash of the release and what the backup runs
   * (preMigrationBackupHash). @default []
   */
  readonly preMigrationFor?: readonly string[];
}

const HASH = /^[a-z0-9]{6,20}$/;

export class Backups extends pulumi.ComponentResource {
  public readonly storage: BackupBucket;
  public readonly backupRole: aws.iam.Role;
  public readonly restoreCheckRole: aws.iam.Role;
  public readonly backupServiceAccount: k8s.core.v1.ServiceAccount;
  public readonly restoreCheckServiceAccount: k8s.core.v1.ServiceAccount;
  public readonly restoreCheckSecret: k8s.core.v1.Secret;
  public readonly backupCronJob: k8s.batch.v1.CronJob;
  public readonly restoreCheckCronJob: k8s.batch.v1.CronJob;
  /** Pre-migration backup Job per release hash. */
  public readonly preMigrationJobs: Readonly<Record<string, k8s.batch.v1.Job>>;
  public readonly bucketName: pulumi.Output<string>;
  /** Key prefix of this stack's backups. */
  public readonly prefix: string;

  constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    const hashes = [...(args.preMigrationFor ?? [])];
    for (const hash of hashes) {
      if (!HASH.test(hash)) {
        throw new Error(`Backups ${name}: \`preMigrationFor\` has \`${hash}\`: release hashes are 6-20 lowercase letters and digits`);
      }
    }
    if (new Set(hashes).size !== hashes.length) {
      throw new Error(`Backups ${name}: \`preMigrationFor\` lists a hash twice: ${hashes.join(", ")}`);
    }
    const longest = `${args.app}-backup-pre-${"x".repeat(BACKUP_HASH_LENGTH)}`;
    if (hashes.length > 0 && longest.length > 63) {
      throw new Error(`Backups ${name}: Job name \`${longest}\` would exceed 63 characters; shorten \`app\` (\`${args.app}\`)`);
    }
    super("bluegreen:backups:Backups", name, {}, opts);
    const sdk = awsSdk();

    const c = args.config;
    const prefix = c.prefix ?? `${args.app}/${args.stack}`;
    const labels = { app: args.app, component: "backups" };
    const tags = { app: args.app, stack: args.stack, purpose: "database-backups" };

    this.storage = new BackupBucket(
      `${name}-bucket`,
      {
        bucketName: c.bucketName,
        protect: args.protect,
        lifecycle: c.lifecycle,
        objectLock: c.objectLock,
        keyAlias: `${args.app}-${args.stack}-backups`,
        tags,
      },
      { parent: this },
    );
    const bucketArn = this.storage.bucketArn;
    const keyArn = this.storage.keyArn;

    const backupSa = `${args.app}-backup`;
    const restoreCheckSa = `${args.app}-restore-check`;

    this.backupRole = new sdk.iam.Role(
      `${name}-backup`,
      { description: `backup job of ${args.app} (${args.stack})`, assumeRolePolicy: JSON.stringify(irsaTrustPolicy(c, args.namespace, backupSa)), tags },
      { parent: this },
    );
    const backupPolicies: aws.iam.RolePolicy[] = [];
    backupPolicies.push(new sdk.iam.RolePolicy(
      `${name}-backup-storage`,
      { role: this.backupRole.id, policy: pulumi.jsonStringify(backupPolicyDocument(bucketArn, keyArn, prefix)) },
      { parent: this },
    ));
    if (c.metricsNamespace) {
      backupPolicies.push(new sdk.iam.RolePolicy(
        `${name}-backup-metrics`,
        { role: this.backupRole.id, policy: JSON.stringify(metricsPolicyDocument(c.metricsNamespace)) },
        { parent: this },
      ));
    }
    this.restoreCheckRole = new sdk.iam.Role(
      `${name}-restore-check`,
      { description: `restore-check job of ${args.app} (${args.stack})`, assumeRolePolicy: JSON.stringify(irsaTrustPolicy(c, args.namespace, restoreCheckSa)), tags },
      { parent: this },
    );
    const restoreCheckPolicy = new sdk.iam.RolePolicy(
      `${name}-restore-check-storage`,
      { role: this.restoreCheckRole.id, policy: pulumi.jsonStringify(restoreCheckPolicyDocument(bucketArn, keyArn, prefix)) },
      { parent: this },
    );

    // The jobs never call the Kubernetes API: no API token is mounted. IRSA does not need one: EKS's
    // pod identity webhook projects its own STS-audience token (AWS_WEB_IDENTITY_TOKEN_FILE) into
    // Pods of an annotated ServiceAccount whatever `automountServiceAccountToken` says.
    this.backupServiceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-backup`,
      {
        metadata: { name: backupSa, namespace: args.namespace, labels, annotations: { "eks.amazonaws.com/role-arn": this.backupRole.arn } },
        automountServiceAccountToken: false,
      },
      { parent: this },
    );
    this.restoreCheckServiceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-restore-check`,
      {
        metadata: { name: restoreCheckSa, namespace: args.namespace, labels, annotations: { "eks.amazonaws.com/role-arn": this.restoreCheckRole.arn } },
        automountServiceAccountToken: false,
      },
      { parent: this },
    );
    this.restoreCheckSecret = new k8s.core.v1.Secret(
      `${name}-restore-check`,
      {
        metadata: { name: `${args.app}-restore-check`, namespace: args.namespace, labels },
        type: "Opaque",
        stringData: { RESTORE_CHECK_DATABASE_URL: pulumi.secret(args.restoreCheckDatabaseUrl) },
      },
      { parent: this },
    );

    const s3Env = [
      { name: "BACKUP_BUCKET", value: this.storage.bucketName },
      { name: "BACKUP_PREFIX", value: prefix },
      { name: "AWS_REGION", value: c.region },
      { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
    ];
    const backupEnv = (backupName: string) => [
      args.databaseUrlEnv,
      ...s3Env,
      { name: "BACKUP_NAME", value: backupName },
      { name: "BACKUP_KMS_KEY_ID", value: keyArn },
      { name: "BACKUP_PART_SIZE_MB", value: String(c.partSizeMb) },
      ...(c.metricsNamespace
        ? [
            { name: "BACKUP_METRICS_NAMESPACE", value: c.metricsNamespace },
            // The dimensions the backup-age alarm watches.
            { name: "BACKUP_METRICS_DIMENSIONS", value: `App=${args.app},Stack=${args.stack}` },
          ]
        : []),
    ];
    const restoreCheckEnv = [
      { name: "RESTORE_CHECK_DATABASE_URL", valueFrom: { secretKeyRef: { name: this.restoreCheckSecret.metadata.name, key: "RESTORE_CHECK_DATABASE_URL" } } },
      ...s3Env,
      ...(c.verify.length > 0 ? [{ name: "RESTORE_CHECK_VERIFY", value: JSON.stringify(c.verify) }] : []),
    ];

    const jobSpec = (
      role: string,
      serviceAccountName: pulumi.Input<string>,
      command: string,
      env: pulumi.Input<k8s.types.input.core.v1.EnvVar>[],
    ): k8s.types.input.batch.v1.JobSpec => ({
      backoffLimit: c.backoffLimit,
      activeDeadlineSeconds: c.activeDeadlineSeconds,
      template: {
        metadata: { labels: { ...labels, role } },
        spec: {
          restartPolicy: "Never",
          serviceAccountName,
          automountServiceAccountToken: false,
          // Time for a SIGTERMed backup to abort its multipart upload.
          terminationGracePeriodSeconds: 60,
          securityContext: restrictedPodSecurityContext,
          containers: [
            {
              name: role,
              image: args.jobsImage,
              imagePullPolicy: "IfNotPresent",
              args: [command],
              env,
              resources: containerResources(c.resources),
              securityContext: restrictedContainerSecurityContext,
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [tmpVolume(c.resources)],
        },
      },
    });

    const cronJob = (role: string, schedule: string, spec: k8s.types.input.batch.v1.JobSpec, dependsOn: pulumi.Resource[]) =>
      new k8s.batch.v1.CronJob(
        `${name}-${role}`,
        {
          metadata: { name: `${args.app}-${role}`, namespace: args.namespace, labels: { ...labels, role } },
          spec: {
            schedule,
            timeZone: "Etc/UTC",
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: c.startingDeadlineSeconds,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: { metadata: { labels: { ...labels, role } }, spec },
          },
        },
        { parent: this, dependsOn },
      );

    this.backupCronJob = cronJob(
      "backup",
      c.schedule,
      jobSpec("backup", this.backupServiceAccount.metadata.name, "backup", backupEnv("scheduled")),
      [this.storage, ...backupPolicies],
    );
    this.restoreCheckCronJob = cronJob(
      "restore-check",
      c.restoreCheckSchedule,
      jobSpec("restore-check", this.restoreCheckServiceAccount.metadata.name, "restore-check", restoreCheckEnv),
      [this.storage, restoreCheckPolicy],
    );

    // What a pre-migration backup runs, besides the release it protects: everything backupEnv puts
    // into its container but the ARNs and names of this component's own bucket and key. A change to
    // any of it is a new Job (a new backup); anything else is ignored once the Job exists.
    const backupRun: BackupRun = {
      image: args.jobsImage,
      args: ["backup"],
      bucketName: c.bucketName ?? null,
      prefix,
      region: c.region,
      partSizeMb: c.partSizeMb,
      metrics: c.metricsNamespace ? { namespace: c.metricsNamespace, dimensions: `App=${args.app},Stack=${args.stack}` } : null,
    };
    const preMigrationJobs: Record<string, k8s.batch.v1.Job> = {};
    for (const hash of hashes) {
      const jobName = `${args.app}-backup-pre-${preMigrationBackupHash(hash, backupRun)}`;
      preMigrationJobs[hash] = new k8s.batch.v1.Job(
        `${name}-pre-${hash}`,
        {
          metadata: {
            name: jobName,
            namespace: args.namespace,
            labels: { ...labels, role: "backup-pre-migration", release: hash },
            // A failed Job is replaced on the next `pulumi up` instead of blocking it.
            annotations: { "pulumi.com/replaceUnready": "true" },
          },
          spec: jobSpec("backup", this.backupServiceAccount.metadata.name, "backup", backupEnv(jobName)),
        },
        // The bucket (policy, encryption) and the role's permissions must exist before the first write.
        // Pulumi awaits the Job for its whole deadline (its default await is 10 minutes).
        {
          parent: this,
          dependsOn: [this.storage, ...backupPolicies],
          ignoreChanges: ignoredAfterCreation({ databaseUrlEnv: true, tmpVolume: true }),
          customTimeouts: { create: `${c.activeDeadlineSeconds + 120}s`, update: `${c.activeDeadlineSeconds + 120}s` },
        },
      );
    }

    this.preMigrationJobs = preMigrationJobs;
    this.bucketName = this.storage.bucketName;
    this.prefix = prefix;
    this.registerOutputs({
      bucketName: this.bucketName,
      prefix,
      backupRoleArn: this.backupRole.arn,
      restoreCheckRoleArn: this.restoreCheckRole.arn,
      preMigrationJobNames: Object.fromEntries(Object.entries(preMigrationJobs).map(([h, j]) => [h, j.metadata.name])),
    });
  }
}

/** IRSA: only this ServiceAccount's tokens, issued for STS, may assume the role. */
export function irsaTrustPolicy(config: Pick<BackupsConfig, "oidcProviderArn" | "oidcProviderUrl">, namespace: string, serviceAccount: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: config.oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${config.oidcProviderUrl}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${config.oidcProviderUrl}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  };
}

/** The backup job writes dumps and manifests (multipart), encrypting with the bucket's key. */
export function backupPolicyDocument(bucketArn: pulumi.Input<string>, keyArn: pulumi.Input<string>, prefix: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "WriteBackups", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: [pulumi.interpolate`${bucketArn}/${prefix}/*`] },
      // Multipart uploads with SSE-KMS need Decrypt as well as GenerateDataKey.
      { Sid: "EncryptBackups", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [keyArn] },
    ],
  };
}

/** restore-check lists manifests and reads dumps under the prefix, decrypting with the bucket's key. */
export function restoreCheckPolicyDocument(bucketArn: pulumi.Input<string>, keyArn: pulumi.Input<string>, prefix: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListBackups", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucketArn], Condition: { StringLike: { "s3:prefix": [`${prefix}/*`] } } },
      { Sid: "ReadBackups", Effect: "Allow", Action: ["s3:GetObject"], Resource: [pulumi.interpolate`${bucketArn}/${prefix}/*`] },
      { Sid: "DecryptBackups", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [keyArn] },
    ],
  };
}

/**
 * cloudwatch:PutMetricData has no resource-level permissions: AWS only accepts `Resource: "*"` for it,
 * so it is narrowed to the one namespace by condition and kept out of the storage policy.
 */
export function metricsPolicyDocument(namespace: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PublishBackupMetrics",
        Effect: "Allow",
        Action: ["cloudwatch:PutMetricData"],
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
      },
    ],
  };
}

/** What a backup Job runs: its image, arguments and the settings its program reads. */
export interface BackupRun {
  readonly image: string;
  readonly args: readonly string[];
  /** `backups.bucketName`; null when Pulumi names the bucket. */
  readonly bucketName: string | null;
  readonly prefix: string;
  readonly region: string;
  readonly partSizeMb: number;
  readonly metrics: { readonly namespace: string; readonly dimensions: string } | null;
}

const BACKUP_HASH_LENGTH = 10;

/** The pre-migration backup Job's name suffix: a hash of the release it protects and what it runs. */
export function preMigrationBackupHash(release: string, run: BackupRun): string {
  return createHash("sha256").update(JSON.stringify({ release, run })).digest("hex").slice(0, BACKUP_HASH_LENGTH);
}

/** A color's release hash (see lib/releaseHash.ts): what `preMigrationFor` holds without migrations. */
export { colorReleaseHash } from "../lib/releaseHash";
