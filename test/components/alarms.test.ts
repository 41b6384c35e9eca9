/**
 * The alarms under mocks: every alarm's exact metric or expression, threshold, period, datapoints,
 * missing-data treatment and actions; skipped alarms; the topic and its key; the dashboard; a stack
 * without an `alarms` section (no AWS alarm resource at all; not allowed in production); and the
 * `alarms` config rules.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { validateStackConfig } from "../../config";
import { ProgramRun, loadStackConfig, runProgram, SECRET_SIG, TEST_SECRETS } from "../helpers/program";

/** Production's secrets less the PagerDuty endpoint, for configs whose subscriptions no longer name it. */
const { pagerdutyEndpoint: _unused, ...withoutPagerduty } = TEST_SECRETS.production;

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const GiB = 1024 ** 3;
const TOPIC = "web-alarms-topic-id"; // the mock id of the topic, which for SNS is its ARN
const actions = { alarmActions: [TOPIC], okActions: [TOPIC] };
const lb = { LoadBalancer: "app/web-production/50dc6c495c0c9188" };
const primary = { DBInstanceIdentifier: "web-production" };
const replica = { DBInstanceIdentifier: "web-production-replica" };

/** The alarm's inputs without its description (asserted separately, it is prose). */
function alarm(run: ProgramRun, key: string) {
  const { alarmDescription, ...rest } = run.get(ALARM, `web-alarms-${key}`).inputs;
  expect(alarmDescription).toEqual(expect.any(String));
  return rest;
}

