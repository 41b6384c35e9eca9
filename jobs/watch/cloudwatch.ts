/**
 * The watch's only contact with AWS: DescribeAlarms for the watched names (metric and composite
 * alarms), turned into AlarmReadings. The SDK retries throttling and network errors itself.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { AlarmReading, AlarmStateValue } from "./verdict";

export function cloudWatchAlarmReader(client: CloudWatchClient, alarmNames: readonly string[]): () => Promise<AlarmReading[]> {
  return async () => {
    const readings: AlarmReading[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new DescribeAlarmsCommand({
          AlarmNames: [...alarmNames],
          AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
          NextToken: nextToken,
        }),
      );
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
