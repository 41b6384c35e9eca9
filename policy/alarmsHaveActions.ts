/** Every CloudWatch alarm (metric and composite) notifies someone: it has alarm actions, enabled. */
import { ResourceValidationPolicy } from "@pulumi/policy";

export const METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
export const COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm";

export const alarmsHaveActions: ResourceValidationPolicy = {
  name: "alarms-have-actions",
  description: "Every CloudWatch alarm has alarm actions, and they are enabled.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== METRIC_ALARM && args.type !== COMPOSITE_ALARM) return;
    const kind = args.type === METRIC_ALARM ? "CloudWatch alarm" : "CloudWatch composite alarm";
    const name = typeof args.props.alarmName === "string" ? args.props.alarmName : args.name;
    const actions = args.props.alarmActions;
    if (!Array.isArray(actions) || actions.length === 0) {
      reportViolation(`${kind} \`${name}\` has no alarm actions, so nobody hears when it fires: set \`alarmActions\` to the alerts SNS topic's ARN`);
    }
    if (args.props.actionsEnabled === false) {
      reportViolation(`${kind} \`${name}\` sets \`actionsEnabled: false\`, so its actions never run: remove \`actionsEnabled\` or set it to true`);
    }
  },
};
