/**
 * What each CloudWatch alarm watches, decided from config alone (pure, no Pulumi resources), so the
 * alarms, the dashboard and the watch all read one list. An alarm whose dimension (or capacity) is
 * not configured is returned in `skipped` with the reason instead.
 *
 * Evaluation windows are deliberate and fixed here; thresholds come from config (runbook defaults).
 */
import { AlarmsConfig } from "../config/alarms";

export type ComparisonOperator =
  | "GreaterThanThreshold"
  | "GreaterThanOrEqualToThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";
export type TreatMissingData = "breaching" | "notBreaching" | "missing" | "ignore";

/** One metric, as CloudWatch names it. */
export interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** `Sum`, `Maximum`, `p99`, ... */
  readonly stat: string;
}

export interface AlarmSpec {
  /** Role of the alarm, such as `http-5xx-rate`; also the suffix of its name. */
  readonly key: string;
  /** CloudWatch alarm name: `<app>-<stack>-<key>`. */
  readonly name: string;
  /** Member of the release-health composite alarm, which the post-promotion watch reads. */
  readonly release: boolean;
  /** What the alarm means and what to do; shown in the notification. */
  readonly description: string;
  /** A single metric alarm, or metric math over `metrics` (ids e1, e2, ...). */
  readonly metrics: readonly MetricRef[];
  /** Metric math over `metrics`, when the alarm is on a computed series. */
  readonly expression?: string;
  readonly expressionLabel?: string;
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly threshold: number;
  readonly treatMissingData: TreatMissingData;
}

export interface AlarmPlan {
  readonly alarms: readonly AlarmSpec[];
  /** Alarm key -> why it was not created. */
  readonly skipped: Readonly<Record<string, string>>;
}

const GiB = 1024 ** 3;
const ALB = "AWS/ApplicationELB";
const RDS = "AWS/RDS";

/** `1.5` stays `1.5`, float noise such as `0.15000000000000002` goes. */
const round = (value: number) => Math.round(value * 1e6) / 1e6;

/** A service of the app with its own ALB target group: it gets its own release alarms. */
export interface ServiceAlarmTarget {
  /** Service name, in the alarms' keys and names (`<app>-<stack>-<service>-p99-latency`). */
  readonly service: string;
  /** ALB dimension `TargetGroup` of the service's live Service. */
  readonly targetGroup: string;
}

/** A release alarm on the p99 of a target group's response time. */
function p99Latency(key: string, alarmName: string, description: string, dimensions: Record<string, string>, threshold: number): AlarmSpec {
  return {
    key,
    name: alarmName,
    release: true,
    description,
    metrics: [{ namespace: ALB, metricName: "TargetResponseTime", dimensions, stat: "p99" }],
    period: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    comparisonOperator: "GreaterThanThreshold",
    threshold,
    // No requests, no latency: that is not slowness.
    treatMissingData: "notBreaching",
  };
}

