/**
 * Bad stack configs: each is rejected with exact error lines, before any resource is registered.
 * The configs are the real stack files with one edit, evaluated through the whole program.
 */
import { describe, expect, it } from "vitest";
import { BACKUP_SUCCESS_METRIC, ConfigError } from "../config";
import { METRIC_NAMES } from "../jobs/backup/metrics";
import { loadStackConfig, oneService, PlainConfig, runProgram, SECRET_SIG, StackName, TEST_SECRETS, withoutSecrets } from "./helpers/program";

interface BadConfig {
  readonly name: string;
  readonly stack?: StackName;
  readonly edit?: (c: PlainConfig) => void;
  readonly secrets?: Record<string, string>;
  readonly plain?: Record<string, string>;
  readonly otherConfig?: Record<string, string>;
  readonly problems: string[];
}

function withoutKey(secrets: Record<string, string>, key: string): Record<string, string> {
  const { [key]: _removed, ...rest } = secrets;
  return rest;
}

const PIN_FIX = "use a version tag or a digest, such as `ghcr.io/acme/web:1.4.2` or `ghcr.io/acme/web@sha256:<digest>`";

const BAD_CONFIGS: BadConfig[] = [
  {
    name: "endpointSecret naming a config key that is not set",
    secrets: withoutKey(TEST_SECRETS.production, "pagerdutyEndpoint"),
    problems: [
      "`alarms.topic.subscriptions[1].endpointSecret` names config key `pagerdutyEndpoint`, which is not set: set it with `pulumi config set --secret pagerdutyEndpoint <value> -s production`",
    ],
  },
  {
    name: "endpointSecret naming a config key stored in plain text",
    secrets: withoutKey(TEST_SECRETS.production, "pagerdutyEndpoint"),
    plain: { pagerdutyEndpoint: TEST_SECRETS.production.pagerdutyEndpoint },
    problems: [
      "`alarms.topic.subscriptions[1].endpointSecret` names config key `pagerdutyEndpoint`, which is stored in plain text: re-set it with `pulumi config set --secret pagerdutyEndpoint <value> -s production`",
    ],
  },
  {
    name: "a secret https endpoint that is not https (validated, never shown)",
    secrets: { ...TEST_SECRETS.production, pagerdutyEndpoint: "http://events.pagerduty.com/integration/0123456789abcdef/enqueue" },
    problems: [
      "`alarms.topic.subscriptions[1].endpointSecret` names config key `pagerdutyEndpoint`, which is (secret): uses `http`, not https; use an https URL such as `https://events.pagerduty.com/integration/<key>/enqueue`; re-set it with `pulumi config set --secret pagerdutyEndpoint <value>`",
    ],
  },
  {
    name: "a secret email endpoint that is not an email address",
    edit: (c) => (c.alarms.topic.subscriptions[0] = { protocol: "email", endpointSecret: "oncallEmail" }),
    secrets: { ...TEST_SECRETS.production, oncallEmail: "oncall-at-acme" },
    problems: [
      "`alarms.topic.subscriptions[0].endpointSecret` names config key `oncallEmail`, which is (secret): not an email address; use one such as `oncall@acme.example`; re-set it with `pulumi config set --secret oncallEmail <value>`",
    ],
  },
  {
    name: "a subscription with both endpoint and endpointSecret",
    edit: (c) => (c.alarms.topic.subscriptions[1].endpoint = "https://hooks.acme.example/alarms"),
    problems: [
      "`alarms.topic.subscriptions[1]` sets both `endpoint` and `endpointSecret`: an endpoint comes from one place; remove one with `pulumi config rm --path 'alarms.topic.subscriptions[1].endpoint'` or `pulumi config rm --path 'alarms.topic.subscriptions[1].endpointSecret'`",
    ],
  },
  {
    name: "a subscription with neither endpoint nor endpointSecret",
    edit: (c) => delete c.alarms.topic.subscriptions[1].endpointSecret,
    secrets: withoutKey(TEST_SECRETS.production, "pagerdutyEndpoint"),
    problems: [
      "`alarms.topic.subscriptions[1].endpoint` is not set: set it with `pulumi config set --path 'alarms.topic.subscriptions[1].endpoint' <address or URL>`, or keep it secret: `pulumi config set --secret <key> <URL>` and `pulumi config set --path 'alarms.topic.subscriptions[1].endpointSecret' <key>`",
    ],
  },
  {
    name: "an endpointSecret that is not a config key name",
    edit: (c) => (c.alarms.topic.subscriptions[1].endpointSecret = "pager duty"),
    secrets: withoutKey(TEST_SECRETS.production, "pagerdutyEndpoint"),
    problems: ["`alarms.topic.subscriptions.1.endpointSecret` is `pager duty`: must name a secret config key, such as `pagerdutyEndpoint`"],
  },
  {
    name: "the alarms section stored as a secret (a --secret --path value inside it)",
    secrets: { ...TEST_SECRETS.production, alarms: JSON.stringify(loadStackConfig("production").alarms) },
    problems: [
      "`alarms` is stored as a secret (`pulumi config set --secret --path` on a key inside it makes the whole section secret), but its values reach alarm names, dimensions and the dashboard in plain text: put a secret endpoint under its own key with `pulumi config set --secret <key> <URL> -s production`, name it in `alarms.topic.subscriptions[<i>].endpointSecret`, and remove the secret value from `alarms` with `pulumi config rm --path 'alarms.topic.subscriptions[<i>].endpoint' -s production`",
    ],
  },
  {
    name: "unknown activeColor",
    edit: (c) => (c.activeColor = "purple"),
    problems: ["`activeColor` is `purple`: must be `blue` or `green`; set it with `pulumi config set activeColor blue`"],
  },
  {
    name: "activeColor missing",
    edit: (c) => delete c.activeColor,
    problems: ["`activeColor` is not set: must be `blue` or `green`; set it with `pulumi config set activeColor blue`"],
  },
  {
    name: "active color with 0 replicas",
    edit: (c) => (c.colors.blue.replicas = 0),
    problems: [
      "`activeColor` is `blue` but `colors.blue.replicas` is 0: the live color needs at least 1 replica; scale blue up with `pulumi config set --path colors.blue.replicas 2` before promoting it",
    ],
  },
  {
    name: "promotion to a color with 0 replicas",
    edit: (c) => {
      c.activeColor = "green";
      c.colors.green.replicas = 0;
    },
    problems: [
      "`activeColor` is `green` but `colors.green.replicas` is 0: the live color needs at least 1 replica; scale green up with `pulumi config set --path colors.green.replicas 2` before promoting it",
    ],
  },
  {
    name: "promotion or rollback to a retired color",
    edit: (c) => {
      c.activeColor = "green";
      c.colors.green.retired = true;
    },
    problems: [
      "`activeColor` is `green` but `colors.green.retired` is true: green was retired and its schema may be contracted (its code may read what the contract dropped); stage a compatible image on it first with `npx bluegreen stage green <image>`, which clears the marker",
    ],
  },
  {
    name: "retired marker that is not a boolean",
    edit: (c) => (c.colors.green.retired = "yes"),
    problems: ["`colors.green.retired` is `yes`: must be `true` or `false`; `npx bluegreen stage <color> <image>` clears it"],
  },
  {
    name: "active color with no image",
    edit: (c) => delete c.colors.blue.image,
    problems: [
      "`activeColor` is `blue` but `colors.blue.image` is not set: stage an image first with `pulumi config set --path colors.blue.image <image>`",
    ],
  },
  {
    name: "idle color running with no image",
    edit: (c) => delete c.colors.green.image,
    problems: [
      "`colors.green.replicas` is 4 but `colors.green.image` is not set: set an image or scale it to 0 with `pulumi config set --path colors.green.replicas 0`",
    ],
  },
  {
    name: "production image with no tag",
    edit: (c) => (c.colors.green.image = "ghcr.io/acme/web"),
    problems: [`\`colors.green.image\` is \`ghcr.io/acme/web\`: production images must be pinned (it has no tag); ${PIN_FIX}`],
  },
  {
    name: "production image on latest",
    edit: (c) => (c.colors.blue.image = "ghcr.io/acme/web:latest"),
    problems: [`\`colors.blue.image\` is \`ghcr.io/acme/web:latest\`: production images must be pinned (\`latest\` moves); ${PIN_FIX}`],
  },
  {
    name: "production image on a branch tag",
    edit: (c) => (c.colors.green.image = "ghcr.io/acme/web:main"),
    problems: [`\`colors.green.image\` is \`ghcr.io/acme/web:main\`: production images must be pinned (tag \`main\` is not a version); ${PIN_FIX}`],
  },
  {
    name: "malformed image reference (staging as one service)",
    stack: "staging",
    edit: (c) => (oneService(c), (c.colors.blue.image = "ghcr.io/Acme/web:1.0")),
    problems: [
      "`colors.blue.image` is `ghcr.io/Acme/web:1.0`: not an image reference; use `registry/repository:tag` or `registry/repository@sha256:<digest>`",
    ],
  },
  {
    name: "malformed image reference of one service (staging: web and its BFF)",
    stack: "staging",
    edit: (c) => (c.colors.blue.images.bff = "ghcr.io/Acme/bff:1.0"),
    problems: [
      "`colors.blue.images.bff` is `ghcr.io/Acme/bff:1.0`: not an image reference; use `registry/repository:tag` or `registry/repository@sha256:<digest>`",
    ],
  },
  {
    name: "the one-service `colors.<c>.image` on staging, which declares services",
    stack: "staging",
    edit: (c) => (c.colors.green.image = "ghcr.io/acme/web:1.5.0"),
    problems: [
      "`colors.green.image` is set but the stack declares `services`: give each service's image in `colors.green.images.<service>` (with `npx bluegreen stage green web=<image> bff=<image> -s <stack>`) and remove `colors.green.image`",
    ],
  },
  {
    name: "negative replicas",
    edit: (c) => (c.colors.green.replicas = -1),
    problems: ["`colors.green.replicas` is `-1`: must be a whole number ≥ 0; set it with `pulumi config set --path colors.green.replicas 2`"],
  },
  {
    name: "non-integer replicas",
    edit: (c) => (c.colors.green.replicas = 1.5),
    problems: ["`colors.green.replicas` is `1.5`: must be a whole number ≥ 0; set it with `pulumi config set --path colors.green.replicas 2`"],
  },
  {
    name: "replicas given as words",
    edit: (c) => (c.colors.green.replicas = "two"),
    problems: ["`colors.green.replicas` is `two`: must be a whole number ≥ 0; set it with `pulumi config set --path colors.green.replicas 2`"],
  },
  {
    name: "negative previewReplicas",
    edit: (c) => (c.colors.green.previewReplicas = -2),
    problems: [
      "`colors.green.previewReplicas` is `-2`: must be a whole number ≥ 0; set it with `pulumi config set --path colors.green.previewReplicas 1`",
    ],
  },
  {
    name: "port above 65535",
    edit: (c) => (c.port = 70000),
    problems: ["`port` is `70000`: must be a whole number from 1 to 65535; set it with `pulumi config set port 8080`"],
  },
  {
    name: "port 0",
    edit: (c) => (c.port = 0),
    problems: ["`port` is `0`: must be a whole number from 1 to 65535; set it with `pulumi config set port 8080`"],
  },
  {
    name: "service port above 65535",
    edit: (c) => (c.servicePort = 65536),
    problems: ["`servicePort` is `65536`: must be a whole number from 1 to 65535; set it with `pulumi config set servicePort 80`"],
  },
  {
    name: "typo in a color key",
    edit: (c) => {
      c.colors.green.imgae = c.colors.green.image;
    },
    problems: ["`colors.green.imgae` is not a known key (did you mean `image`?): remove it with `pulumi config rm --path colors.green.imgae`"],
  },
  {
    name: "typo in a top-level key",
    edit: (c) => (c.activeColour = "green"),
    problems: ["`activeColour` is not a known key (did you mean `activeColor`?): remove it with `pulumi config rm activeColour`"],
  },
  {
    name: "unknown color",
    edit: (c) => (c.colors.red = { image: "ghcr.io/acme/web:1.0.0", replicas: 1 }),
    problems: ["`colors.red` is not a known key: remove it with `pulumi config rm --path colors.red`"],
  },
  {
    name: "cpu request above its limit",
    edit: (c) => (c.resources.requests.cpu = "2500m"),
    problems: [
      "`resources.requests.cpu` is `2500m` but `resources.limits.cpu` is `2`: a request cannot exceed its limit; raise the limit or lower the request",
    ],
  },
  {
    name: "memory request above its limit",
    edit: (c) => (c.resources.requests.memory = "2Gi"),
    problems: [
      "`resources.requests.memory` is `2Gi` but `resources.limits.memory` is `1Gi`: a request cannot exceed its limit; raise the limit or lower the request",
    ],
  },
  {
    name: "memory limit that is not a quantity",
    edit: (c) => (c.resources.limits.memory = "1GB"),
    problems: ["`resources.limits.memory` is `1GB`: must be a Kubernetes quantity such as `256Mi`"],
  },
  {
    name: "app name that is not a DNS label",
    edit: (c) => (c.app = "Web App"),
    problems: ["`app` is `Web App`: must be a DNS label (lowercase letters, digits, `-`) of at most 30 characters, such as `web`"],
  },
  {
    name: "app name too long for the names derived from it",
    edit: (c) => (c.app = "a".repeat(31)),
    problems: [`\`app\` is \`${"a".repeat(31)}\`: must be a DNS label (lowercase letters, digits, \`-\`) of at most 30 characters, such as \`web\``],
  },
  {
    name: "namespace that is not a DNS label",
    edit: (c) => (c.namespace = "web_production"),
    problems: [
      "`namespace` is `web_production`: must be a Kubernetes namespace name (lowercase letters, digits, `-`), such as `web-production`",
    ],
  },
  {
    name: "probe path without a leading slash",
    edit: (c) => (c.healthPath = "healthz"),
    problems: ["`healthPath` is `healthz`: must be an HTTP path starting with `/`, such as `/healthz`"],
  },
  {
    name: "production flag that is not a boolean",
    edit: (c) => (c.production = "yes"),
    problems: ["`production` is `yes`: must be `true` or `false`"],
  },
  {
    name: "env var name that is not valid",
    edit: (c) => (c.env["LOG-LEVEL"] = "info"),
    problems: ["`env.LOG-LEVEL` is not a valid environment variable name (letters, digits, `_`, not starting with a digit): rename it"],
  },
  {
    name: "a variable both plain and secret",
    edit: (c) => (c.env.DATABASE_URL = "postgres://localhost/web"),
    problems: ["`env.DATABASE_URL` is also set in `secretEnv.DATABASE_URL`: a variable comes from one place; remove it from `env`"],
  },
  {
    name: "secretEnv naming a config key that is not set",
    secrets: withoutKey(TEST_SECRETS.production, "sessionSecret"),
    problems: [
      "`secretEnv.SESSION_SECRET` names config key `sessionSecret`, which is not set: set it with `pulumi config set --secret sessionSecret <value> -s production`",
    ],
  },
  {
    name: "secretEnv naming a config key stored in plain text",
    secrets: withoutKey(TEST_SECRETS.production, "sessionSecret"),
    plain: { sessionSecret: "in-the-clear" },
    problems: [
      "`secretEnv.SESSION_SECRET` names config key `sessionSecret`, which is stored in plain text: re-set it with `pulumi config set --secret sessionSecret <value> -s production`",
    ],
  },
  {
    name: "a secret key that nothing names",
    edit: (c) => c.alarms.topic.subscriptions.pop(),
    problems: [
      "`pagerdutyEndpoint` is stored as a secret but nothing names it: name it from `secretEnv` or an `alarms.topic.subscriptions[<i>].endpointSecret`, or remove it with `pulumi config rm pagerdutyEndpoint -s production`",
    ],
  },
  {
    name: "a plain section stored as a secret (its value would be written in plain text)",
    edit: (c) => delete c.env,
    secrets: { ...TEST_SECRETS.production, env: JSON.stringify({ API_KEY: "sk-live-value" }) },
    problems: [
      "`env` is stored as a secret, but only the keys `secretEnv` and `alarms.topic.subscriptions[<i>].endpointSecret` name (and `databaseUrl`, `restoreCheckDatabaseUrl`) are delivered as secrets; its value would be written in plain text: put the secret value under its own key with `pulumi config set --secret <key> <value> -s production`, reference it from `secretEnv` or an `endpointSecret`, and store `env` in plain text",
    ],
  },
  {
    name: "backups that publish no metric for the backup-age alarm",
    edit: (c) => delete c.backups.metricsNamespace,
    problems: [
      "`backups.metricsNamespace` is not set but the `backup-age` alarm watches namespace `Bluegreen/Backups`: the backup job would publish nothing and the alarm would stay in ALARM; set it with `pulumi config set --path backups.metricsNamespace Bluegreen/Backups`",
    ],
  },
  {
    name: "backup metric namespace that differs from the alarm's",
    edit: (c) => (c.backups.metricsNamespace = "Acme/Backups"),
    problems: [
      "`backups.metricsNamespace` is `Acme/Backups` but `alarms.backupMetric.namespace` is `Bluegreen/Backups`: the `backup-age` alarm would never see the backup job's metric; set both to the same namespace",
    ],
  },
  {
    name: "production without alarms",
    edit: (c) => {
      delete c.alarms;
      c.watch.minutes = 0;
    },
    secrets: withoutKey(TEST_SECRETS.production, "pagerdutyEndpoint"),
    problems: [
      "`alarms` is not set but `production` is true: a production stack must be monitored; add an `alarms` section (see README, Alarms)",
    ],
  },
  {
    name: "production without alarms, with its 30-minute watch",
    edit: (c) => delete c.alarms,
    secrets: withoutKey(TEST_SECRETS.production, "pagerdutyEndpoint"),
    problems: [
      "`alarms` is not set but `production` is true: a production stack must be monitored; add an `alarms` section (see README, Alarms)",
      "`watch.minutes` is 30 but `alarms` is not set, so there are no release alarms to watch: turn the watch off with `pulumi config set --path watch.minutes 0` or add an `alarms` section (see README, Alarms)",
    ],
  },
  {
    name: "a watch outside production without alarms to read",
    stack: "staging",
    edit: (c) => {
      delete c.alarms;
      c.watch = { minutes: 10 };
    },
    problems: [
      "`watch.minutes` is 10 but `alarms` is not set, so there are no release alarms to watch: turn the watch off with `pulumi config set --path watch.minutes 0` or add an `alarms` section (see README, Alarms)",
    ],
  },
  {
    name: "backups in another region than the AWS provider's",
    otherConfig: { "aws:region": "us-east-1" },
    problems: [
      "`backups.region` is `eu-west-1` but `aws:region` is `us-east-1`: the bucket would be created in us-east-1 while the jobs look for it in eu-west-1; set both to the same region",
    ],
  },
  {
    name: "several problems at once, all reported",
    edit: (c) => {
      c.port = -1;
      c.colors.green.replicas = -3;
    },
    problems: [
      "`colors.green.replicas` is `-3`: must be a whole number ≥ 0; set it with `pulumi config set --path colors.green.replicas 2`",
      "`port` is `-1`: must be a whole number from 1 to 65535; set it with `pulumi config set port 8080`",
    ],
  },
];