describe("production alarms", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("production");
    expect(run.error).toBeUndefined();
  });

  it("5xx rate: metric math over the ALB counts, sparse errors filled with 0, missing data not breaching", () => {
    const metric = (metricName: string) => ({ namespace: "AWS/ApplicationELB", metricName, dimensions: lb, stat: "Sum", period: 60 });
    expect(alarm(run, "http-5xx-rate")).toEqual({
      name: "web-production-http-5xx-rate",
      metricQueries: [
        { id: "e1", returnData: false, metric: metric("HTTPCode_ELB_5XX_Count") },
        { id: "e2", returnData: false, metric: metric("HTTPCode_Target_5XX_Count") },
        { id: "e3", returnData: false, metric: metric("RequestCount") },
        { id: "rate", expression: "100 * (FILL(e1, 0) + FILL(e2, 0)) / e3", label: "5xx rate (%)", returnData: true },
      ],
      comparisonOperator: "GreaterThanThreshold",
      threshold: 1,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
      ...actions,
    });
  });

  it("p99 latency: extended statistic p99 of TargetResponseTime per target group", () => {
    expect(alarm(run, "p99-latency")).toEqual({
      name: "web-production-p99-latency",
      namespace: "AWS/ApplicationELB",
      metricName: "TargetResponseTime",
      dimensions: { ...lb, TargetGroup: "targetgroup/web-production/73e2d6bc24d8a067" },
      extendedStatistic: "p99",
      evaluateLowSampleCountPercentiles: "ignore",
      period: 60,
      comparisonOperator: "GreaterThanThreshold",
      threshold: 2,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
      ...actions,
    });
  });

  it("replica lag over 5 s, and a separate alarm for lag -1 (replication stopped) that treats silence as stopped", () => {
    const rds = { namespace: "AWS/RDS", metricName: "ReplicaLag", dimensions: replica, period: 60 };
    expect(alarm(run, "replica-lag")).toEqual({
      name: "web-production-replica-lag",
      ...rds,
      statistic: "Maximum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 5,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: "missing",
      ...actions,
    });
    expect(alarm(run, "replica-stopped")).toEqual({
      name: "web-production-replica-stopped",
      ...rds,
      statistic: "Minimum",
      comparisonOperator: "LessThanOrEqualToThreshold",
      threshold: -1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: "breaching",
      ...actions,
    });
  });

  it("database storage, CPU, connections and memory against the configured capacity", () => {
    const rds = (metricName: string, statistic: string, period: number) => ({
      namespace: "AWS/RDS",
      metricName,
      dimensions: primary,
      statistic,
      period,
    });
    expect(alarm(run, "db-storage")).toEqual({
      name: "web-production-db-storage",
      ...rds("FreeStorageSpace", "Minimum", 300),
      comparisonOperator: "LessThanThreshold",
      threshold: 0.15 * 200 * GiB, // 85 % used of 200 GiB
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: "missing",
      ...actions,
    });
    expect(alarm(run, "db-storage").threshold).toBe(32212254720);
    expect(alarm(run, "db-cpu")).toEqual({
      name: "web-production-db-cpu",
      ...rds("CPUUtilization", "Average", 60),
      comparisonOperator: "GreaterThanThreshold",
      threshold: 70,
      evaluationPeriods: 10,
      datapointsToAlarm: 8,
      treatMissingData: "missing",
      ...actions,
    });
    expect(alarm(run, "db-connections")).toEqual({
      name: "web-production-db-connections",
      ...rds("DatabaseConnections", "Maximum", 60),
      comparisonOperator: "GreaterThanThreshold",
      threshold: 400, // 80 % of 500
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: "missing",
      ...actions,
    });
    expect(alarm(run, "db-memory")).toEqual({
      name: "web-production-db-memory",
      ...rds("FreeableMemory", "Average", 60),
      comparisonOperator: "LessThanThreshold",
      threshold: 4 * GiB, // 75 % used of 16 GiB
      evaluationPeriods: 10,
      datapointsToAlarm: 8,
      treatMissingData: "missing",
      ...actions,
    });
  });

  it("backup age: no success datapoint in any of the last 26 hours alarms, and no metric at all is breaching", () => {
    expect(alarm(run, "backup-age")).toEqual({
      name: "web-production-backup-age",
      namespace: "Bluegreen/Backups",
      metricName: "LastSuccessTimestamp",
      dimensions: { App: "web", Stack: "production" },
      statistic: "SampleCount",
      period: 3600,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 26,
      datapointsToAlarm: 26,
      treatMissingData: "breaching",
      ...actions,
    });
  });

  it("creates exactly these alarms and skips none when every dimension is configured", () => {
    expect(run.ofType(ALARM).map((r) => r.inputs.name).sort()).toEqual(
      [
        "backup-age",
        "db-connections",
        "db-cpu",
        "db-memory",
        "db-storage",
        "http-5xx-rate",
        "p99-latency",
        "replica-lag",
        "replica-stopped",
      ].map((k) => `web-production-${k}`),
    );
    expect(run.outputs.skippedAlarms).toEqual({});
  });

  it("descriptions say what the alarm means and what to do", () => {
    expect(run.get(ALARM, "web-alarms-http-5xx-rate").inputs.alarmDescription).toBe(
      "More than 1% of requests failed with a 5xx (load balancer or app) in 3 of the last 5 minutes. Right after a promotion: roll back. Otherwise: check the app's logs and its dependencies (database, upstreams).",
    );
    expect(run.get(ALARM, "web-alarms-backup-age").inputs.alarmDescription).toContain("No backup has succeeded in the last 26 hours");
  });

  it("the release-health composite is over the service alarms, after them, and notifies the topic", () => {
    const composite = run.get("aws:cloudwatch/compositeAlarm:CompositeAlarm", "web-alarms-release-health");
    expect(composite.inputs).toEqual({
      alarmName: "web-production-release-health",
      alarmDescription:
        "A release alarm of this stack is in ALARM: the live color is unhealthy. The post-promotion watch reads it; after a promotion, roll back.",
      alarmRule: 'ALARM("web-production-http-5xx-rate") OR ALARM("web-production-p99-latency")',
      ...actions,
    });
    expect(composite.dependencies).toEqual([
      run.get(ALARM, "web-alarms-http-5xx-rate").urn,
      run.get(ALARM, "web-alarms-p99-latency").urn,
      run.get("aws:sns/topic:Topic", "web-alarms-topic").urn,
    ]);
  });

  it("the topic is encrypted with its own key that CloudWatch may use, and subscribes email and https", () => {
    const key = run.get("aws:kms/key:Key", "web-alarms-topic-key");
    expect(key.inputs.enableKeyRotation).toBe(true);
    const policy = JSON.parse(key.inputs.policy);
    expect(policy.Statement).toContainEqual({
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
    });
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["AccountAdministers", "CloudWatchAlarmsPublish"]);
    expect(run.get("aws:sns/topic:Topic", "web-alarms-topic").inputs).toEqual({
      name: "web-production-alarms",
      kmsMasterKeyId: "web-alarms-topic-key-id",
    });
    const subscriptions = run.ofType("aws:sns/topicSubscription:TopicSubscription").map((s) => [s.name, s.inputs]);
    // The PagerDuty URL comes from the secret key `pagerdutyEndpoint` (`endpointSecret`), which names its resource.
    expect(subscriptions).toEqual([
      ["web-alarms-topic-email-2794c316", { topic: TOPIC, protocol: "email", endpoint: "oncall@acme.example" }],
      ["web-alarms-topic-https-secret-pagerdutyEndpoint", { topic: TOPIC, protocol: "https", endpoint: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: TEST_SECRETS.production.pagerdutyEndpoint } }],
    ]);
  });

  it("the dashboard is valid JSON that graphs every alarm's metrics with its threshold", () => {
    const body = JSON.parse(run.get("aws:cloudwatch/dashboard:Dashboard", "web-alarms-dashboard").inputs.dashboardBody);
    const graphs = body.widgets.filter((w: { type: string }) => w.type === "metric");
    expect(graphs.map((g: any) => g.properties.title).sort()).toEqual(
      run.ofType(ALARM).map((r) => r.inputs.name).sort(),
    );
    for (const a of run.ofType(ALARM).map((r) => r.inputs)) {
      const graph = graphs.find((g: any) => g.properties.title === a.name);
      const names = graph.properties.metrics.flatMap((line: unknown[]) => line.filter((x) => typeof x === "string"));
      const expected = a.metricQueries
        ? a.metricQueries.filter((q: any) => q.metric).map((q: any) => q.metric.metricName)
        : [a.metricName];
      for (const metricName of expected) expect(names).toContain(metricName);
      expect(graph.properties.annotations.horizontal[0].value).toBe(a.threshold);
    }
    const rate = graphs.find((g: any) => g.properties.title === "web-production-http-5xx-rate");
    expect(rate.properties.metrics.at(-1)).toEqual([
      { expression: "100 * (FILL(e1, 0) + FILL(e2, 0)) / e3", label: "5xx rate (%)", id: "rate" },
    ]);
  });
});

