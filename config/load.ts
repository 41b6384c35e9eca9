/**
 * Reads the stack's config through the Pulumi SDK, validates it with the rules in `config.ts` and
 * returns the typed config, or throws ConfigError listing every problem. The only file that reads
 * `pulumi.Config`; secrets stay Pulumi secrets from here on.
 */
import * as os from "node:os";
import * as pulumi from "@pulumi/pulumi";
import {
  AlarmSubscriptionConfig,
  ConfigError,
  otherColor,
  SECRET_CONFIG_KEYS,
  servicesOf,
  SecretConfigKey,
  smokeWithDefaults,
  StackConfig,
  stackConfigSchema,
  SwitchRun,
  validateStackConfig,
} from "../config";
import { decodeConfigValue } from "../lib/configValue";
import { SWITCH_HOWS } from "../lib/notify/notice";
import { endpointSecretKeys } from "./alarms";
import { backupsSecretProblems } from "./backups";
import { defaultWatchMinutes } from "./gates";
import { loadMigrations } from "./migrations";

// Exported by the SDK at runtime but missing from its type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

/** Config keys a `secretEnv` names, top-level or a service's, read before validation (they are secrets, not config). */
function declaredSecretEnvKeys(all: Record<string, string>, prefix: string): string[] {
  const keys: string[] = [];
  const collect = (value: unknown) => {
    if (value && typeof value === "object") for (const key of Object.values(value)) if (typeof key === "string") keys.push(key);
  };
  collect(decodeConfigValue(all[`${prefix}secretEnv`] ?? "{}"));
  const services = decodeConfigValue(all[`${prefix}services`] ?? "{}");
  if (services && typeof services === "object") for (const service of Object.values(services)) collect((service as { secretEnv?: unknown })?.secretEnv);
  return keys;
}

