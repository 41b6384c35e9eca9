import { describe, expect, it } from "vitest";
import { policies } from "../../policy/policies";
import { check } from "./harness";
import { container, cronJob, deployment, DEPLOYMENT, hardenedBucket, job, liveService } from "./fixtures";

describe("the pack", () => {
  it("has every policy once, all mandatory", () => {
    expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["live-service-targets-ready-color", "mandatory"],
      ["maintenance-toggle-not-with-promotion", "mandatory"],
      ["production-images-pinned", "mandatory"],
      ["containers-non-root-with-limits", "mandatory"],
      ["no-secret-env-literals", "mandatory"],
      ["backup-bucket-hardened", "mandatory"],
      ["alarms-have-actions", "mandatory"],
      ["jobs-keep-finished", "mandatory"],
    ]);
  });
});

describe("live-service-targets-ready-color", () => {
  const only = "live-service-targets-ready-color";

  it("passes when the selected color has an image and replicas", async () => {
    expect(await check([deployment("blue"), deployment("green", { replicas: 0 }), liveService("blue")], { only })).toEqual([]);
  });

  it("fails when the selected color has 0 replicas", async () => {
    expect(await check([deployment("blue"), deployment("green", { replicas: 0 }), liveService("green")], { only })).toEqual([
      {
        policy: only,
        resource: "web-live",
        message:
          "live Service `web` selects {app: web, color: green}, but Deployment `web-green` has 0 replicas: scale it up with `pulumi config set --path colors.green.replicas 2 -s staging`, or point `activeColor` back with `npx bluegreen rollback -s staging`",
      },
    ]);
  });

  it("fails when the selected color has no image", async () => {
    const imageless = deployment("green", { containers: [container({ image: undefined })] });
    expect((await check([deployment("blue"), imageless, liveService("green")], { only })).map((v) => v.message)).toEqual([
      "live Service `web` selects {app: web, color: green}, but Deployment `web-green` has a container without an image: stage one with `npx bluegreen stage green <image> -s staging`",
    ]);
  });

  it("fails when the selected color is retired", async () => {
    const green = deployment("green");
    const retired = { ...green, props: { ...green.props, metadata: { ...green.props.metadata, annotations: { "bluegreen.dev/retired": "true" } } } };
    expect((await check([deployment("blue"), retired, liveService("green")], { only })).map((v) => v.message)).toEqual([
      "live Service `web` selects {app: web, color: green}, but Deployment `web-green` is retired (its schema may be contracted): stage a compatible image with `npx bluegreen stage green <image> -s staging`, or point `activeColor` back with `npx bluegreen rollback -s staging`",
    ]);
  });

  it("fails when no Deployment runs the selected color", async () => {
    expect((await check([deployment("blue"), liveService("green")], { only, stack: "production" })).map((v) => v.message)).toEqual([
      "live Service `web` selects {app: web, color: green}, but no Deployment in namespace `web-staging` runs Pods with those labels: stage an image on green with `npx bluegreen stage green <image> -s production`, or point `activeColor` back with `npx bluegreen rollback -s production`",
    ]);
  });

  it("ignores Services that are not the live one, such as an idle color's preview Service", async () => {
    const preview = { ...liveService("green"), name: "web-green-preview" };
    preview.props = { ...preview.props, metadata: { ...preview.props.metadata, labels: { app: "web", role: "preview" } } };
    expect(await check([deployment("green", { replicas: 0 }), preview], { only })).toEqual([]);
  });
});

