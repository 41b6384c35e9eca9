/**
 * The single typed stack config: every rule about what a stack may declare lives here and runs
 * before any resource is created. `config/load.ts` reads the stack's config through the SDK and
 * hands it to these rules.
 *
 * Errors name the key in backticks, show the bad value and say how to fix it.
 */
// Types only: the release CLI loads this file and must not pay for loading the SDK.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { BackupsConfig, backupsProblems, backupsSchema } from "./config/backups";
import { parseImageRef, unpinnedReason } from "./lib/imageRef";
import { APP_RESOURCES, resourcesProblems, resourcesSchema } from "./config/resources";
import { decodeConfigValue } from "./lib/configValue";

export { decodeConfigValue };
import { AlarmsConfig, alarmsProblems, alarmsSchema } from "./config/alarms";
import { SmokeConfig, WatchConfig, gatesProblems, jobsImageSchema, smokeSchema, watchSchema } from "./config/gates";
import { MaintenanceConfig, maintenanceProblems, maintenanceSchema } from "./config/maintenance";
import { NotifyConfig, notifyProblems, notifySchema } from "./config/notify";
import type { SwitchHow } from "./lib/notify/notice";
import { MigrationsConfig, migrationsProblems, migrationsSchema } from "./config/migrations";
import { NetworkPolicyConfig, networkPolicyProblems, networkPolicySchema } from "./config/networkPolicy";
import { COLORS, Color, otherColor } from "./domain/names";
import { appServices, colorImages, hasServices, releaseIdentity, ServiceConfig, servicesProblems, serviceSchemaParts } from "./config/services";

export { COLORS, otherColor };
export type { Color };

/** Thrown when the stack config is invalid; `problems` holds one line per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

// ---------------------------------------------------------------------------------------------
// Schema. Each field says what it expects; `{key}` in a message becomes the offending key's path.
// ---------------------------------------------------------------------------------------------

const expect = (message: string) => ({ error: () => message });

/** Pulumi hands scalars over as text; a YAML `1.5` meant as a string arrives as a number. */
const text = (message: string) =>
  z.preprocess((v) => (typeof v === "number" ? String(v) : v), z.string(expect(message)).min(1, expect(message)));

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONFIG_KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;

const replicas = (example: number) =>
  z
    .number(expect(`must be a whole number ≥ 0; set it with \`pulumi config set --path {key} ${example}\``))
    .int(expect(`must be a whole number ≥ 0; set it with \`pulumi config set --path {key} ${example}\``))
    .min(0, expect(`must be a whole number ≥ 0; set it with \`pulumi config set --path {key} ${example}\``));

const imageRef = text("must be an image reference such as `ghcr.io/acme/web:1.5.0`");

const colorSchema = z.strictObject(
  {
    /** The one-service shorthand: the image of the app. */
    image: imageRef.optional(),
    /** An app with `services`: the image of each service in this color's release. */
    images: z.record(z.string(), imageRef, expect("must be a map of service names to images, such as `{bff: ghcr.io/acme/bff:1.5.0}`")).optional(),
    replicas: replicas(2),
    previewReplicas: replicas(1).optional(),
    // Set by `release retire` (the contract migrations may drop what this color's code reads);
    // `release stage` clears it. A retired color cannot take traffic.
    retired: z.boolean(expect("must be `true` or `false`; `npx bluegreen stage <color> <image>` clears it")).optional(),
  },
  expect("must be an object with `image` (or `images`), `replicas` and optionally `previewReplicas`, `retired`"),
);

const port = (example: number) =>
  z
    .number(expect(`must be a whole number from 1 to 65535; set it with \`pulumi config set {key} ${example}\``))
    .int(expect(`must be a whole number from 1 to 65535; set it with \`pulumi config set {key} ${example}\``))
    .min(1, expect(`must be a whole number from 1 to 65535; set it with \`pulumi config set {key} ${example}\``))
    .max(65535, expect(`must be a whole number from 1 to 65535; set it with \`pulumi config set {key} ${example}\``));

const httpPath = text("must be an HTTP path starting with `/`, such as `/healthz`").refine(
  (v) => v.startsWith("/"),
  expect("must be an HTTP path starting with `/`, such as `/healthz`"),
);

const envName = z.string().regex(ENV_NAME, expect("is not a valid environment variable name (letters, digits, `_`, not starting with a digit): rename it"));

const envSchema = z.record(
  envName,
  z.preprocess(
    (v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v),
    z.string(expect("must be a plain text value; put secrets in `secretEnv`")),
  ),
  expect("must be a map of environment variable names to values"),
);

