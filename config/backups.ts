/**
 * The `backups` section of the stack config: where backups go, how long they are kept, when the
 * backup and restore-check CronJobs run, and the EKS OIDC provider their IAM roles trust.
 * A stack without the section has no backups; a production stack must have it.
 */
import { z } from "zod";
import { BACKUP_RESOURCES, resourcesProblems, resourcesSchema } from "./resources";

const expect = (message: string) => ({ error: () => message });
const text = (message: string) => z.string(expect(message)).min(1, expect(message));

const days = (example: number) =>
  z
    .number(expect(`must be a whole number of days ≥ 1; set it with \`pulumi config set --path {key} ${example}\``))
    .int(expect(`must be a whole number of days ≥ 1; set it with \`pulumi config set --path {key} ${example}\``))
    .min(1, expect(`must be a whole number of days ≥ 1; set it with \`pulumi config set --path {key} ${example}\``));

const seconds = (example: number, min: number) =>
  z
    .number(expect(`must be a whole number of seconds ≥ ${min}; set it with \`pulumi config set --path {key} ${example}\``))
    .int(expect(`must be a whole number of seconds ≥ ${min}; set it with \`pulumi config set --path {key} ${example}\``))
    .min(min, expect(`must be a whole number of seconds ≥ ${min}; set it with \`pulumi config set --path {key} ${example}\``));

/** Five cron fields (minute hour day-of-month month day-of-week), as CronJob `schedule` takes them. */
const CRON = /^(\S+\s+){4}\S+$/;
const cron = (example: string) =>
  text(`must be a five-field cron schedule such as \`${example}\``).refine(
    (v) => CRON.test(v.trim()) && v.trim().split(/\s+/).every((f) => /^[\d*,/\-A-Za-z?]+$/.test(f)),
    expect(`must be a five-field cron schedule such as \`${example}\``),
  );