describe("production-images-pinned", () => {
  const only = "production-images-pinned";
  const withImage = (image: string) => deployment("blue", { containers: [container({ image })] });

  it("passes version tags and digests in production", async () => {
    const digest = `ghcr.io/acme/web@sha256:${"a".repeat(64)}`;
    expect(await check([withImage("ghcr.io/acme/web:1.4.2"), deployment("green", { containers: [container({ image: digest })] })], { only, stack: "production" })).toEqual([]);
  });

  it("fails `latest`, no tag and non-version tags in production, including Jobs", async () => {
    const resources = [
      withImage("ghcr.io/acme/web:latest"),
      deployment("green", { containers: [container({ image: "ghcr.io/acme/web" })] }),
      job("migrate-1a2b", {}, [container({ name: "migrate", image: "ghcr.io/acme/jobs:main" })]),
    ];
    expect(await check(resources, { only, stack: "production" })).toEqual([
      {
        policy: only,
        resource: "web-blue",
        message:
          "container `web` of Deployment `web-blue` uses image `ghcr.io/acme/web:latest`: production images must be pinned (`latest` moves); use a version tag or a digest, such as `ghcr.io/acme/web:1.4.2` or `ghcr.io/acme/web@sha256:<digest>`",
      },
      {
        policy: only,
        resource: "web-green",
        message:
          "container `web` of Deployment `web-green` uses image `ghcr.io/acme/web`: production images must be pinned (it has no tag); use a version tag or a digest, such as `ghcr.io/acme/web:1.4.2` or `ghcr.io/acme/web@sha256:<digest>`",
      },
      {
        policy: only,
        resource: "migrate-1a2b",
        message:
          "container `migrate` of Job `migrate-1a2b` uses image `ghcr.io/acme/jobs:main`: production images must be pinned (tag `main` is not a version); use a version tag or a digest, such as `ghcr.io/acme/jobs:1.4.2` or `ghcr.io/acme/jobs@sha256:<digest>`",
      },
    ]);
  });

  it("applies to a stack tagged `environment: production`, and not to staging", async () => {
    expect(await check([withImage("ghcr.io/acme/web:latest")], { only, stack: "staging" })).toEqual([]);
    expect(await check([withImage("ghcr.io/acme/web:latest")], { only, stack: "prod-eu", stackTags: { environment: "production" } })).toHaveLength(1);
  });
});

describe("containers-non-root-with-limits", () => {
  const only = "containers-non-root-with-limits";

  it("passes non-root containers with limits in Deployments, Jobs and CronJobs", async () => {
    expect(await check([deployment("blue"), job("migrate-1a2b"), cronJob("backup")], { only })).toEqual([]);
  });

  it("fails a container that may run as root or runs as UID 0", async () => {
    const mayBeRoot = deployment("blue");
    mayBeRoot.props.spec.template.spec.securityContext = {};
    mayBeRoot.props.spec.template.spec.containers = [container({ securityContext: {} })];
    const root = job("migrate-1a2b", {}, [container({ name: "migrate", securityContext: { runAsUser: 0 } })]);
    expect((await check([mayBeRoot, root], { only })).map((v) => v.message)).toEqual([
      "container `web` of Deployment `web-blue` may run as root: set `securityContext.runAsNonRoot: true` and a non-zero `runAsUser` (such as 10001) on the Pod or the container",
      "container `migrate` of Job `migrate-1a2b` runs as UID 0 (root): set `runAsUser` to a non-zero UID, such as 10001, with `runAsNonRoot: true`",
    ]);
  });

  it("fails a container without limits, init containers included", async () => {
    const noLimits = cronJob("backup", {}, [container({ name: "backup", resources: { requests: { cpu: "100m" } } })]);
    noLimits.props.spec.jobTemplate.spec.template.spec.initContainers = [container({ name: "wait", resources: { limits: { cpu: "100m" } } })];
    expect((await check([noLimits], { only })).map((v) => v.message)).toEqual([
      "init container `wait` of CronJob `backup` has no memory limit: set `resources.limits.memory` (such as `256Mi`)",
      "container `backup` of CronJob `backup` has no cpu or memory limit: set `resources.limits.cpu` (such as `500m`) and `resources.limits.memory` (such as `256Mi`)",
    ]);
  });
});

