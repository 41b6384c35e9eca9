/**
 * Monitoring as stack state: the alarm topic, one CloudWatch alarm per entry of the alarm plan
 * (components/alarmSpecs.ts), the composite "release health" alarm over the service alarms that the
 * post-promotion watch reads, and a dashboard. Alarms notify the topic on ALARM and on OK.
 * Nothing here depends on the active color: a promotion changes no alarm.
 */
import type * as aws from "@pulumi/aws";
import { awsSdk } from "../lib/awsSdk";
import * as pulumi from "@pulumi/pulumi";
import { AlarmsConfig } from "../config/alarms";
import { AlarmTopic, AlarmSubscription } from "./alarmTopic";
import { dashboardBody } from "./alarmDashboard";
import { AlarmSpec, planAlarms, ServiceAlarmTarget } from "./alarmSpecs";

export interface AlarmsArgs {
  /** App name; alarm names are `<app>-<stack>-<role>`. */
  readonly app: string;
  /** Stack name. */
  readonly stack: string;
  /** The validated `alarms` config section. */
  readonly config: AlarmsConfig;
  /** Its subscriptions resolved by config.ts (secret endpoints as secret Outputs). */
  readonly subscriptions: readonly AlarmSubscription[];
  /** Region the dashboard's graphs read. @default the provider's region */
  readonly region?: string;
  /** Services with their own target group: each gets its own 5xx-rate and p99 release alarms. @default [] */
  readonly services?: readonly ServiceAlarmTarget[];
}

export class Alarms extends pulumi.ComponentResource {
  public readonly topic: AlarmTopic;
  /** Metric alarms by role (`http-5xx-rate`, `db-cpu`, ...). */
  public readonly metricAlarms: Readonly<Record<string, aws.cloudwatch.MetricAlarm>>;
  /** Over the release alarms; absent when none is configured. */
  public readonly releaseHealth?: aws.cloudwatch.CompositeAlarm;
  public readonly dashboard: aws.cloudwatch.Dashboard;
  /** Names of the alarms the post-promotion watch reads: the composite first, then its members. */
  public readonly releaseAlarmNames: readonly string[];
  /** Alarm role -> why it was not created (a dimension or capacity is not configured). */
  public readonly skipped: Readonly<Record<string, string>>;
  /** Every alarm created, by role, with its CloudWatch name. */
  public readonly alarmNames: Readonly<Record<string, string>>;

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    const plan = planAlarms(args.config, args.app, args.stack, args.services ?? []);
    super("bluegreen:aws:Alarms", name, {}, opts);
    const sdk = awsSdk();

    this.topic = new AlarmTopic(
      `${name}-topic`,
      {
        topicName: `${args.app}-${args.stack}-alarms`,
        subscriptions: args.subscriptions,
        kmsKeyId: args.config.topic.kmsKeyId,
      },
      { parent: this },
    );
    // An SNS topic's id is its ARN.
    const actions = [this.topic.topic.id];

    const metricAlarms: Record<string, aws.cloudwatch.MetricAlarm> = {};
    for (const spec of plan.alarms) {
      metricAlarms[spec.key] = new sdk.cloudwatch.MetricAlarm(
        `${name}-${spec.key}`,
        { ...metricAlarmArgs(spec), alarmActions: actions, okActions: actions },
        { parent: this },
      );
    }

    const release = plan.alarms.filter((a) => a.release);
    const releaseHealthName = `${args.app}-${args.stack}-release-health`;
    if (release.length > 0) {
      // Its members notify on their own; the composite is the one state the release gates read.
      this.releaseHealth = new sdk.cloudwatch.CompositeAlarm(
        `${name}-release-health`,
        {
          alarmName: releaseHealthName,
          alarmDescription:
            "A release alarm of this stack is in ALARM: the live color is unhealthy. The post-promotion watch reads it; after a promotion, roll back.",
          alarmRule: release.map((a) => `ALARM("${a.name}")`).join(" OR "),
          alarmActions: actions,
          okActions: actions,
        },
        { parent: this, dependsOn: release.map((a) => metricAlarms[a.key]) },
      );
    }

    this.dashboard = new sdk.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `${args.app}-${args.stack}`,
        dashboardBody: pulumi
          .output(args.region ?? sdk.getRegionOutput({}, { parent: this }).region)
          .apply((region) => dashboardBody(`${args.app} ${args.stack}`, plan.alarms, region)),
      },
      { parent: this },
    );

    this.metricAlarms = metricAlarms;
    this.releaseAlarmNames = release.length > 0 ? [releaseHealthName, ...release.map((a) => a.name)] : [];
    this.skipped = plan.skipped;
    this.alarmNames = Object.fromEntries([
      ...plan.alarms.map((a) => [a.key, a.name]),
      ...(release.length > 0 ? [["release-health", releaseHealthName]] : []),
    ]);
    this.registerOutputs({
      topicArn: this.topic.topic.id,
      alarmNames: this.alarmNames,
      skipped: this.skipped,
      dashboardName: this.dashboard.dashboardName,
    });
  }
}

/** The MetricAlarm inputs of one planned alarm (without actions). */
export function metricAlarmArgs(spec: AlarmSpec): aws.cloudwatch.MetricAlarmArgs {
  const common = {
    name: spec.name,
    alarmDescription: spec.description,
    comparisonOperator: spec.comparisonOperator,
    threshold: spec.threshold,
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    treatMissingData: spec.treatMissingData,
  };
  if (spec.expression) {
    return {
      ...common,
      metricQueries: [
        ...spec.metrics.map((m, i) => ({
          id: `e${i + 1}`,
          returnData: false,
          metric: {
            namespace: m.namespace,
            metricName: m.metricName,
            dimensions: { ...m.dimensions },
            stat: m.stat,
            period: spec.period,
          },
        })),
        { id: "rate", expression: spec.expression, label: spec.expressionLabel, returnData: true },
      ],
    };
  }
  const [m] = spec.metrics;
  const percentile = /^p\d+(\.\d+)?$/.test(m.stat);
  return {
    ...common,
    namespace: m.namespace,
    metricName: m.metricName,
    dimensions: { ...m.dimensions },
    period: spec.period,
    // A p99 over a handful of requests (a quiet night) is noise: such periods keep the alarm's state.
    ...(percentile ? { extendedStatistic: m.stat, evaluateLowSampleCountPercentiles: "ignore" } : { statistic: m.stat }),
  };
}