/** Reads, validates and returns the stack config, or throws ConfigError listing every problem. */
export function loadConfig(): StackConfig {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  const prefix = `${project}:`;
  const all = pulumi.runtime.allConfig();

  const secretKeys = new Set<string>(SECRET_CONFIG_KEYS);
  for (const key of declaredSecretEnvKeys(all, prefix)) secretKeys.add(key);
  // Secret alarm endpoints: their plaintext is validated (never shown) and reaches SNS as a secret.
  const endpointKeys = endpointSecretKeys(decodeConfigValue(all[`${prefix}alarms`] ?? "{}"));
  const secretValues: Record<string, string> = {};
  // The notice webhook's URL, under the key `notify.webhookSecret` names: a credential, kept secret.
  const notifyWebhookKey = webhookSecretKey(decodeConfigValue(all[`${prefix}notify`] ?? "{}"));
  if (notifyWebhookKey !== undefined) secretKeys.add(notifyWebhookKey);
  for (const key of endpointKeys) {
    secretKeys.add(key);
    const value = all[`${prefix}${key}`];
    if (value !== undefined && isConfigSecret(`${prefix}${key}`)) secretValues[key] = value;
  }

  const raw: Record<string, unknown> = {};
  // A secret under any other key would reach Kubernetes objects and state as plain text, so it is
  // refused (without showing its value) rather than silently unwrapped.
  const secretStoredKeys: string[] = [];
  for (const [fullKey, value] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (secretKeys.has(key)) continue;
    if (isConfigSecret(fullKey)) secretStoredKeys.push(key);
    else raw[key] = decodeConfigValue(value);
  }

  const result = validateStackConfig(raw, secretValues);
  const problems = secretStoredKeys.map((key) =>
    key === "alarms"
      ? // `pulumi config set --secret --path alarms.…` marks the whole section secret; its values name alarms and dashboards in plain text.
        `\`alarms\` is stored as a secret (\`pulumi config set --secret --path\` on a key inside it makes the whole section secret), but its values reach alarm names, dimensions and the dashboard in plain text: put a secret endpoint under its own key with \`pulumi config set --secret <key> <URL> -s ${stack}\`, name it in \`alarms.topic.subscriptions[<i>].endpointSecret\`, and remove the secret value from \`alarms\` with \`pulumi config rm --path 'alarms.topic.subscriptions[<i>].endpoint' -s ${stack}\``
      : !(key in stackConfigSchema.shape)
        ? `\`${key}\` is stored as a secret but nothing names it: name it from \`secretEnv\` or an \`alarms.topic.subscriptions[<i>].endpointSecret\`, or remove it with \`pulumi config rm ${key} -s ${stack}\``
        : `\`${key}\` is stored as a secret, but only the keys \`secretEnv\` and \`alarms.topic.subscriptions[<i>].endpointSecret\` name (and ${SECRET_CONFIG_KEYS.map((k) => `\`${k}\``).join(", ")}) are delivered as secrets; its value would be written in plain text: put the secret value under its own key with \`pulumi config set --secret <key> <value> -s ${stack}\`, reference it from \`secretEnv\` or an \`endpointSecret\`, and store \`${key}\` in plain text`,
  );
  // Not the problems about a key that reads as missing only because it was stored as a secret.
  if (!result.ok) problems.push(...result.problems.filter((p) => !secretStoredKeys.some((key) => p.startsWith(`\`${key}`) || p.includes(`\`${key}\` is not set`))));
  const secretConfig: Record<string, pulumi.Output<string>> = {};
  if (result.ok) {
    const config = new pulumi.Config();
    const declared = [
      ...Object.entries(result.config.secretEnv).map(([name, key]) => ({ at: `secretEnv.${name}`, key })),
      ...Object.entries(result.config.services ?? {}).flatMap(([service, s]) =>
        Object.entries(s.secretEnv ?? {}).map(([name, key]) => ({ at: `services.${service}.secretEnv.${name}`, key })),
      ),
    ];
    for (const { at, key } of declared) {
      if (all[`${prefix}${key}`] === undefined) {
        problems.push(
          `\`${at}\` names config key \`${key}\`, which is not set: set it with \`pulumi config set --secret ${key} <value> -s ${stack}\``,
        );
      } else if (!isConfigSecret(`${prefix}${key}`)) {
        problems.push(
          `\`${at}\` names config key \`${key}\`, which is stored in plain text: re-set it with \`pulumi config set --secret ${key} <value> -s ${stack}\``,
        );
      } else {
        secretConfig[key] ??= config.requireSecret(key);
      }
    }
  }
  const alarmSubscriptions: AlarmSubscriptionConfig[] = [];
  if (result.ok) {
    const config = new pulumi.Config();
    result.config.alarms?.topic.subscriptions.forEach(({ protocol, endpoint, endpointSecret }, i) => {
      const kind = protocol as "email" | "https"; // validated
      if (endpointSecret === undefined) {
        alarmSubscriptions.push({ protocol: kind, endpoint: endpoint! });
        return;
      }
      const at = `alarms.topic.subscriptions[${i}].endpointSecret`;
      if (all[`${prefix}${endpointSecret}`] === undefined) {
        problems.push(
          `\`${at}\` names config key \`${endpointSecret}\`, which is not set: set it with \`pulumi config set --secret ${endpointSecret} <value> -s ${stack}\``,
        );
      } else if (!isConfigSecret(`${prefix}${endpointSecret}`)) {
        problems.push(
          `\`${at}\` names config key \`${endpointSecret}\`, which is stored in plain text: re-set it with \`pulumi config set --secret ${endpointSecret} <value> -s ${stack}\``,
        );
      } else {
        alarmSubscriptions.push({ protocol: kind, endpoint: config.requireSecret(endpointSecret), secretKey: endpointSecret });
      }
    });
  }
  let notifyWebhookUrl: pulumi.Output<string> | undefined;
  if (result.ok && notifyWebhookKey !== undefined) {
    if (all[`${prefix}${notifyWebhookKey}`] === undefined) {
      problems.push(`\`notify.webhookSecret\` names config key \`${notifyWebhookKey}\`, which is not set: set it with \`pulumi config set --secret ${notifyWebhookKey} <webhook URL> -s ${stack}\``);
    } else if (!isConfigSecret(`${prefix}${notifyWebhookKey}`)) {
      problems.push(`\`notify.webhookSecret\` names config key \`${notifyWebhookKey}\`, which is stored in plain text: re-set it with \`pulumi config set --secret ${notifyWebhookKey} <webhook URL> -s ${stack}\``);
    } else {
      notifyWebhookUrl = new pulumi.Config().requireSecret(notifyWebhookKey);
    }
  }
  const secrets: Partial<Record<SecretConfigKey, pulumi.Output<string>>> = {};
  for (const key of SECRET_CONFIG_KEYS) {
    if (all[`${prefix}${key}`] === undefined) continue;
    if (!isConfigSecret(`${prefix}${key}`)) {
      problems.push(
        `\`${key}\` is stored in plain text: re-set it with \`pulumi config set --secret ${key} <value> -s ${stack}\``,
      );
    } else {
      secrets[key] = new pulumi.Config().requireSecret(key);
    }
  }
  if (result.ok) {
    // With migrations configured, their section already reports a missing `databaseUrl`.
    const isSet = (key: string) => all[`${prefix}${key}`] !== undefined || (key === "databaseUrl" && result.config.migrations !== undefined);
    problems.push(...backupsSecretProblems(result.config.backups, isSet, stack));
    // The bucket is created by the default AWS provider; the jobs reach it in `backups.region`.
    const awsRegion = all["aws:region"];
    const backupsRegion = result.config.backups?.region;
    if (awsRegion !== undefined && backupsRegion !== undefined && awsRegion !== backupsRegion) {
      problems.push(
        `\`backups.region\` is \`${backupsRegion}\` but \`aws:region\` is \`${awsRegion}\`: the bucket would be created in ${awsRegion} while the jobs look for it in ${backupsRegion}; set both to the same region`,
      );
    }
  }
  // The migration files are read here, not in validateStackConfig, which stays pure.
  const migrations = result.ok ? loadMigrations(result.config.migrations, result.config.jobsImage) : { problems: [] };
  problems.push(...migrations.problems);
  if (result.ok && result.config.migrations && all[`${prefix}databaseUrl`] === undefined) {
    problems.push(
      `\`databaseUrl\` is not set but \`migrations\` is configured: migration Jobs read the database URL from it; set it with \`pulumi config set --secret databaseUrl <url> -s ${stack}\``,
    );
  }
  if (!result.ok || problems.length > 0) throw new ConfigError(problems);

  const parsed = result.config;
  return {
    project,
    stack,
    app: parsed.app,
    namespace: parsed.namespace,
    production: parsed.production,
    activeColor: parsed.activeColor,
    idleColor: otherColor(parsed.activeColor),
    colors: parsed.colors,
    services: servicesOf(parsed),
    secretConfig,
    port: parsed.port,
    servicePort: parsed.servicePort,
    healthPath: parsed.healthPath,
    readinessPath: parsed.readinessPath,
    rolloutTimeoutSeconds: parsed.rolloutTimeoutSeconds,
    resources: parsed.resources,
    env: parsed.env,
    secrets,
    migrations: migrations.config,
    jobsImage: parsed.jobsImage,
    backups: parsed.backups,
    smoke: smokeWithDefaults(parsed),
    watch: { ...parsed.watch, minutes: parsed.watch.minutes ?? defaultWatchMinutes(parsed.alarms?.dimensions.loadBalancer !== undefined) },
    alarms: parsed.alarms,
    alarmSubscriptions,
    awsRegion: all["aws:region"],
    networkPolicy: parsed.networkPolicy,
    maintenance: parsed.maintenance,
    notify: parsed.notify ? { ...parsed.notify, webhookUrl: notifyWebhookUrl, run: switchRun(process.env) } : undefined,
  };
}

/** The key `notify.webhookSecret` names, when the section names one. */
function webhookSecretKey(notify: unknown): string | undefined {
  const key = notify !== null && typeof notify === "object" ? (notify as { webhookSecret?: unknown }).webhookSecret : undefined;
  return typeof key === "string" && key !== "" ? key : undefined;
}

/**
 * Who applies this update and how: the release CLI sets `BLUEGREEN_SWITCH_HOW`/`_WHO`/`_COMMIT` for
 * the updates it runs; in CI, GitHub's actor and commit; otherwise a plain `pulumi up` by this login.
 */
export function switchRun(env: NodeJS.ProcessEnv): SwitchRun {
  const how = SWITCH_HOWS.find((h) => h === env.BLUEGREEN_SWITCH_HOW) ?? "pulumi up";
  let who = env.BLUEGREEN_SWITCH_WHO || env.GITHUB_ACTOR;
  if (!who) {
    try {
      who = os.userInfo().username;
    } catch {
      who = undefined;
    }
  }
  return { how, who, commit: env.BLUEGREEN_SWITCH_COMMIT || env.GITHUB_SHA || undefined };
}
