/**
 * The `alarms` config section: where alarm notifications go, which AWS resources the alarms watch
 * (their CloudWatch dimensions) and the thresholds. Defaults are the runbook's numbers.
 *
 * An alarm whose dimension is not set is not created; components/alarms.ts reports it as skipped.
 */
import { z } from "zod";

const expect = (message: string) => ({ error: () => message });

const number = (message: string) => z.number(expect(message)).refine((v) => Number.isFinite(v), expect(message));

/** A share of something, in percent: 0 < value ≤ 100. */
const percent = (example: number) => {
  const message = `must be a percentage above 0 and at most 100; set it with \`pulumi config set --path {key} ${example}\``;
  return number(message).refine((v) => v > 0 && v <= 100, expect(message));
};

/** A positive amount (seconds, GiB, connections). */
const positive = (example: number, unit: string) => {
  const message = `must be a number of ${unit} above 0; set it with \`pulumi config set --path {key} ${example}\``;
  return number(message).refine((v) => v > 0, expect(message));
};

const dimension = (example: string) =>
  z
    .string(expect(`must be the resource's CloudWatch dimension value, such as \`${example}\``))
    .min(1, expect(`must be the resource's CloudWatch dimension value, such as \`${example}\``));

/** Hourly periods make up the backup-age window, and CloudWatch evaluates at most 7 days. */
export const MAX_BACKUP_AGE_HOURS = 168;

const CONFIG_KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;

const subscriptionSchema = z.strictObject(
  {
    protocol: z.string(expect("must be `email` or `https`")),
    /** The address or URL, in plain text. */
    endpoint: z.string(expect("must be an email address or an https URL")).optional(),
    /**
     * Instead of `endpoint`: the name of a secret config key holding it (like `secretEnv`), for an
     * endpoint that is a credential, such as a PagerDuty integration URL. It stays a secret in state.
     */
    endpointSecret: z
      .string(expect("must name a secret config key, such as `pagerdutyEndpoint`"))
      .regex(CONFIG_KEY, expect("must name a secret config key, such as `pagerdutyEndpoint`"))
      .optional(),
  },
  expect("must be an object with `protocol` (`email` or `https`) and `endpoint` or `endpointSecret`"),
);

export const alarmsSchema = z
  .strictObject(
    {
      topic: z
        .strictObject(
          {
            /**
             * KMS key for the SNS topic (ID, ARN or `alias/...`). When unset, the program creates a
             * customer managed key that CloudWatch may use: CloudWatch cannot publish to a topic
             * encrypted with the AWS managed key `alias/aws/sns`.
             */
            kmsKeyId: z.string(expect("must be a KMS key ID, ARN or alias such as `alias/alarms`")).min(1).optional(),
            subscriptions: z.array(subscriptionSchema, expect("must be a list of `{protocol, endpoint}` or `{protocol, endpointSecret}` entries")).default([]),
          },
          expect("must be an object with `subscriptions` and optionally `kmsKeyId`"),
        )
        .prefault({}),
      dimensions: z
        .strictObject(
          {
            /** ALB dimension `LoadBalancer`, such as `app/web-production/50dc6c495c0c9188`. */
            loadBalancer: dimension("app/web-production/50dc6c495c0c9188").optional(),
            /** ALB dimension `TargetGroup` of the live Service, such as `targetgroup/web-production/73e2d6bc24d8a067`. */
            targetGroup: dimension("targetgroup/web-production/73e2d6bc24d8a067").optional(),
            /** RDS `DBInstanceIdentifier` of the primary. */
            dbInstance: dimension("web-production").optional(),
            /** RDS `DBInstanceIdentifier` of the read replica (ReplicaLag is reported there). */
            dbReplica: dimension("web-production-replica").optional(),
          },
          expect("must be an object with any of `loadBalancer`, `targetGroup`, `dbInstance`, `dbReplica`"),
        )
        .prefault({}),
      database: z
        .strictObject(
          {
            /** Allocated storage of the primary in GiB (the storage alarm's 100 %). */
            allocatedStorageGiB: positive(100, "GiB").optional(),
            /** Memory of the primary's instance class in GiB (the memory alarm's 100 %). */
            memoryGiB: positive(16, "GiB").optional(),
            /** The primary's `max_connections` (the connections alarm's 100 %). */
            maxConnections: positive(500, "connections").optional(),
          },
          expect("must be an object with any of `allocatedStorageGiB`, `memoryGiB`, `maxConnections`"),
        )
        .prefault({}),
      thresholds: z
        .strictObject(
          {
            http5xxPercent: percent(1).default(1),
            p99LatencySeconds: positive(2, "seconds").default(2),
            replicaLagSeconds: positive(5, "seconds").default(5),
            diskUsedPercent: percent(85).default(85),
            cpuPercent: percent(70).default(70),
            memoryUsedPercent: percent(75).default(75),
            connectionsPercent: percent(80).default(80),
            backupMaxAgeHours: z
              .number(expect(`must be a whole number of hours from 1 to ${MAX_BACKUP_AGE_HOURS}; set it with \`pulumi config set --path {key} 26\``))
              .int(expect(`must be a whole number of hours from 1 to ${MAX_BACKUP_AGE_HOURS}; set it with \`pulumi config set --path {key} 26\``))
              .min(1, expect(`must be a whole number of hours from 1 to ${MAX_BACKUP_AGE_HOURS}; set it with \`pulumi config set --path {key} 26\``))
              .max(MAX_BACKUP_AGE_HOURS, expect(`must be a whole number of hours from 1 to ${MAX_BACKUP_AGE_HOURS}; set it with \`pulumi config set --path {key} 26\``))
              .default(26),
          },
          expect("must be an object of thresholds (see README, Alarms)"),
        )
        .prefault({}),
      backupMetric: z
        .strictObject(
          {
            /** CloudWatch namespace the backup job publishes to. */
            namespace: z.string(expect("must be a CloudWatch namespace such as `Bluegreen/Backups`")).min(1).default("Bluegreen/Backups"),
            /** Metric the backup job publishes once per successful backup (any value). */
            name: z.string(expect("must be a CloudWatch metric name such as `LastSuccessTimestamp`")).min(1).default("LastSuccessTimestamp"),
            /** Its dimensions. @default `{App: <app>, Stack: <stack>}` */
            dimensions: z
              .record(z.string(), z.string(expect("must be a dimension value (text)")), expect("must be a map of dimension names to values"))
              .optional(),
          },
          expect("must be an object with `namespace`, `name` and optionally `dimensions`"),
        )
        .prefault({}),
    },
    expect("must be an object with `topic`, `dimensions`, `database`, `thresholds`, `backupMetric`"),
  );