const secretEnvSchema = z.record(
  envName,
  z.string(expect("must name a secret config key, such as `databaseUrl`")).regex(CONFIG_KEY, expect("must name a secret config key, such as `databaseUrl`")),
  expect("must be a map of environment variable names to secret config key names"),
);

export const stackConfigSchema = z.strictObject({
  // 30 characters keep every derived name within its limit: `<app>-restore-check` for a CronJob (52),
  // `<app>-smoke-<color>-<hash>` for a Job (63), auto-named IAM roles `<app>-backups-restore-check-xxxxxxx` (64).
  app: text("must be a DNS label (lowercase letters, digits, `-`) of at most 30 characters, such as `web`")
    .refine((v) => DNS_LABEL.test(v) && v.length <= 30, expect("must be a DNS label (lowercase letters, digits, `-`) of at most 30 characters, such as `web`")),
  namespace: text("must be a Kubernetes namespace name (lowercase letters, digits, `-`), such as `web-production`")
    .refine((v) => DNS_LABEL.test(v) && v.length <= 63, expect("must be a Kubernetes namespace name (lowercase letters, digits, `-`), such as `web-production`")),
  production: z.boolean(expect("must be `true` or `false`")),
  activeColor: z.enum(COLORS, expect("must be `blue` or `green`; set it with `pulumi config set activeColor blue`")),
  colors: z.strictObject(
    { blue: colorSchema, green: colorSchema },
    expect("must be an object with a `blue` and a `green` entry"),
  ),
  port: port(8080),
  servicePort: port(80),
  healthPath: httpPath,
  readinessPath: httpPath,
  resources: resourcesSchema(APP_RESOURCES),
  env: envSchema.default({}),
  secretEnv: secretEnvSchema.default({}),
  /**
   * The app's services, when it has more than one (a BFF and a web front end): per service what
   * differs from the top-level keys, which are every service's defaults. Unset: the app is one
   * service named after `app`, and `colors.<color>.image` is its image.
   */
  services: z
    .record(
      z.string(),
      z.strictObject(
        serviceSchemaParts({ port: port(8080), httpPath, replicas, resources: resourcesSchema(APP_RESOURCES).unwrap(), env: envSchema, secretEnv: secretEnvSchema }),
        expect("must be an object with the service's `port`, probe paths, `env`, `secretEnv`, `smoke` and `callers`, each optional"),
      ),
      expect("must be a map of service names to their settings, such as `{bff: {port: 8080}, web: {port: 3000}}`"),
    )
    .optional(),
  // How long `pulumi up` waits for a color's rollout before failing it (a Pod that never gets ready).
  rolloutTimeoutSeconds: z
    .number(expect("must be a whole number of seconds from 10 to 3600; set it with `pulumi config set rolloutTimeoutSeconds 600`"))
    .int(expect("must be a whole number of seconds from 10 to 3600; set it with `pulumi config set rolloutTimeoutSeconds 600`"))
    .min(10, expect("must be a whole number of seconds from 10 to 3600; set it with `pulumi config set rolloutTimeoutSeconds 600`"))
    .max(3600, expect("must be a whole number of seconds from 10 to 3600; set it with `pulumi config set rolloutTimeoutSeconds 600`"))
    .default(600),
  jobsImage: jobsImageSchema,
  smoke: smokeSchema,
  watch: watchSchema,
  alarms: alarmsSchema.optional(),
  backups: backupsSchema.optional(),
  migrations: migrationsSchema.optional(),
  networkPolicy: networkPolicySchema,
  /** The maintenance page (config/maintenance.ts); unset: the stack declares none. */
  maintenance: maintenanceSchema,
  /** Where switches are announced (config/notify.ts); unset: nowhere. */
  notify: notifySchema,
});

type ParsedConfig = z.infer<typeof stackConfigSchema>;

export interface ColorConfig {
  /** Image to run (the one-service shorthand); a color without one is not deployed. */
  readonly image?: string;
  /** An app with `services`: each service's image in this color's release. */
  readonly images?: Readonly<Record<string, string>>;
  /** Replicas while this color is live. */
  readonly replicas: number;
  /** Replicas while this color is idle; defaults to `replicas`, which keeps rollback instant. */
  readonly previewReplicas?: number;
  /** Retired: its schema may be contracted, so it may not take traffic until staged again. */
  readonly retired?: boolean;
}

export type AlarmSubscriptionConfig =
  | { readonly protocol: "email" | "https"; readonly endpoint: string; readonly secretKey?: undefined }
  | { readonly protocol: "email" | "https"; readonly endpoint: pulumi.Output<string>; readonly secretKey: string };