describe("no-secret-env-literals", () => {
  const only = "no-secret-env-literals";
  const withEnv = (env: Record<string, any>[]) => deployment("blue", { containers: [container({ env })] });

  it("passes plain settings and secrets read with secretKeyRef", async () => {
    const env = [
      { name: "LOG_LEVEL", value: "info" },
      { name: "KMS_KEY_ID", value: "arn:aws:kms:eu-west-1:123456789012:key/1" },
      { name: "BACKUP_KEY_PREFIX", value: "web/production" },
      { name: "PUBLIC_URL", value: "https://web.example.com/" },
      { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "web-database", key: "DATABASE_URL" } } },
      { name: "SESSION_SECRET", valueFrom: { secretKeyRef: { name: "web-env", key: "SESSION_SECRET" } } },
    ];
    expect(await check([withEnv(env)], { only })).toEqual([]);
  });

  it("fails secret-looking names and URLs with credentials given as literals, without repeating the value", async () => {
    const env = [
      { name: "DATABASE_URL", value: "postgres://web:hunter2@db:5432/web" },
      { name: "API_TOKEN", value: "tok-123" },
      { name: "STRIPE_KEY", value: "sk_live_1" },
      { name: "CACHE", value: "redis://cache:s3cr3t@redis:6379" },
    ];
    const violations = await check([withEnv(env)], { only });
    const fix = "keep it in Pulumi secret config (`pulumi config set --secret <key> <value>`), store it in a Kubernetes Secret and read it with `valueFrom.secretKeyRef`";
    expect(violations.map((v) => v.message)).toEqual([
      `container \`web\` of Deployment \`web-blue\` sets env \`DATABASE_URL\` in plain text (its literal value is a URL with credentials): ${fix}`,
      `container \`web\` of Deployment \`web-blue\` sets env \`API_TOKEN\` in plain text (its name says it holds a secret, but it is a literal \`value\`): ${fix}`,
      `container \`web\` of Deployment \`web-blue\` sets env \`STRIPE_KEY\` in plain text (its name says it holds a secret, but it is a literal \`value\`): ${fix}`,
      `container \`web\` of Deployment \`web-blue\` sets env \`CACHE\` in plain text (its literal value is a URL with credentials): ${fix}`,
    ]);
    for (const secret of ["hunter2", "tok-123", "sk_live_1", "s3cr3t"]) expect(JSON.stringify(violations)).not.toContain(secret);
  });

  it("checks Jobs and CronJobs too", async () => {
    const env = [{ name: "PGPASSWORD", value: "hunter2" }];
    const violations = await check([job("migrate-1a2b", {}, [container({ name: "migrate", env })]), cronJob("backup", {}, [container({ name: "backup", env })])], { only });
    expect(violations.map((v) => v.resource)).toEqual(["migrate-1a2b", "backup"]);
  });
});

describe("backup-bucket-hardened", () => {
  const only = "backup-bucket-hardened";

  it("passes a versioned, KMS-encrypted, public-blocked, protected bucket in production", async () => {
    expect(await check(hardenedBucket(), { only, stack: "production" })).toEqual([]);
  });

  it("pairs resources with their bucket by name when no dependency is recorded", async () => {
    const byName = hardenedBucket().map((r) => ({ ...r, propertyDependencies: undefined }));
    expect(await check(byName, { only })).toEqual([]);
  });

  it("fails each missing piece with how to add it", async () => {
    const bare = hardenedBucket({ omit: ["backups-versioning", "backups-encryption", "backups-public-access"], protect: false });
    expect(await check(bare, { only, stack: "production" })).toEqual([
      {
        policy: only,
        resource: "backups",
        message:
          'S3 bucket `backups` is not versioned, so an overwritten or deleted backup is gone: add an `aws.s3.BucketVersioning` for it with `versioningConfiguration: { status: "Enabled" }`',
      },
      {
        policy: only,
        resource: "backups",
        message:
          'S3 bucket `backups` is not encrypted with KMS: add an `aws.s3.BucketServerSideEncryptionConfiguration` for it with a rule `applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: <key ARN> }`',
      },
      {
        policy: only,
        resource: "backups",
        message:
          "S3 bucket `backups` does not block public access (`blockPublicAcls`, `blockPublicPolicy`, `ignorePublicAcls`, `restrictPublicBuckets` not true): add an `aws.s3.BucketPublicAccessBlock` for it with all four flags set to true",
      },
      {
        policy: only,
        resource: "backups",
        message:
          "S3 bucket `backups` is not protected in a production stack, so `pulumi destroy` or a rename would delete the backups: create it with `{ protect: true }`",
      },
    ]);
  });

  it("fails suspended versioning, AES256 instead of KMS, one open flag and forceDestroy", async () => {
    const weak = hardenedBucket({ versioning: "Suspended", sse: "AES256", block: { restrictPublicBuckets: false }, bucket: { forceDestroy: true } });
    expect((await check(weak, { only })).map((v) => v.message.slice(0, v.message.indexOf(":")))).toEqual([
      "S3 bucket `backups` is not versioned, so an overwritten or deleted backup is gone",
      "S3 bucket `backups` is not encrypted with KMS",
      "S3 bucket `backups` does not block public access (`restrictPublicBuckets` not true)",
      "S3 bucket `backups` sets `forceDestroy",
    ]);
  });

  it("does not count hardening that belongs to another bucket", async () => {
    const other = hardenedBucket().slice(1).map((r) => ({ ...r, props: { ...r.props, bucket: "someone-elses" }, propertyDependencies: undefined }));
    const lone = { type: "aws:s3/bucket:Bucket", name: "backups", props: { bucket: "acme-web-backups" }, protect: true };
    expect((await check([lone, ...other], { only })).map((v) => v.message.slice(0, 40))).toEqual([
      "S3 bucket `backups` is not versioned, so",
      "S3 bucket `backups` is not encrypted wit",
      "S3 bucket `backups` does not block publi",
    ]);
  });

  it("pairs by dependency when bucket names are not known yet, as in a first preview", async () => {
    class UnknownValueError extends Error {}
    const unknownName = () => {
      throw new UnknownValueError("string value at .bucket can't be known during preview");
    };
    const previewed = hardenedBucket().map((r) => {
      const props = { ...r.props };
      delete props.bucket;
      Object.defineProperty(props, "bucket", { get: unknownName, enumerable: true });
      return { ...r, props };
    });
    expect(await check(previewed, { only, stack: "production" })).toEqual([]);
    const unpaired = previewed.map((r) => ({ ...r, propertyDependencies: undefined }));
    expect(await check(unpaired, { only, stack: "production" })).toHaveLength(3);
  });

  it("does not require protect outside production", async () => {
    expect(await check(hardenedBucket({ protect: false }), { only, stack: "staging" })).toEqual([]);
  });
});

