/**
 * CloudWatch metrics of a successful backup, for the alarms: the alarm on backup age treats missing
 * data as breaching, so a backup job that stops running is noticed.
 */
import { CloudWatchClient, MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { Manifest } from "./manifest";

export const METRIC_NAMES = {
  lastSuccess: "BackupLastSuccessTimestamp",
  bytes: "BackupBytes",
  duration: "BackupDurationSeconds",
} as const;

/** The data points for one backup; dimension `Prefix` tells stacks sharing a bucket apart. */
export function backupMetricData(manifest: Manifest, prefix: string): MetricDatum[] {
  const finished = new Date(manifest.finishedAt);
  const dimensions = [{ Name: "Prefix", Value: prefix }];
  return [
    { MetricName: METRIC_NAMES.lastSuccess, Dimensions: dimensions, Timestamp: finished, Unit: "Seconds", Value: Math.floor(finished.getTime() / 1000) },
    { MetricName: METRIC_NAMES.bytes, Dimensions: dimensions, Timestamp: finished, Unit: "Bytes", Value: manifest.bytes },
    { MetricName: METRIC_NAMES.duration, Dimensions: dimensions, Timestamp: finished, Unit: "Seconds", Value: manifest.durationSeconds },
  ];
}

export async function publishBackupMetrics(
  namespace: string,
  region: string,
  endpoint: string | undefined,
  data: MetricDatum[],
): Promise<void> {
  const client = new CloudWatchClient({ region, endpoint });
  try {
    await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data }));
  } finally {
    client.destroy();
  }
}
