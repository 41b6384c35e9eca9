/** Small resources in the shape the program registers them, for the policies' pass and fail cases. */
import type { FakeResource } from "./harness";

export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const SERVICE = "kubernetes:core/v1:Service";
export const JOB = "kubernetes:batch/v1:Job";
export const CRON_JOB = "kubernetes:batch/v1:CronJob";

export function container(overrides: Record<string, any> = {}): Record<string, any> {
  return {
    name: "web",
    image: "ghcr.io/acme/web:1.4.2",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
    ...overrides,
  };
}

export function podSpec(containers: Record<string, any>[], overrides: Record<string, any> = {}): Record<string, any> {
  return { securityContext: { runAsNonRoot: true, runAsUser: 10001 }, containers, ...overrides };
}

export function deployment(color: string, options: { replicas?: number; containers?: Record<string, any>[] } = {}): FakeResource {
  const labels = { app: "web", color };
  return {
    type: DEPLOYMENT,
    name: `web-${color}`,
    props: {
      metadata: { name: `web-${color}`, namespace: "web-staging", labels },
      spec: {
        replicas: options.replicas ?? 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: podSpec(options.containers ?? [container()]) },
      },
    },
  };
}

export function liveService(color: string): FakeResource {
  return {
    type: SERVICE,
    name: "web-live",
    props: {
      metadata: { name: "web", namespace: "web-staging", labels: { app: "web", role: "live" } },
      spec: { selector: { app: "web", color }, ports: [{ port: 80, targetPort: "http" }] },
    },
  };
}

export function job(name: string, spec: Record<string, any> = {}, containers = [container({ name: "migrate" })]): FakeResource {
  return {
    type: JOB,
    name,
    props: { metadata: { name, namespace: "web-staging" }, spec: { backoffLimit: 0, template: { spec: podSpec(containers, { restartPolicy: "Never" }) }, ...spec } },
  };
}

export function cronJob(name: string, jobSpec: Record<string, any> = {}, containers = [container({ name: "backup" })]): FakeResource {
  return {
    type: CRON_JOB,
    name,
    props: {
      metadata: { name, namespace: "web-staging" },
      spec: {
        schedule: "0 3 * * *",
        successfulJobsHistoryLimit: 3,
        jobTemplate: { spec: { template: { spec: podSpec(containers, { restartPolicy: "Never" }) }, ...jobSpec } },
      },
    },
  };
}

/** A backup bucket and the resources that harden it, each optionally left out or overridden. */
export function hardenedBucket(
  options: { omit?: string[]; protect?: boolean; bucket?: Record<string, any>; versioning?: string; sse?: string; block?: Record<string, boolean> } = {},
): FakeResource[] {
  const omit = new Set(options.omit ?? []);
  const dependsOnBucket = { bucket: ["backups"] };
  const resources: FakeResource[] = [
    { type: "aws:s3/bucket:Bucket", name: "backups", props: { bucket: "acme-web-backups", ...options.bucket }, protect: options.protect ?? true },
    {
      type: "aws:s3/bucketVersioning:BucketVersioning",
      name: "backups-versioning",
      props: { bucket: "acme-web-backups", versioningConfiguration: { status: options.versioning ?? "Enabled" } },
      propertyDependencies: dependsOnBucket,
    },
    {
      type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      name: "backups-encryption",
      props: {
        bucket: "acme-web-backups",
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: options.sse ?? "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1" }, bucketKeyEnabled: true }],
      },
      propertyDependencies: dependsOnBucket,
    },
    {
      type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      name: "backups-public-access",
      props: { bucket: "acme-web-backups", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...options.block },
      propertyDependencies: dependsOnBucket,
    },
  ];
  return resources.filter((r) => !omit.has(r.name));
}
