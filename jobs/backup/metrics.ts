/**
 * CloudWatch metrics of a successful backup, for the alarms: the alarm on backup age treats missing
 * data as breaching, so a backup job that stops running is noticed.
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { AwsHttpSettings, awsClientOptions } from "./awsHttp";
import type { Manifest } from "./manifest";

/** `LastSuccessTimestamp` is what the backup-age alarm (components/alarms.ts) watches. */
export const METRIC_NAMES = {
  lastSuccess: "LastSuccessTimestamp",
  bytes: "BackupBytes",
  duration: "BackupDurationSeconds",
} as const;

/** The data points for one backup, with the alarm's dimensions (`App`, `Stack`). */
export function backupMetricData(manifest: Manifest, dimensionValues: Readonly<Record<string, string>>): MetricDatum[] {
  const finished = new Date(manifest.finishedAt);
  const dimensions = Object.entries(dimensionValues).map(([Name, Value]) => ({ Name, Value }));
  return [
    { MetricName: METRIC_NAMES.lastSuccess, Dimensions: dimensions, Timestamp: finished, Unit: "Seconds", Value: Math.floor(finished.getTime() / 1000) },
    { MetricName: METRIC_NAMES.bytes, Dimensions: dimensions, Timestamp: finished, Unit: "Bytes", Value: manifest.bytes },
    { MetricName: METRIC_NAMES.duration, Dimensions: dimensions, Timestamp: finished, Unit: "Seconds", Value: manifest.durationSeconds },
  ];
}

/** Where to publish: the bucket's region and timeouts, and CloudWatch's endpoint if not AWS's. */
export interface MetricsTarget {
  readonly namespace: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly http: AwsHttpSettings;
  /** The abort signal for each request (see Interruption.requestSignal). */
  readonly signalFor?: () => AbortSignal;
}

export async function publishBackupMetrics(target: MetricsTarget, data: MetricDatum[]): Promise<void> {
  // Loaded only when metrics are on: most backup runs never publish, and loading costs start-up time.
  const { CloudWatchClient, PutMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
  const { namespace, region, endpoint } = target;
  const client = new CloudWatchClient({ region, endpoint, ...awsClientOptions(target.http, target.signalFor) });
  try {
    await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data }));
  } finally {
    client.destroy();
  }
}

/** `App=web,Stack=production` -> `{App: "web", Stack: "production"}`, or undefined when malformed. */
export function parseDimensions(text: string): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const match = /^([A-Za-z0-9_.-]{1,255})=(.{1,1024})$/.exec(pair.trim());
    if (!match) return undefined;
    result[match[1]] = match[2];
  }
  return result;
}