describe("alarms with missing dimensions", () => {
  it("staging has no read replica: the replica alarms are not created and the output says why", async () => {
    const run = await runProgram("staging");
    expect(run.error).toBeUndefined();
    expect(run.outputs.skippedAlarms).toEqual({
      "replica-lag": "`alarms.dimensions.dbReplica` is not set",
      "replica-stopped": "`alarms.dimensions.dbReplica` is not set",
    });
    expect(run.ofType(ALARM).map((r) => r.inputs.name)).not.toContain("web-staging-replica-lag");
    expect(run.get(ALARM, "web-alarms-http-5xx-rate").inputs.threshold).toBe(5);
  });

  it("without dimensions only the backup-age alarm exists; no composite, nothing to watch", async () => {
    const run = await runProgram("production", {
      edit: (c) => {
        c.alarms = { topic: { kmsKeyId: "alias/web-alarms" } };
        c.watch = { minutes: 0 };
      },
      secrets: withoutPagerduty,
    });
    expect(run.error).toBeUndefined();
    expect(run.ofType(ALARM).map((r) => r.inputs.name)).toEqual(["web-production-backup-age"]);
    expect(run.ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm")).toEqual([]);
    expect(run.outputs.promotionWatch).toEqual({
      minutes: 0,
      alarmNames: [],
      pollSeconds: 60,
      settleMinutes: 10,
      ignorePollFailures: false,
      region: "eu-west-1",
    });
    expect(run.outputs.skippedAlarms).toEqual({
      "http-5xx-rate": "`alarms.dimensions.loadBalancer` is not set",
      "p99-latency": "`alarms.dimensions.loadBalancer` is not set",
      "replica-lag": "`alarms.dimensions.dbReplica` is not set",
      "replica-stopped": "`alarms.dimensions.dbReplica` is not set",
      "db-storage": "`alarms.dimensions.dbInstance` is not set",
      "db-cpu": "`alarms.dimensions.dbInstance` is not set",
      "db-connections": "`alarms.dimensions.dbInstance` is not set",
      "db-memory": "`alarms.dimensions.dbInstance` is not set",
    });
    // A given key is used as is: no key of our own.
    expect(run.ofType("aws:kms/key:Key").filter((k) => k.name.startsWith("web-alarms"))).toEqual([]);
    expect(run.get("aws:sns/topic:Topic", "web-alarms-topic").inputs.kmsMasterKeyId).toBe("alias/web-alarms");
  });

  it("a capacity that is not configured skips only the alarm that needs it", async () => {
    const run = await runProgram("production", {
      edit: (c) => {
        delete c.alarms.database.maxConnections;
        delete c.alarms.dimensions.targetGroup;
      },
    });
    expect(run.outputs.skippedAlarms).toEqual({
      "p99-latency": "`alarms.dimensions.targetGroup` is not set",
      "db-connections": "`alarms.database.maxConnections` is not set",
    });
    expect(run.get("aws:cloudwatch/compositeAlarm:CompositeAlarm", "web-alarms-release-health").inputs.alarmRule).toBe(
      'ALARM("web-production-http-5xx-rate")',
    );
  });
});

describe("a stack without an alarms section", () => {
  it("registers no Alarms component and no SNS, KMS or CloudWatch resource; the outputs say so", async () => {
    const run = await runProgram("staging", { edit: (c) => delete c.alarms });
    expect(run.error).toBeUndefined();
    expect(run.resources.filter((r) => r.type === "bluegreen:aws:Alarms" || r.type === "bluegreen:aws:AlarmTopic")).toEqual([]);
    expect(run.resources.filter((r) => /^aws:(sns|cloudwatch)\//.test(r.type)).map((r) => `${r.type}::${r.name}`)).toEqual([]);
    expect(run.resources.filter((r) => r.type.startsWith("aws:kms/") && r.name.startsWith("web-alarms")).map((r) => r.name)).toEqual([]);
    expect(run.outputs).toMatchObject({
      alarmTopicArn: "none",
      alarmNames: {},
      skippedAlarms: {},
      dashboardName: "none",
      promotionWatch: { minutes: 0, alarmNames: [], pollSeconds: 60, settleMinutes: 10, ignorePollFailures: false, region: "eu-west-1" },
    });
    expect(run.outputs.alarmNames).toEqual({});
    expect(run.outputs.skippedAlarms).toEqual({});
  });

  it("is refused in production, before any resource is created", async () => {
    const run = await runProgram("production", {
      edit: (c) => {
        delete c.alarms;
        c.watch.minutes = 0;
      },
      secrets: withoutPagerduty,
    });
    expect(run.error?.name).toBe("ConfigError");
    expect((run.error as unknown as { problems: string[] }).problems).toEqual([
      "`alarms` is not set but `production` is true: a production stack must be monitored; add an `alarms` section (see README, Alarms)",
    ]);
    expect(run.resources).toEqual([]);
  });

  it("refuses a watch set without alarms to read", async () => {
    const run = await runProgram("staging", {
      edit: (c) => {
        delete c.alarms;
        c.watch.minutes = 20;
      },
    });
    expect((run.error as unknown as { problems: string[] }).problems).toEqual([
      "`watch.minutes` is 20 but `alarms` is not set, so there are no release alarms to watch: turn the watch off with `pulumi config set --path watch.minutes 0` or add an `alarms` section (see README, Alarms)",
    ]);
    expect(run.resources).toEqual([]);
  });
});

describe("alarm config rules", () => {
  const problems = (edit: (alarms: any) => void) => {
    const config = loadStackConfig("production");
    edit(config.alarms);
    const result = validateStackConfig(config);
    return result.ok ? [] : result.problems;
  };

  it("rejects a negative threshold, naming the key", () => {
    expect(problems((a) => (a.thresholds.p99LatencySeconds = -2))).toEqual([
      "`alarms.thresholds.p99LatencySeconds` is `-2`: must be a number of seconds above 0; set it with `pulumi config set --path alarms.thresholds.p99LatencySeconds 2`",
    ]);
  });

  it("rejects a percentage over 100", () => {
    expect(problems((a) => (a.thresholds.diskUsedPercent = 185))).toEqual([
      "`alarms.thresholds.diskUsedPercent` is `185`: must be a percentage above 0 and at most 100; set it with `pulumi config set --path alarms.thresholds.diskUsedPercent 85`",
    ]);
  });

  it("rejects an unknown topic protocol and a malformed email", () => {
    expect(
      problems((a) => {
        a.topic.subscriptions = [
          { protocol: "sms", endpoint: "+15550100" },
          { protocol: "email", endpoint: "oncall@acme" },
          { protocol: "https", endpoint: "http://hooks.acme.example/alarms" },
        ];
      }),
    ).toEqual([
      "`alarms.topic.subscriptions[0].protocol` is `sms`: unknown protocol; use `email` or `https`",
      "`alarms.topic.subscriptions[1].endpoint` is `oncall@acme`: not an email address; use one such as `oncall@acme.example`",
      "`alarms.topic.subscriptions[2].endpoint` is `http://hooks.acme.example/alarms`: uses `http`, not https; use an https URL such as `https://events.pagerduty.com/integration/<key>/enqueue`",
    ]);
  });

  it("rejects the AWS managed SNS key, which CloudWatch cannot publish through", () => {
    expect(problems((a) => (a.topic.kmsKeyId = "alias/aws/sns"))[0]).toMatch(
      /^`alarms.topic.kmsKeyId` is `alias\/aws\/sns`: CloudWatch cannot publish to a topic encrypted with the AWS managed key/,
    );
  });

  it("rejects a backup age CloudWatch cannot evaluate, and an unknown key with a hint", () => {
    expect(problems((a) => (a.thresholds.backupMaxAgeHours = 200))).toEqual([
      "`alarms.thresholds.backupMaxAgeHours` is `200`: must be a whole number of hours from 1 to 168; set it with `pulumi config set --path alarms.thresholds.backupMaxAgeHours 26`",
    ]);
    expect(problems((a) => (a.thresholds.cpuPercnt = 70))).toEqual([
      "`alarms.thresholds.cpuPercnt` is not a known key (did you mean `cpuPercent`?): remove it with `pulumi config rm --path alarms.thresholds.cpuPercnt`",
    ]);
  });

  it("stops the program before any resource is created", async () => {
    const run = await runProgram("production", { edit: (c) => (c.alarms.thresholds.http5xxPercent = 0) });
    expect(run.error?.message).toContain("`alarms.thresholds.http5xxPercent` is `0`: must be a percentage above 0 and at most 100");
    expect(run.resources).toEqual([]);
  });
});

describe("per-service alarms (staging: web and its BFF)", () => {
  const stagingLb = { LoadBalancer: "app/web-staging/1c4e8f0a9b2d3e57" };
  const bffGroup = "targetgroup/web-bff-staging/5e6f7a8b9c0d1e2f";

  it("a service with its own target group gets a 5xx-rate and a p99 alarm of its own, both in the release health", async () => {
    const run = await runProgram("staging", { edit: (c) => (c.services.bff.alarms = { targetGroup: bffGroup }) });
    expect(run.error).toBeUndefined();
    const tg = { ...stagingLb, TargetGroup: bffGroup };
    const metric = (metricName: string) => ({ namespace: "AWS/ApplicationELB", metricName, dimensions: tg, stat: "Sum", period: 60 });
    const { alarmDescription: rateText, ...rate } = run.get(ALARM, "web-alarms-bff-http-5xx-rate").inputs;
    expect(rateText).toMatch(/^More than 5% of bff's requests failed with a 5xx from its Pods/);
    expect(rate).toEqual({
      name: "web-staging-bff-http-5xx-rate",
      metricQueries: [
        { id: "e1", returnData: false, metric: metric("HTTPCode_Target_5XX_Count") },
        { id: "e2", returnData: false, metric: metric("RequestCount") },
        { id: "rate", expression: "100 * FILL(e1, 0) / e2", label: "bff 5xx rate (%)", returnData: true },
      ],
      comparisonOperator: "GreaterThanThreshold",
      threshold: 5,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
      alarmActions: ["web-alarms-topic-id"],
      okActions: ["web-alarms-topic-id"],
    });
    const { alarmDescription: _latencyText, ...latency } = run.get(ALARM, "web-alarms-bff-p99-latency").inputs;
    expect(latency).toMatchObject({ name: "web-staging-bff-p99-latency", metricName: "TargetResponseTime", dimensions: tg, extendedStatistic: "p99", threshold: 3 });
    expect(run.get("aws:cloudwatch/compositeAlarm:CompositeAlarm", "web-alarms-release-health").inputs.alarmRule).toBe(
      'ALARM("web-staging-http-5xx-rate") OR ALARM("web-staging-p99-latency") OR ALARM("web-staging-bff-http-5xx-rate") OR ALARM("web-staging-bff-p99-latency")',
    );
    // One topic for the stack, whatever the number of services.
    expect(run.ofType("aws:sns/topic:Topic").map((t) => t.name)).toEqual(["web-alarms-topic"]);
  });

  it("without the load balancer dimension the service's alarms are skipped, saying why", async () => {
    const run = await runProgram("staging", {
      edit: (c) => {
        c.services.bff.alarms = { targetGroup: bffGroup };
        delete c.alarms.dimensions.loadBalancer;
        delete c.alarms.dimensions.targetGroup;
      },
    });
    expect(run.error).toBeUndefined();
    const skipped = run.outputs.skippedAlarms as Record<string, string>;
    expect(skipped["bff-p99-latency"]).toBe("`alarms.dimensions.loadBalancer` is not set (`services.bff.alarms.targetGroup` is keyed by both)");
    expect(skipped["bff-http-5xx-rate"]).toBe(skipped["bff-p99-latency"]);
  });

  it("a service's target group without an `alarms` section is refused by name", async () => {
    const run = await runProgram("staging", {
      edit: (c) => {
        c.services.bff.alarms = { targetGroup: bffGroup };
        delete c.alarms;
      },
    });
    expect(run.error?.message).toContain(
      "`services.bff.alarms.targetGroup` is set but the stack has no `alarms` section: add one (see README, Alarms) or remove the key with `pulumi config rm --path services.bff.alarms`",
    );
  });
});