export interface StackConfig {
  readonly project: string;
  readonly stack: string;
  readonly app: string;
  readonly namespace: string;
  readonly production: boolean;
  readonly activeColor: Color;
  readonly idleColor: Color;
  readonly colors: Readonly<Record<Color, ColorConfig>>;
  /** The app's services (one, named after `app`, for the shorthand), defaults filled in. */
  readonly services: readonly ServiceConfig[];
  /** Secret config values that a `secretEnv` (top-level or a service's) names, by config key. */
  readonly secretConfig: Readonly<Record<string, pulumi.Output<string>>>;
  readonly port: number;
  readonly servicePort: number;
  readonly healthPath: string;
  readonly readinessPath: string;
  /** How long `pulumi up` waits for a color's Deployment to roll out. */
  readonly rolloutTimeoutSeconds: number;
  readonly resources: ParsedConfig["resources"];
  readonly env: Readonly<Record<string, string>>;
  /** Backups to S3; unset: no backups (not allowed in production). */
  readonly backups?: BackupsConfig;
  /** Migration Jobs of a release; undefined when the stack has no `migrations` section. */
  readonly migrations?: MigrationsConfig;
  /** Secret config values from SECRET_CONFIG_KEYS that the stack sets (always stored as secrets). */
  readonly secrets: Readonly<Partial<Record<SecretConfigKey, pulumi.Output<string>>>>;
  /** Image of the in-cluster jobs (`node dist/jobs/cli.js <command>`). */
  readonly jobsImage?: string;
  /** Smoke gate; `checks` defaults to `healthPath` answering 200. */
  readonly smoke: SmokeConfig;
  /** Post-promotion alarm watch. */
  readonly watch: WatchConfig;
  /** Alarm notifications, dimensions and thresholds; unset: no AWS alarms (not allowed in production). */
  readonly alarms?: AlarmsConfig;
  /**
   * `alarms.topic.subscriptions` resolved: an `endpointSecret` one carries its endpoint as a secret
   * Output and `secretKey`, the config key it came from (which names its resource, not the value).
   */
  readonly alarmSubscriptions: readonly AlarmSubscriptionConfig[];
  /** `aws:region` when the stack sets it, for the watch's CloudWatch client. */
  readonly awsRegion?: string;
  /** The app's NetworkPolicies (config/networkPolicy.ts). */
  readonly networkPolicy: NetworkPolicyConfig;
  /** The maintenance page (config/maintenance.ts); undefined when the stack has no `maintenance` section. */
  readonly maintenance?: MaintenanceConfig;
  /**
   * Where switches are announced (config/notify.ts), with the webhook URL read from its secret key
   * (a secret Output) and who/how/commit of this run; undefined without a `notify` section.
   */
  readonly notify?: NotifyConfig & { readonly webhookUrl?: pulumi.Output<string>; readonly run: SwitchRun };
}

/** Who applies this update and how, for the switch notice (the release CLI sets them for its own runs). */
export interface SwitchRun {
  readonly how: SwitchHow;
  readonly who?: string;
  readonly commit?: string;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

function showValue(value: unknown): string {
  if (value === undefined) return "not set";
  if (typeof value === "string") return `\`${value}\``;
  return `\`${JSON.stringify(value)}\``;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = raw;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** The keys an object schema accepts at `path`, for "did you mean" hints. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: unknown = stackConfigSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    if (!shape) return [];
    schema = shape[String(segment)];
  }
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): unknown {
  let current = schema as { _zod?: { def: { innerType?: unknown; type: string } } };
  while (current?._zod?.def.innerType) current = current._zod.def.innerType as typeof current;
  return current;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function unknownKeyProblem(parent: readonly PropertyKey[], key: string): string {
  const path = keyPath([...parent, key]);
  const candidates = knownKeysAt(parent)
    .map((known) => ({ known, distance: editDistance(key, known) }))
    .filter((c) => c.distance <= Math.max(2, Math.floor(c.known.length / 3)))
    .sort((x, y) => x.distance - y.distance);
  const hint = candidates.length > 0 ? ` (did you mean \`${candidates[0].known}\`?)` : "";
  const rm = parent.length === 0 ? `pulumi config rm ${key}` : `pulumi config rm --path ${path}`;
  return `\`${path}\` is not a known key${hint}: remove it with \`${rm}\``;
}

function formatIssues(raw: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) problems.push(unknownKeyProblem(issue.path, key));
      continue;
    }
    const path = keyPath(issue.path);
    if (issue.code === "invalid_key") {
      // A bad map key: the key itself is the problem, not its value.
      problems.push(`\`${path}\` ${issue.issues[0]?.message ?? issue.message}`);
      continue;
    }
    const message = issue.message.replaceAll("{key}", path);
    problems.push(`\`${path}\` is ${showValue(valueAt(raw, issue.path))}: ${message}`);
  }
  return problems;
}