export type AlarmsConfig = z.infer<typeof alarmsSchema>;

/** A plausible email address: one `@`, no spaces, a dot in the domain. */
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

function httpsProblem(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return "not a URL";
  }
  return url.protocol === "https:" ? undefined : `uses \`${url.protocol.replace(/:$/, "")}\`, not https`;
}

/** The problem with an endpoint for a protocol, without the value: `undefined` when it is fine. */
function endpointProblem(protocol: "email" | "https", endpoint: string): string | undefined {
  if (protocol === "email") {
    return EMAIL.test(endpoint) ? undefined : "not an email address; use one such as `oncall@acme.example`";
  }
  const reason = httpsProblem(endpoint);
  return reason ? `${reason}; use an https URL such as \`https://events.pagerduty.com/integration/<key>/enqueue\`` : undefined;
}

/** The config keys the subscriptions' `endpointSecret` name, in order, each once. */
export function endpointSecretKeys(alarms: unknown): string[] {
  const subscriptions = (alarms as { topic?: { subscriptions?: unknown } } | undefined)?.topic?.subscriptions;
  if (!Array.isArray(subscriptions)) return [];
  const keys = subscriptions.map((s) => (s as { endpointSecret?: unknown } | null)?.endpointSecret).filter((k): k is string => typeof k === "string" && CONFIG_KEY.test(k));
  return [...new Set(keys)];
}

/**
 * Cross-field rules of the section; one problem line each. `secretValues` holds the plaintext of the
 * secret config keys that `endpointSecret` names, when known: it is validated but never shown.
 */
export function alarmsProblems(alarms: AlarmsConfig, secretValues: Readonly<Record<string, string>> = {}): string[] {
  const problems: string[] = [];
  alarms.topic.subscriptions.forEach(({ protocol, endpoint, endpointSecret }, i) => {
    const at = `alarms.topic.subscriptions[${i}]`;
    if (protocol !== "email" && protocol !== "https") {
      problems.push(`\`${at}.protocol\` is \`${protocol}\`: unknown protocol; use \`email\` or \`https\``);
      return;
    }
    if (endpoint !== undefined && endpointSecret !== undefined) {
      problems.push(
        `\`${at}\` sets both \`endpoint\` and \`endpointSecret\`: an endpoint comes from one place; remove one with \`pulumi config rm --path '${at}.endpoint'\` or \`pulumi config rm --path '${at}.endpointSecret'\``,
      );
      return;
    }
    if (endpoint === undefined && endpointSecret === undefined) {
      problems.push(
        `\`${at}.endpoint\` is not set: set it with \`pulumi config set --path '${at}.endpoint' <address or URL>\`, or keep it secret: \`pulumi config set --secret <key> <URL>\` and \`pulumi config set --path '${at}.endpointSecret' <key>\``,
      );
      return;
    }
    if (endpoint !== undefined) {
      const problem = endpointProblem(protocol, endpoint);
      if (problem) problems.push(`\`${at}.endpoint\` is \`${endpoint}\`: ${problem}`);
      return;
    }
    const value = secretValues[endpointSecret!];
    if (value === undefined) return; // loadConfig reports a key that is not set
    const problem = endpointProblem(protocol, value);
    if (problem) {
      problems.push(
        `\`${at}.endpointSecret\` names config key \`${endpointSecret}\`, which is (secret): ${problem}; re-set it with \`pulumi config set --secret ${endpointSecret} <value>\``,
      );
    }
  });
  const key = alarms.topic.kmsKeyId;
  if (key === "alias/aws/sns" || key?.endsWith(":alias/aws/sns")) {
    problems.push(
      `\`alarms.topic.kmsKeyId\` is \`${key}\`: CloudWatch cannot publish to a topic encrypted with the AWS managed key, so no alarm would reach anyone; remove it (the program then creates a key CloudWatch may use) with \`pulumi config rm --path alarms.topic.kmsKeyId\``,
    );
  }
  if (alarms.dimensions.targetGroup && !alarms.dimensions.loadBalancer) {
    problems.push(
      `\`alarms.dimensions.targetGroup\` is \`${alarms.dimensions.targetGroup}\` but \`alarms.dimensions.loadBalancer\` is not set: target group metrics are keyed by both; set it with \`pulumi config set --path alarms.dimensions.loadBalancer app/<name>/<id>\``,
    );
  }
  return problems;
}