export const STORAGE_CLASSES = ["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] as const;

const OIDC_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/;

export const backupsSchema = z.strictObject(
  {
    /** Bucket name; when unset Pulumi names it `<app>-<stack>-backups-<random>`. */
    bucketName: text("must be an S3 bucket name")
      .refine((v) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) && !v.includes(".."), expect("must be an S3 bucket name: 3-63 lowercase letters, digits, `-`, such as `acme-web-production-backups`"))
      .optional(),
    /** Key prefix of this stack's backups; the IAM roles allow only this prefix. Default `<app>/<stack>`. */
    prefix: text("must be a key prefix such as `web/production`")
      .refine((v) => /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(v), expect("must be a key prefix of path segments (letters, digits, `-_.`) such as `web/production`, without leading or trailing `/`"))
      .optional(),
    /** AWS region of the bucket, passed to the jobs. */
    region: text("must be an AWS region such as `eu-west-1`").refine((v) => /^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(v), expect("must be an AWS region such as `eu-west-1`")),
    /** IAM OIDC provider of the EKS cluster, for IRSA. */
    oidcProviderArn: text("must be an IAM OIDC provider ARN such as `arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE`").refine(
      (v) => OIDC_ARN.test(v),
      expect("must be an IAM OIDC provider ARN such as `arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE`"),
    ),
    /** The provider's issuer URL without `https://`, such as `oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE`. */
    oidcProviderUrl: text("must be the OIDC issuer without `https://`, such as `oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE`").refine(
      (v) => /^[a-z0-9.-]+(\/[A-Za-z0-9_.-]+)*$/.test(v),
      expect("must be the OIDC issuer without `https://`, such as `oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE`"),
    ),
    schedule: cron("0 3 * * *").default("0 3 * * *"),
    restoreCheckSchedule: cron("0 5 * * 0").default("0 5 * * 0"),
    lifecycle: z
      .strictObject(
        {
          transitionDays: days(30).default(30),
          storageClass: z.enum(STORAGE_CLASSES, expect(`must be one of ${STORAGE_CLASSES.map((c) => `\`${c}\``).join(", ")}`)).default("GLACIER_IR"),
          expireDays: days(90).default(90),
          noncurrentExpireDays: days(30).default(30),
        },
        expect("must be an object with `transitionDays`, `storageClass`, `expireDays`, `noncurrentExpireDays`"),
      )
      .default({ transitionDays: 30, storageClass: "GLACIER_IR", expireDays: 90, noncurrentExpireDays: 30 }),
    /** Object Lock default retention; can only be turned on when the bucket is created. */
    objectLock: z
      .strictObject(
        { mode: z.enum(["GOVERNANCE", "COMPLIANCE"], expect("must be `GOVERNANCE` or `COMPLIANCE`")), days: days(30) },
        expect("must be an object with `mode` and `days`"),
      )
      .optional(),
    /** CloudWatch namespace the backup job publishes its metrics to; unset: no metrics. */
    metricsNamespace: text("must be a CloudWatch namespace such as `Bluegreen/Backups`")
      .refine((v) => /^[A-Za-z0-9._/#:-]{1,255}$/.test(v) && !v.startsWith("AWS/"), expect("must be a CloudWatch namespace such as `Bluegreen/Backups` (not `AWS/...`)"))
      .optional(),
    partSizeMb: z.number(expect("must be a whole number from 5 to 512")).int(expect("must be a whole number from 5 to 512")).min(5, expect("must be a whole number from 5 to 512")).max(512, expect("must be a whole number from 5 to 512")).default(16),
    startingDeadlineSeconds: seconds(600, 10).default(600),
    activeDeadlineSeconds: seconds(3600, 60).default(3600),
    backoffLimit: z.number(expect("must be a whole number from 0 to 10")).int(expect("must be a whole number from 0 to 10")).min(0, expect("must be a whole number from 0 to 10")).max(10, expect("must be a whole number from 0 to 10")).default(2),
    /** CPU, memory and ephemeral storage (logs and the /tmp scratch space) of the backup jobs. */
    resources: resourcesSchema(BACKUP_RESOURCES),
    /** restore-check `verify` queries: each returns one row whose first column is true. */
    verify: z
      .array(z.strictObject({ name: text("must be a short name"), sql: text("must be a SQL query returning one boolean") }), expect("must be a list of `{name, sql}`"))
      .default([]),
  },
  expect("must be an object with at least `region`, `oidcProviderArn` and `oidcProviderUrl`"),
);

export type BackupsConfig = z.infer<typeof backupsSchema>;

/** Cross-field rules; `config` is the parsed stack config. */
export function backupsProblems(config: {
  production: boolean;
  jobsImage?: string;
  backups?: BackupsConfig;
  /** Another section already reported a missing `jobsImage`. */
  jobsImageChecked?: boolean;
}): string[] {
  const problems: string[] = [];
  const b = config.backups;
  if (!b) {
    if (config.production) {
      problems.push("`backups` is not set but `production` is true: a production stack must back up its database; add a `backups` section (see README, \"Backups and restore\")");
    }
    return problems;
  }
  if (!config.jobsImage && !config.jobsImageChecked) {
    problems.push("`jobsImage` is not set but `backups` is: the backup jobs need an image; set it with `pulumi config set jobsImage ghcr.io/acme/web-jobs:1.5.0`");
  }
  const arnIssuer = OIDC_ARN.exec(b.oidcProviderArn)?.[1];
  if (arnIssuer !== undefined && arnIssuer !== b.oidcProviderUrl) {
    problems.push(`\`backups.oidcProviderUrl\` is \`${b.oidcProviderUrl}\` but \`backups.oidcProviderArn\` names \`${arnIssuer}\`: they must be the same provider; copy the issuer from the ARN with \`pulumi config set --path backups.oidcProviderUrl ${arnIssuer}\``);
  }
  const l = b.lifecycle;
  if (l.transitionDays >= l.expireDays) {
    problems.push(`\`backups.lifecycle.transitionDays\` is ${l.transitionDays} but \`backups.lifecycle.expireDays\` is ${l.expireDays}: backups would expire before moving to ${l.storageClass}; lower transitionDays or raise expireDays`);
  }
  if ((l.storageClass === "STANDARD_IA" || l.storageClass === "ONEZONE_IA") && l.transitionDays < 30) {
    problems.push(`\`backups.lifecycle.transitionDays\` is ${l.transitionDays}: S3 moves objects to ${l.storageClass} after at least 30 days; set it with \`pulumi config set --path backups.lifecycle.transitionDays 30\``);
  }
  if (b.objectLock && b.objectLock.days > l.expireDays) {
    problems.push(`\`backups.objectLock.days\` is ${b.objectLock.days} but \`backups.lifecycle.expireDays\` is ${l.expireDays}: locked backups cannot expire before their lock ends; raise expireDays to at least ${b.objectLock.days}`);
  }
  problems.push(...resourcesProblems("backups.resources", b.resources));
  return problems;
}

/** Secret config the backups need, checked where secrets are read (loadConfig). */
export function backupsSecretProblems(backups: BackupsConfig | undefined, isSet: (key: string) => boolean, stack: string): string[] {
  if (!backups) return [];
  const problems: string[] = [];
  if (!isSet("databaseUrl")) {
    problems.push(`\`databaseUrl\` is not set but \`backups\` is: the backup job reads the database from it; set it with \`pulumi config set --secret databaseUrl postgres://user:password@host:5432/app -s ${stack}\``);
  }
  if (!isSet("restoreCheckDatabaseUrl")) {
    problems.push(`\`restoreCheckDatabaseUrl\` is not set but \`backups\` is: restore-check restores into a scratch database on that server; set it with \`pulumi config set --secret restoreCheckDatabaseUrl postgres://restore_check:password@scratch-db:5432/postgres -s ${stack}\``);
  }
  return problems;
}