/** Replicas a color runs given which color is live. */
export function effectiveReplicas(color: Color, activeColor: Color, spec: ColorConfig): number {
  return color === activeColor ? spec.replicas : (spec.previewReplicas ?? spec.replicas);
}

function ruleProblems(config: ParsedConfig, secretValues: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const active = config.activeColor;
  const live = config.colors[active];
  const multi = hasServices(config);
  const imageKey = (color: Color, service: string) => (multi ? `colors.${color}.images.${service}` : `colors.${color}.image`);
  const stage = (color: Color) =>
    multi
      ? `npx bluegreen stage ${color} ${Object.keys(config.services ?? {}).map((name) => `${name}=<image>`).join(" ")} -s <stack>`
      : `pulumi config set --path colors.${color}.image <image>`;

  problems.push(...servicesProblems(config));
  if (releaseIdentity(config, active) === undefined) {
    problems.push(
      multi
        ? `\`activeColor\` is \`${active}\` but \`colors.${active}.images\` is not set: stage a release of every service first with \`${stage(active)}\``
        : `\`activeColor\` is \`${active}\` but \`colors.${active}.image\` is not set: stage an image first with \`${stage(active)}\``,
    );
  }
  if (live.retired) {
    problems.push(
      `\`activeColor\` is \`${active}\` but \`colors.${active}.retired\` is true: ${active} was retired and its schema may be contracted (its code may read what the contract dropped); stage a compatible image on it first with \`npx bluegreen stage ${active} <image>\`, which clears the marker`,
    );
  }
  if (live.replicas === 0) {
    problems.push(
      `\`activeColor\` is \`${active}\` but \`colors.${active}.replicas\` is 0: the live color needs at least 1 replica; scale ${active} up with \`pulumi config set --path colors.${active}.replicas 2\` before promoting it`,
    );
  }

  for (const color of COLORS) {
    const spec = config.colors[color];
    const running = effectiveReplicas(color, active, spec);
    const images = colorImages(config, color);
    if (Object.keys(images).length === 0 && running > 0 && color !== active) {
      problems.push(
        `\`colors.${color}.replicas\` is ${running} but \`colors.${color}.${multi ? "images" : "image"}\` is not set: set ${multi ? "images" : "an image"} or scale it to 0 with \`pulumi config set --path colors.${color}.replicas 0\``,
      );
    }
    for (const [service, image] of Object.entries(images)) {
      const key = imageKey(color, service);
      const ref = parseImageRef(image);
      if (!ref) {
        problems.push(
          `\`${key}\` is \`${image}\`: not an image reference; use \`registry/repository:tag\` or \`registry/repository@sha256:<digest>\``,
        );
        continue;
      }
      const reason = config.production ? unpinnedReason(ref) : undefined;
      if (reason) {
        problems.push(
          `\`${key}\` is \`${image}\`: production images must be pinned (${reason}); use a version tag or a digest, such as \`${ref.repository}:1.4.2\` or \`${ref.repository}@sha256:<digest>\``,
        );
      }
    }
  }

  for (const [name, service] of Object.entries(config.services ?? {})) {
    if (service.resources) problems.push(...resourcesProblems(`services.${name}.resources`, service.resources));
    if (service.alarms && !config.alarms) {
      problems.push(
        `\`services.${name}.alarms.targetGroup\` is set but the stack has no \`alarms\` section: add one (see README, Alarms) or remove the key with \`pulumi config rm --path services.${name}.alarms\``,
      );
    }
    for (const env of Object.keys(service.secretEnv ?? {})) {
      if (env in (service.env ?? {})) {
        problems.push(`\`services.${name}.env.${env}\` is also set in \`services.${name}.secretEnv.${env}\`: a variable comes from one place; remove it from \`env\``);
      }
    }
  }
  problems.push(...resourcesProblems("resources", config.resources));

  for (const name of Object.keys(config.secretEnv)) {
    if (name in config.env) {
      problems.push(
        `\`env.${name}\` is also set in \`secretEnv.${name}\`: a variable comes from one place; remove it from \`env\``,
      );
    }
  }

  if (config.alarms) problems.push(...alarmsProblems(config.alarms, secretValues));
  else if (config.production) {
    problems.push(
      "`alarms` is not set but `production` is true: a production stack must be monitored; add an `alarms` section (see README, Alarms)",
    );
  }
  problems.push(
    ...gatesProblems({
      production: config.production,
      jobsImage: config.jobsImage,
      smoke: config.smoke,
      watch: config.watch,
      alarmsConfigured: config.alarms !== undefined,
      hasReleaseAlarms: config.alarms?.dimensions.loadBalancer !== undefined,
    }),
  );
  problems.push(...backupMetricProblems(config));
  problems.push(...migrationsProblems(config.migrations, config.production, config.jobsImage, config.services && Object.keys(config.services)));
  problems.push(...networkPolicyProblems(config.networkPolicy, config.production));
  // One line for a missing `jobsImage`, whichever section needs it first.
  const jobsImageReported = () => problems.some((p) => p.startsWith("`jobsImage` is not set") || p.includes("neither is `jobsImage`"));
  problems.push(...backupsProblems({ ...config, jobsImageChecked: jobsImageReported() }));
  problems.push(...maintenanceProblems(config.maintenance, config.jobsImage, jobsImageReported()));
  problems.push(...notifyProblems(config.notify, config.alarms !== undefined));
  return problems;
}