describe("bad stack config", () => {
  it("covers at least 20 cases", () => {
    expect(BAD_CONFIGS.length).toBeGreaterThanOrEqual(20);
  });

  it.each(BAD_CONFIGS)("$name: rejected with the exact message and nothing registered", async (bad) => {
    const run = await runProgram(bad.stack ?? "production", { edit: bad.edit, secrets: bad.secrets, plain: bad.plain, otherConfig: bad.otherConfig });
    // The program runs in a fresh module registry, so compare by name rather than instanceof.
    expect(run.error?.name).toBe("ConfigError");
    expect([...(run.error as ConfigError).problems].sort()).toEqual([...bad.problems].sort());
    expect(run.error!.message).toBe(`Invalid stack config:\n${(run.error as ConfigError).problems.map((p) => `  - ${p}`).join("\n")}`);
    expect(run.resources).toEqual([]);
  });
});

describe("good stack config", () => {
  it("accepts an AWS provider region that matches the backups' region", async () => {
    const run = await runProgram("production", { otherConfig: { "aws:region": "eu-west-1" } });
    expect(run.error).toBeUndefined();
  });

  it("names the metric the backup job really publishes", () => {
    expect(BACKUP_SUCCESS_METRIC).toBe(METRIC_NAMES.lastSuccess);
  });

  it.each(["staging", "production"] as const)("%s evaluates without errors", async (stack) => {
    const run = await runProgram(stack);
    expect(run.error).toBeUndefined();
    expect(run.resources.length).toBeGreaterThan(0);
  });

  it("allows an unpinned image outside production (staging: a service's image; and as one service)", async () => {
    const run = await runProgram("staging", { edit: (c) => (c.colors.green.images.bff = "ghcr.io/acme/bff:latest") });
    expect(run.error).toBeUndefined();
    expect(run.get("kubernetes:apps/v1:Deployment", "web-bff-green").inputs.spec.template.spec.containers[0].image).toBe("ghcr.io/acme/bff:latest");
    const one = await runProgram("staging", { edit: (c) => (oneService(c), (c.colors.green.image = "ghcr.io/acme/web:latest")) });
    expect(one.error).toBeUndefined();
    expect(one.get("kubernetes:apps/v1:Deployment", "web-green").inputs.spec.template.spec.containers[0].image).toBe("ghcr.io/acme/web:latest");
  });

  it("accepts a digest-pinned image in production", async () => {
    const digest = `ghcr.io/acme/web@sha256:${"a".repeat(64)}`;
    const run = await runProgram("production", { edit: (c) => (c.colors.green.image = digest) });
    expect(run.error).toBeUndefined();
    expect(run.get("kubernetes:apps/v1:Deployment", "web-green").inputs.spec.template.spec.containers[0].image).toBe(digest);
  });

  it("a Kubernetes-only stack (staging without alarms, backups or watch) registers no AWS and no command resource", async () => {
    const run = await runProgram("staging", {
      edit: (c) => {
        delete c.alarms;
        delete c.backups;
        delete c.watch;
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.resources.filter((r) => r.type.startsWith("aws:")).map((r) => `${r.type}::${r.name}`)).toEqual([]);
    expect(run.resources.filter((r) => r.type.startsWith("command:")).map((r) => `${r.type}::${r.name}`)).toEqual([]);
    expect(run.resources.filter((r) => r.type.startsWith("bluegreen:aws:")).map((r) => `${r.type}::${r.name}`)).toEqual([]);
    expect([...new Set(run.resources.filter((r) => r.custom).map((r) => r.type.split(":")[0]))]).toEqual(["kubernetes"]);
    expect(run.outputs).toMatchObject({
      alarmTopicArn: "none",
      alarmNames: {},
      skippedAlarms: {},
      dashboardName: "none",
      backupBucketName: "none",
      backupPrefix: "none",
      preMigrationBackupJobs: [],
      promotionWatch: { minutes: 0, alarmNames: [], pollSeconds: 60, settleMinutes: 10, ignorePollFailures: false, region: "eu-west-1" },
    });
  });

  it("production's stack file still registers the alarms", async () => {
    const run = await runProgram("production");
    expect(run.error).toBeUndefined();
    expect(run.ofType("bluegreen:aws:Alarms").map((r) => r.name)).toEqual(["web-alarms"]);
    expect(run.ofType("aws:sns/topic:Topic").map((r) => r.name)).toEqual(["web-alarms-topic"]);
    expect(run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")).toHaveLength(9);
    expect(run.ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm").map((r) => r.name)).toEqual(["web-alarms-release-health"]);
    expect(run.ofType("aws:cloudwatch/dashboard:Dashboard").map((r) => r.name)).toEqual(["web-alarms-dashboard"]);
    expect(run.outputs.dashboardName).toBe("web-production");
    expect(run.outputs.alarmTopicArn).toBe("web-alarms-topic-id");
  });

  it("lets the idle color be retired: no image and 0 replicas deploys nothing for it", async () => {
    const run = await runProgram("production", {
      edit: (c) => {
        delete c.colors.green.image;
        c.colors.green.replicas = 0;
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.ofType("kubernetes:apps/v1:Deployment").map((r) => r.name)).toEqual(["web-blue"]);
    expect(run.outputs.idleImage).toBe("none");
  });
});

describe("secret config", () => {
  /** Every config key whose value is a secret, per stack: what `pulumi config set --secret` must hold. */
  const SECRET_BEARING_KEYS: Record<StackName, string[]> = {
    staging: ["databaseUrl", "sessionSecret", "restoreCheckDatabaseUrl"],
    production: ["databaseUrl", "sessionSecret", "restoreCheckDatabaseUrl", "pagerdutyEndpoint"],
  };

  /** The secret keys a stack file refers to: the fixed ones, `secretEnv`'s and the alarm subscriptions' `endpointSecret`. */
  function referencedSecretKeys(stack: StackName): string[] {
    const config = loadStackConfig(stack);
    const keys = new Set<string>();
    if (config.migrations || config.backups) keys.add("databaseUrl");
    for (const key of Object.values<string>(config.secretEnv ?? {})) keys.add(key);
    if (config.backups) keys.add("restoreCheckDatabaseUrl");
    for (const s of config.alarms?.topic?.subscriptions ?? []) if (s.endpointSecret) keys.add(s.endpointSecret);
    return [...keys].sort();
  }

  it.each(["staging", "production"] as const)("%s: lists every secret-bearing key, and each reaches resources only as a secret", async (stack) => {
    expect(referencedSecretKeys(stack)).toEqual([...SECRET_BEARING_KEYS[stack]].sort());
    expect(Object.keys(TEST_SECRETS[stack]).sort()).toEqual([...SECRET_BEARING_KEYS[stack]].sort());
    const run = await runProgram(stack);
    expect(run.error).toBeUndefined();
    for (const key of SECRET_BEARING_KEYS[stack]) {
      const value = TEST_SECRETS[stack][key];
      const reached = run.resources.filter((r) => JSON.stringify(r.wireInputs).includes(value));
      expect(reached.length, `${key} reaches no resource`).toBeGreaterThan(0);
      for (const resource of run.resources) {
        expect(JSON.stringify(withoutSecrets(resource.wireInputs)), `${key} in plain text in ${resource.type} ${resource.name}`).not.toContain(value);
      }
      for (const [name, output] of Object.entries(run.outputs)) {
        if (run.secretOutputs.includes(name)) continue;
        expect(JSON.stringify(output) ?? "", `${key} in stack output ${name}`).not.toContain(value);
      }
    }
  });

  it("the PagerDuty subscription's endpoint is a secret input, named by its config key, and the stack file holds no URL", async () => {
    const run = await runProgram("production");
    const subscription = run.get("aws:sns/topicSubscription:TopicSubscription", "web-alarms-topic-https-secret-pagerdutyEndpoint");
    expect(subscription.wireInputs.protocol).toBe("https");
    expect(subscription.wireInputs.endpoint).toEqual({ [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: TEST_SECRETS.production.pagerdutyEndpoint });
    // The plain email subscription stays plain.
    const email = run.ofType("aws:sns/topicSubscription:TopicSubscription").find((s) => s.inputs.protocol === "email")!;
    expect(email.wireInputs.endpoint).toBe("oncall@acme.example");
    expect(JSON.stringify(loadStackConfig("production"))).not.toContain("events.pagerduty.com/integration/5f2b");
  });

  it("an invalid secret endpoint is reported as (secret), its value never shown", async () => {
    const secret = "http://events.pagerduty.com/integration/secret-routing-key/enqueue";
    const run = await runProgram("production", { secrets: { ...TEST_SECRETS.production, pagerdutyEndpoint: secret } });
    expect(run.error?.message).toContain("(secret)");
    expect(run.error?.message).not.toContain("secret-routing-key");
  });
});
