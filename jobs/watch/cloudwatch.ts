/**
 * The watch's only contact with AWS: DescribeAlarms for the watched names (metric and composite
 * alarms), turned into AlarmReadings. The SDK retries throttling and network errors itself; each
 * page, retries included, has a deadline, so a CloudWatch endpoint that accepts the connection and
 * never answers fails the poll (the watch decides what a failed poll means) instead of hanging it.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { AlarmReading, AlarmStateValue } from "./verdict";

/** Deadline of one DescribeAlarms page, retries included: well inside the default 60 s poll. */
export const PAGE_TIMEOUT_MS = 30_000;

export function cloudWatchAlarmReader(client: CloudWatchClient, alarmNames: readonly string[], pageTimeoutMs = PAGE_TIMEOUT_MS): () => Promise<AlarmReading[]> {
  return async () => {
    const readings: AlarmReading[] = [];
    let nextToken: string | undefined;
    do {
      const command = new DescribeAlarmsCommand({
        AlarmNames: [...alarmNames],
        AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
        NextToken: nextToken,
      });
      const deadline = AbortSignal.timeout(pageTimeoutMs);
      let page;
      try {
        page = await client.send(command, { abortSignal: deadline });
      } catch (error) {
        if (deadline.aborted) throw new Error(`CloudWatch DescribeAlarms did not answer within ${pageTimeoutMs / 1000} s`);
        throw error;
      }
      for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        readings.push({
          name: alarm.AlarmName ?? "",
          state: (alarm.StateValue ?? "INSUFFICIENT_DATA") as AlarmStateValue,
          reason: alarm.StateReason,
          // When the state last changed. StateUpdatedTimestamp moves on every evaluation of a composite
          // alarm, which would make an alarm firing since before the switch look new.
          since: alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp ?? new Date(0),
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return readings;
  };
}
