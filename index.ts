/**
 * The stack program: reads the stack config once, then declares both colors and the live Service
 * whose selector follows `activeColor`. Promotion and rollback are config changes to that key.
 */
import * as pulumi from "@pulumi/pulumi";
import { BlueGreenDeployment } from "./components/blueGreenDeployment";
import { DatabaseSecret } from "./components/databaseSecret";
import { LiveService } from "./components/liveService";
import { MigrationFiles, MigrationJob, PlannedMigrationJob, planMigrations } from "./components/migrationJob";
import { NetworkPolicies } from "./components/networkPolicies";
import { SmokeGate } from "./components/smokeGate";
import { COLORS, Color, effectiveReplicas } from "./config";
import { loadConfig } from "./config/load";
import { colorReleaseHash } from "./lib/releaseHash";
import { Alarms } from "./components/alarms";
import { Backups } from "./components/backups";
import { lintMigrationsAtPreview } from "./components/migrationLint";

const config = loadConfig();
const { app, stack, activeColor, idleColor } = config;

// Migrations: expand Jobs run before the Deployments that need them; the contract Job only once the
// idle color is retired, after every Deployment has rolled out.
const migrations = config.migrations;
const databaseSecret =
  migrations || config.backups
    ? new DatabaseSecret(`${app}-database`, { app, namespace: config.namespace, databaseUrl: config.secrets.databaseUrl! })
    : undefined;
const migrationFiles =
  migrations?.mode === "sql"
    ? new MigrationFiles(`${app}-migration-files`, {
        app,
        namespace: config.namespace,
        files: migrations.files.map((f) => ({ name: f.name, content: f.sql })),
      })
    : undefined;
const migrationPlan = migrations
  ? planMigrations({
      mode: migrations.mode,
      image: migrations.image,
      command: migrations.command,
      contractCommand: migrations.contractCommand,
      files: migrations.files.map((f) => ({ name: f.name, content: f.sql, phase: f.phase })),
      lockTimeoutSeconds: migrations.lockTimeoutSeconds,
      ddlLockTimeoutSeconds: migrations.ddlLockTimeoutSeconds,
      colors: config.colors,
      activeColor,
    })
  : { expand: [] };
// Pre-migration backups: one Job per expand migration Job, which waits for it. A stack without
// migrations still backs up once per release of each color (its color and image), before that
// color's Deployment changes.
const releaseOf = (color: Color) => colorReleaseHash(color, config.colors[color].image!);
const deployedColors = COLORS.filter((color) => config.colors[color].image !== undefined);
const preMigrationFor = migrationPlan.expand.length > 0 ? migrationPlan.expand.map((planned) => planned.hash) : deployedColors.map(releaseOf);
const backups = config.backups
  ? new Backups(`${app}-backups`, {
      app,
      stack,
      namespace: config.namespace,
      jobsImage: config.jobsImage!,
      config: config.backups,
      protect: config.production,
      databaseUrlEnv: databaseSecret!.databaseUrlEnv(),
      restoreCheckDatabaseUrl: config.secrets.restoreCheckDatabaseUrl!,
      preMigrationFor,
    })
  : undefined;
const backupBefore = (hash: string) => (backups ? [backups.preMigrationJobs[hash]] : []);

const migrationJob = (planned: PlannedMigrationJob, opts?: pulumi.ComponentResourceOptions) =>
  new MigrationJob(
    `${app}-migrate-${planned.hash}`,
    {
      app,
      namespace: config.namespace,
      spec: planned.spec,
      hash: planned.hash,
      databaseUrlEnv: databaseSecret!.databaseUrlEnv(),
      files: planned.spec.files.length > 0 ? migrationFiles : undefined,
      backoffLimit: migrations!.backoffLimit,
      activeDeadlineSeconds: migrations!.activeDeadlineSeconds,
      resources: config.resources,
    },
    opts,
  );
const expandJobs = migrationPlan.expand.map((planned) => ({
  colors: planned.colors,
  job: migrationJob(planned, { dependsOn: backupBefore(planned.hash) }),
}));
const jobsGating = (color: Color) =>
  expandJobs.length > 0 ? expandJobs.filter((j) => j.colors.includes(color)).map((j) => j.job) : backupBefore(releaseOf(color));

// Each color's Deployment waits on its own release's Jobs, whichever color is live: the dependency
// graph never changes with `activeColor`, so a switch touches one resource and a targeted
// `pulumi up` of the live Service leaves a consistent state. A rollback to a color whose release
// already went through waits on nothing (its Jobs are unchanged), whatever is pending elsewhere.
const colors = new BlueGreenDeployment(app, {
  app,
  namespace: config.namespace,
  activeColor,
  colors: config.colors,
  port: config.port,
  servicePort: config.servicePort,
  healthPath: config.healthPath,
  readinessPath: config.readinessPath,
  rolloutTimeoutSeconds: config.rolloutTimeoutSeconds,
  resources: config.resources,
  env: config.env,
  secretEnv: config.secretEnv,
  dependsOn: Object.fromEntries(deployedColors.map((color) => [color, jobsGating(color)])),
});

// AWS alarms only where configured: a stack without them needs no AWS provider or credentials.
const alarms = config.alarms
  ? new Alarms(`${app}-alarms`, { app, stack, config: config.alarms, subscriptions: config.alarmSubscriptions, region: config.awsRegion })
  : undefined;