describe("alarms-have-actions", () => {
  const only = "alarms-have-actions";
  const alarm = (type: string, name: string, props: Record<string, any>) => ({ type, name, props: { alarmName: `web-production-${name}`, ...props } });
  const METRIC = "aws:cloudwatch/metricAlarm:MetricAlarm";
  const COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm";
  const topic = "arn:aws:sns:eu-west-1:123456789012:web-alerts";

  it("passes metric and composite alarms with actions", async () => {
    expect(await check([alarm(METRIC, "http-5xx", { alarmActions: [topic], okActions: [topic] }), alarm(COMPOSITE, "release-health", { alarmActions: [topic] })], { only })).toEqual([]);
  });

  it("fails alarms without actions or with actions disabled", async () => {
    const resources = [alarm(METRIC, "p99", {}), alarm(COMPOSITE, "release-health", { alarmActions: [] }), alarm(METRIC, "cpu", { alarmActions: [topic], actionsEnabled: false })];
    expect(await check(resources, { only })).toEqual([
      {
        policy: only,
        resource: "p99",
        message: "CloudWatch alarm `web-production-p99` has no alarm actions, so nobody hears when it fires: set `alarmActions` to the alerts SNS topic's ARN",
      },
      {
        policy: only,
        resource: "release-health",
        message:
          "CloudWatch composite alarm `web-production-release-health` has no alarm actions, so nobody hears when it fires: set `alarmActions` to the alerts SNS topic's ARN",
      },
      {
        policy: only,
        resource: "cpu",
        message: "CloudWatch alarm `web-production-cpu` sets `actionsEnabled: false`, so its actions never run: remove `actionsEnabled` or set it to true",
      },
    ]);
  });
});

describe("jobs-keep-finished", () => {
  const only = "jobs-keep-finished";

  it("passes Jobs and CronJobs without ttlSecondsAfterFinished", async () => {
    expect(await check([job("migrate-1a2b"), cronJob("backup")], { only })).toEqual([]);
  });

  it("fails a Job and a CronJob job template that set it", async () => {
    expect(await check([job("migrate-1a2b", { ttlSecondsAfterFinished: 600 }), cronJob("backup", { ttlSecondsAfterFinished: 0 })], { only })).toEqual([
      {
        policy: only,
        resource: "migrate-1a2b",
        message:
          "Job `migrate-1a2b` sets `spec.ttlSecondsAfterFinished`: Kubernetes deletes the finished Job and the next `pulumi up` runs it again; remove it and name the Job by a hash of what it runs",
      },
      {
        policy: only,
        resource: "backup",
        message:
          "CronJob `backup` sets `spec.jobTemplate.spec.ttlSecondsAfterFinished`: finished runs vanish before anyone reads their logs; remove it and bound history with `successfulJobsHistoryLimit` and `failedJobsHistoryLimit`",
      },
    ]);
  });

  it("ignores other kinds", async () => {
    const deploymentWithTtl = deployment("blue");
    deploymentWithTtl.props.spec.ttlSecondsAfterFinished = 5;
    expect(deploymentWithTtl.type).toBe(DEPLOYMENT);
    expect(await check([deploymentWithTtl], { only })).toEqual([]);
  });
});