/** The metric name the backup job publishes on success (jobs/backup/metrics.ts, METRIC_NAMES.lastSuccess). */
export const BACKUP_SUCCESS_METRIC = "LastSuccessTimestamp";

/** The backup-age alarm must watch what the backup job publishes, or it stays in ALARM for ever. */
function backupMetricProblems(config: ParsedConfig): string[] {
  const problems: string[] = [];
  if (!config.backups || !config.alarms) return problems;
  const watched = config.alarms.backupMetric;
  const published = config.backups.metricsNamespace;
  if (published === undefined) {
    problems.push(
      `\`backups.metricsNamespace\` is not set but the \`backup-age\` alarm watches namespace \`${watched.namespace}\`: the backup job would publish nothing and the alarm would stay in ALARM; set it with \`pulumi config set --path backups.metricsNamespace ${watched.namespace}\``,
    );
  } else if (published !== watched.namespace) {
    problems.push(
      `\`backups.metricsNamespace\` is \`${published}\` but \`alarms.backupMetric.namespace\` is \`${watched.namespace}\`: the \`backup-age\` alarm would never see the backup job's metric; set both to the same namespace`,
    );
  }
  if (watched.name !== BACKUP_SUCCESS_METRIC) {
    problems.push(
      `\`alarms.backupMetric.name\` is \`${watched.name}\` but the backup job publishes \`${BACKUP_SUCCESS_METRIC}\`: remove the key to use it`,
    );
  }
  return problems;
}

/**
 * The parsed config, or the list of problems with it. Pure: no Pulumi runtime needed.
 * `secretValues`: plaintext of secret config keys the config names (`endpointSecret`), validated
 * but never shown; a named key missing from it is not checked here.
 */
export function validateStackConfig(
  raw: Record<string, unknown>,
  secretValues: Readonly<Record<string, string>> = {},
): { ok: true; config: ParsedConfig } | { ok: false; problems: string[] } {
  const parsed = stackConfigSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: formatIssues(raw, parsed.error.issues) };
  const problems = ruleProblems(parsed.data, secretValues);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: parsed.data };
}

/**
 * Secret config keys the program reads besides the ones `secretEnv` names. Each is optional here;
 * the section that needs one (migrations, backups) reports it missing by name.
 */
export const SECRET_CONFIG_KEYS = ["databaseUrl", "restoreCheckDatabaseUrl"] as const;
export type SecretConfigKey = (typeof SECRET_CONFIG_KEYS)[number];

/** The smoke settings with the default check (`healthPath` answers 200) filled in. */
export function smokeWithDefaults(parsed: Pick<ParsedConfig, "smoke" | "healthPath">): SmokeConfig {
  return { ...parsed.smoke, checks: parsed.smoke.checks.length > 0 ? parsed.smoke.checks : [{ path: parsed.healthPath, status: 200 }] };
}

/** The app's services with every default filled in, each with its smoke checks (default: its `healthPath` answers 200). */
export function servicesOf(parsed: ParsedConfig): ServiceConfig[] {
  return appServices(parsed).map((service) => ({
    ...service,
    smokeChecks: service.smokeChecks.length > 0 ? service.smokeChecks : [{ path: service.healthPath, status: 200 }],
  }));
}

export { colorImages, hasServices, releaseIdentity };
export type { ServiceConfig };