// Before the switch: each color that runs Pods is smoke-tested through its preview Service once per release.
const smokedColors: Partial<Record<Color, { image: string }>> = {};
for (const color of COLORS) {
  const spec = config.colors[color];
  if (spec.image && effectiveReplicas(color, activeColor, spec) > 0) smokedColors[color] = { image: spec.image };
}
const smoke = config.smoke.enabled
  ? new SmokeGate(`${app}-smoke`, {
      app,
      namespace: config.namespace,
      colors: smokedColors,
      jobsImage: config.jobsImage!,
      servicePort: config.servicePort,
      checks: config.smoke.checks,
      timeoutSeconds: config.smoke.timeoutSeconds,
      retries: config.smoke.retries,
      backoffSeconds: config.smoke.backoffSeconds,
      startupAllowanceSeconds: config.smoke.startupAllowanceSeconds,
      dependsOn: Object.fromEntries(Object.entries(colors.deployments).map(([color, d]) => [color, [d]])),
    })
  : undefined;

const live = new LiveService(`${app}-live`, {
  app,
  namespace: config.namespace,
  activeColor,
  servicePort: config.servicePort,
  gates: [colors.deployments[activeColor]!, ...(smoke ? [smoke.jobs[activeColor]!] : [])],
});

// Contract only after both Deployments rolled out (the retired one to 0), the live color passed its
// smoke test and traffic is on it: the old code is gone. (The post-promotion watch runs after
// `pulumi up`, as `npm run release -- watch`; retire a color only once it passed.)
const contractJob = migrationPlan.contract
  ? migrationJob(migrationPlan.contract, {
      dependsOn: [
        ...expandJobs.map((j) => j.job),
        ...Object.values(colors.deployments),
        ...(smoke?.jobs[activeColor] ? [smoke.jobs[activeColor]!] : []),
        live.service,
      ],
    })
  : undefined;

// Which traffic the app's Pods may send and receive; selects Pods by label, so nothing waits on it.
const networkPolicy = config.networkPolicy;
const policies = networkPolicy.enabled
  ? new NetworkPolicies(`${app}-network`, {
      app,
      namespace: config.namespace,
      port: config.port,
      ingress: networkPolicy.ingress,
      database: networkPolicy.database,
      aws: networkPolicy.aws,
      appEgress: networkPolicy.appEgress,
      jobs: { smoke: smoke !== undefined, migrations: migrations !== undefined, backups: backups !== undefined },
    })
  : undefined;

const idle = config.colors[idleColor];
const idleReady = idle.image !== undefined && (idle.previewReplicas ?? idle.replicas) > 0;

export { activeColor, idleColor };
export const namespace = config.namespace;
export const liveImage = config.colors[activeColor].image!;
export const idleImage = idle.image ?? "none";
export const liveServiceName = live.service.metadata.name;
export const previewServiceNames = Object.fromEntries(
  Object.entries(colors.previewServices).map(([color, service]) => [color, service.metadata.name]),
) as Record<string, pulumi.Output<string>>;
export const deploymentNames = Object.fromEntries(
  Object.entries(colors.deployments).map(([color, deployment]) => [color, deployment.metadata.name]),
) as Record<string, pulumi.Output<string>>;
/** `migrate lint` on the SQL files during this preview/up, when `migrations.lintAtPreview` is on. */
export const migrationLint = migrations?.lintDirectory ? lintMigrationsAtPreview(migrations.lintDirectory, process.cwd()) : "off";
export const migrationJobs = {
  expand: expandJobs.map((j) => j.job.jobName),
  contract: contractJob?.jobName ?? "none",
};
export const rollbackHint = idleReady
  ? `Roll back: npm run release -- rollback --stack ${stack} --apply (or: git revert <promotion commit> && pulumi up -s ${stack})`
  : `No instant rollback: idle color ${idleColor} is not running; stage it with pulumi config set --path colors.${idleColor}.image <image> -s ${stack}`;
export const alarmTopicArn = alarms ? alarms.topic.topic.id : "none"; // an SNS topic's id is its ARN
export const alarmNames = alarms?.alarmNames ?? {};
/** Alarms not created because a dimension or capacity is not configured, with the reason. */
export const skippedAlarms = alarms?.skipped ?? {};
export const dashboardName = alarms ? alarms.dashboard.dashboardName : "none";
export const smokeJobNames = smoke?.jobNames ?? {};
/** The URN `npm run release -- rollback --apply` targets: the one resource a switch changes. */
export const liveServiceUrn = live.service.urn;
/** What `npm run release -- watch` reads after a switch; `minutes: 0` when there is nothing to watch. */
export const promotionWatch = {
  minutes: alarms && alarms.releaseAlarmNames.length > 0 ? config.watch.minutes : 0,
  alarmNames: alarms?.releaseAlarmNames ?? [],
  pollSeconds: config.watch.pollSeconds,
  settleMinutes: config.watch.settleMinutes,
  ignorePollFailures: config.watch.ignorePollFailures,
  region: config.awsRegion ?? "",
};
export const backupBucketName = backups?.bucketName ?? "none";
export const backupPrefix = backups?.prefix ?? "none";
export const preMigrationBackupJobs = backups ? Object.values(backups.preMigrationJobs).map((job) => job.metadata.name) : [];
/** The app's NetworkPolicies, or why the stack has none. */
export const networkPolicies = policies ? policies.policyNames : `off: ${networkPolicy.reason}`;