export function planAlarms(config: AlarmsConfig, app: string, stack: string, services: readonly ServiceAlarmTarget[] = []): AlarmPlan {
  const alarms: AlarmSpec[] = [];
  const skipped: Record<string, string> = {};
  const name = (key: string) => `${app}-${stack}-${key}`;
  const t = config.thresholds;
  const { loadBalancer, targetGroup, dbInstance, dbReplica } = config.dimensions;
  const { allocatedStorageGiB, memoryGiB, maxConnections } = config.database;
  const notSet = (key: string) => `\`${key}\` is not set`;

  // --- service (ALB) ---------------------------------------------------------------------------
  if (loadBalancer) {
    const lb = { LoadBalancer: loadBalancer };
    alarms.push({
      key: "http-5xx-rate",
      name: name("http-5xx-rate"),
      release: true,
      description:
        `More than ${t.http5xxPercent}% of requests failed with a 5xx (load balancer or app) in 3 of the last 5 minutes. ` +
        "Right after a promotion: roll back. Otherwise: check the app's logs and its dependencies (database, upstreams).",
      // 5xx counts are sparse: a minute without errors has no datapoint, so FILL them with 0 or the
      // sum would be missing whenever one of the two is. No requests at all -> no rate -> not breaching.
      metrics: [
        { namespace: ALB, metricName: "HTTPCode_ELB_5XX_Count", dimensions: lb, stat: "Sum" },
        { namespace: ALB, metricName: "HTTPCode_Target_5XX_Count", dimensions: lb, stat: "Sum" },
        { namespace: ALB, metricName: "RequestCount", dimensions: lb, stat: "Sum" },
      ],
      expression: "100 * (FILL(e1, 0) + FILL(e2, 0)) / e3",
      expressionLabel: "5xx rate (%)",
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: "GreaterThanThreshold",
      threshold: t.http5xxPercent,
      treatMissingData: "notBreaching",
    });
  } else {
    skipped["http-5xx-rate"] = notSet("alarms.dimensions.loadBalancer");
  }

  if (loadBalancer && targetGroup) {
    alarms.push(
      p99Latency(
        "p99-latency",
        name("p99-latency"),
        `The app's p99 response time was over ${t.p99LatencySeconds} s in 3 of the last 5 minutes. ` +
          "Right after a promotion: roll back. Otherwise: check database load and slow endpoints.",
        { LoadBalancer: loadBalancer, TargetGroup: targetGroup },
        t.p99LatencySeconds,
      ),
    );
  } else {
    skipped["p99-latency"] = notSet(loadBalancer ? "alarms.dimensions.targetGroup" : "alarms.dimensions.loadBalancer");
  }

  // --- per service (its own target group) -------------------------------------------------------
  for (const { service, targetGroup: group } of services) {
    const keys = [`${service}-http-5xx-rate`, `${service}-p99-latency`];
    if (!loadBalancer) {
      for (const key of keys) skipped[key] = `${notSet("alarms.dimensions.loadBalancer")} (\`services.${service}.alarms.targetGroup\` is keyed by both)`;
      continue;
    }
    const tg = { LoadBalancer: loadBalancer, TargetGroup: group };
    alarms.push({
      key: keys[0],
      name: name(keys[0]),
      release: true,
      description:
        `More than ${t.http5xxPercent}% of ${service}'s requests failed with a 5xx from its Pods in 3 of the last 5 minutes. ` +
        `Right after a promotion: roll back (every service moves together). Otherwise: check ${service}'s logs and its dependencies.`,
      metrics: [
        { namespace: ALB, metricName: "HTTPCode_Target_5XX_Count", dimensions: tg, stat: "Sum" },
        { namespace: ALB, metricName: "RequestCount", dimensions: tg, stat: "Sum" },
      ],
      expression: "100 * FILL(e1, 0) / e2",
      expressionLabel: `${service} 5xx rate (%)`,
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: "GreaterThanThreshold",
      threshold: t.http5xxPercent,
      treatMissingData: "notBreaching",
    });
    alarms.push(
      p99Latency(
        keys[1],
        name(keys[1]),
        `${service}'s p99 response time was over ${t.p99LatencySeconds} s in 3 of the last 5 minutes. ` +
          "Right after a promotion: roll back (every service moves together). Otherwise: check database load and slow endpoints.",
        tg,
        t.p99LatencySeconds,
      ),
    );
  }

  // --- database (RDS) --------------------------------------------------------------------------
  if (dbReplica) {
    const replica = { DBInstanceIdentifier: dbReplica };
    alarms.push({
      key: "replica-lag",
      name: name("replica-lag"),
      release: false,
      description:
        `The read replica was more than ${t.replicaLagSeconds} s behind the primary in 3 of the last 5 minutes. ` +
        "Reads from it are stale: look for long write transactions or an undersized replica.",
      metrics: [{ namespace: RDS, metricName: "ReplicaLag", dimensions: replica, stat: "Maximum" }],
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: "GreaterThanThreshold",
      threshold: t.replicaLagSeconds,
      // Lag -1 or no lag metric means replication stopped; replica-stopped covers that.
      treatMissingData: "missing",
    });
    alarms.push({
      key: "replica-stopped",
      name: name("replica-stopped"),
      release: false,
      description:
        "The read replica reports ReplicaLag -1 (or nothing) for 2 of the last 3 minutes: replication has stopped. " +
        "Check the replica's events in the RDS console; recreate the replica if replication cannot resume.",
      metrics: [{ namespace: RDS, metricName: "ReplicaLag", dimensions: replica, stat: "Minimum" }],
      period: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: "LessThanOrEqualToThreshold",
      threshold: -1,
      treatMissingData: "breaching",
    });
  } else {
    const reason = notSet("alarms.dimensions.dbReplica");
    skipped["replica-lag"] = reason;
    skipped["replica-stopped"] = reason;
  }

  if (dbInstance) {
    const primary = { DBInstanceIdentifier: dbInstance };
    if (allocatedStorageGiB !== undefined) {
      const freeShare = (100 - t.diskUsedPercent) / 100;
      alarms.push({
        key: "db-storage",
        name: name("db-storage"),
        release: false,
        description:
          `The database has used more than ${t.diskUsedPercent}% of its ${allocatedStorageGiB} GiB for 10 minutes. ` +
          "Grow the allocated storage (and update `alarms.database.allocatedStorageGiB`) before it fills up.",
        metrics: [{ namespace: RDS, metricName: "FreeStorageSpace", dimensions: primary, stat: "Minimum" }],
        period: 300,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        comparisonOperator: "LessThanThreshold",
        threshold: Math.round(allocatedStorageGiB * GiB * freeShare),
        treatMissingData: "missing",
      });
    } else {
      skipped["db-storage"] = notSet("alarms.database.allocatedStorageGiB");
    }
    alarms.push({
      key: "db-cpu",
      name: name("db-cpu"),
      release: false,
      description:
        `Database CPU was over ${t.cpuPercent}% in 8 of the last 10 minutes. ` +
        "After a release: look for new slow queries (pg_stat_statements) and roll back if they came with it.",
      metrics: [{ namespace: RDS, metricName: "CPUUtilization", dimensions: primary, stat: "Average" }],
      period: 60,
      evaluationPeriods: 10,
      datapointsToAlarm: 8,
      comparisonOperator: "GreaterThanThreshold",
      threshold: t.cpuPercent,
      treatMissingData: "missing",
    });
    if (maxConnections !== undefined) {
      alarms.push({
        key: "db-connections",
        name: name("db-connections"),
        release: false,
        description:
          `More than ${t.connectionsPercent}% of the database's ${maxConnections} connections were in use in 3 of the last 5 minutes. ` +
          "Look for connection leaks or too many replicas per color; new connections will soon be refused.",
        metrics: [{ namespace: RDS, metricName: "DatabaseConnections", dimensions: primary, stat: "Maximum" }],
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: "GreaterThanThreshold",
        threshold: Math.floor((maxConnections * t.connectionsPercent) / 100),
        treatMissingData: "missing",
      });
    } else {
      skipped["db-connections"] = notSet("alarms.database.maxConnections");
    }
    if (memoryGiB !== undefined) {
      const freeShare = (100 - t.memoryUsedPercent) / 100;
      alarms.push({
        key: "db-memory",
        name: name("db-memory"),
        release: false,
        description:
          `The database has used more than ${t.memoryUsedPercent}% of its ${memoryGiB} GiB of memory in 8 of the last 10 minutes. ` +
          "Check for memory-heavy queries or too many connections; consider a larger instance class.",
        metrics: [{ namespace: RDS, metricName: "FreeableMemory", dimensions: primary, stat: "Average" }],
        period: 60,
        evaluationPeriods: 10,
        datapointsToAlarm: 8,
        comparisonOperator: "LessThanThreshold",
        threshold: Math.round(memoryGiB * GiB * freeShare),
        treatMissingData: "missing",
      });
    } else {
      skipped["db-memory"] = notSet("alarms.database.memoryGiB");
    }
  } else {
    const reason = notSet("alarms.dimensions.dbInstance");
    for (const key of ["db-storage", "db-cpu", "db-connections", "db-memory"]) skipped[key] = reason;
  }

  // --- backups -----------------------------------------------------------------------------------
  // The backup job publishes one datapoint per successful backup. Counting datapoints per hour over
  // the last N hours, an hour without one is breaching, so the alarm fires when no backup succeeded
  // in N hours, including when the metric was never published at all.
  const hours = t.backupMaxAgeHours;
  alarms.push({
    key: "backup-age",
    name: name("backup-age"),
    release: false,
    description:
      `No backup has succeeded in the last ${hours} hours (no \`${config.backupMetric.name}\` datapoint). ` +
      "Check the backup CronJob's last runs and logs (kubectl get jobs, kubectl logs job/<name>) and run one by hand.",
    metrics: [
      {
        namespace: config.backupMetric.namespace,
        metricName: config.backupMetric.name,
        dimensions: config.backupMetric.dimensions ?? { App: app, Stack: stack },
        stat: "SampleCount",
      },
    ],
    period: 3600,
    evaluationPeriods: hours,
    datapointsToAlarm: hours,
    comparisonOperator: "LessThanThreshold",
    threshold: 1,
    treatMissingData: "breaching",
  });

  return {
    alarms: alarms.map((a) => ({ ...a, threshold: round(a.threshold) })),
    skipped,
  };
}
