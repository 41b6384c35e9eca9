/**
 * One app, blue/green: a set of services that share one database, one migration set and one
 * release cadence. A color is a release of every service; `activeColor` switches every service's
 * live Service in one `pulumi up`.
 *
 * It owns the database Secret, the migration files and Jobs and the pre-migration backups (once per
 * release, shared by all services), per service the two colors (Deployments, preview Services,
 * PDBs), the smoke Jobs and the live Service, the maintenance page (with a `maintenance` section),
 * the NetworkPolicies, the scheduled backups and the alarms. What waits on what comes from the pure planner (domain/releasePlan.ts); names from
 * domain/names.ts.
 *
 * Stacks deployed before this component existed declared the same children at the top level: every
 * child carries `aliases: [{ parent: rootStackResource }]`, so they upgrade in place (the
 * children's own children inherit the alias).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Color, COLORS, ServiceConfig, StackConfig } from "../config";
import { MigrationsConfig, migrationService } from "../config/migrations";
import { APP_TYPE, maintenanceNames, resourceNames } from "../domain/names";
import { MAINTENANCE_RESOURCES } from "../config/resources";
import { PlannedMigrationJob } from "../domain/migrationPlan";
import { PlanInput, PlannedColorInput, ReleasePlan, planRelease } from "../domain/releasePlan";
import { releaseIdentityOf, releaseImages } from "../config/services";
import { Alarms } from "./alarms";
import { Backups } from "./backups";
import { BlueGreenDeployment } from "./blueGreenDeployment";
import { DatabaseSecret } from "./databaseSecret";
import { LiveService } from "./liveService";
import { MaintenancePage, MAINTENANCE_PORT } from "./maintenancePage";
import { StagedNotice } from "./stagedNotice";
import { SwitchNotice } from "./switchNotice";
import { notifiedKinds } from "../config/notify";
import { MigrationFiles, MigrationJob } from "./migrationJob";
import { NetworkPolicies } from "./networkPolicies";
import { SmokeGate } from "./smokeGate";

/** Everything the app is built from: the validated stack config (config.ts documents each field). */
export type BlueGreenAppArgs = Omit<StackConfig, "project">;

/** What one service of the app consists of. */
export interface AppService {
  readonly config: ServiceConfig;
  readonly colors: BlueGreenDeployment;
  readonly smoke?: SmokeGate;
  readonly live: LiveService;
  readonly network?: NetworkPolicies;
}

export class BlueGreenApp extends pulumi.ComponentResource {
  /** The plan this `pulumi up` follows. */
  public readonly plan: ReleasePlan;
  /** Per service (qualified name): its colors, smoke gate, live Service and policies. */
  public readonly services: Readonly<Record<string, AppService>>;
  /** The expand migration Jobs, and the contract Job when the idle color is retired. */
  public readonly migrationJobs: { readonly expand: readonly MigrationJob[]; readonly contract?: MigrationJob };
  public readonly backups?: Backups;
  public readonly alarms?: Alarms;
  /** The app-wide NetworkPolicies (migration and backup Jobs; for the shorthand, also its Pods). */
  public readonly appPolicies?: NetworkPolicies;
  /** The maintenance page, when the stack has a `maintenance` section. */
  public readonly maintenancePage?: MaintenancePage;
  /** Announces every switch of the app's traffic, when the stack has a `notify` section. */
  public readonly switchNotice?: SwitchNotice;
  /** Per color, announces a release staged on it, when `notify` sends `staged` notices. */
  public readonly stagedNotices?: Readonly<Record<Color, StagedNotice>>;

  constructor(name: string, args: BlueGreenAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super(APP_TYPE, name, {}, opts);
    // Each child was a top-level resource before this component: the alias keeps its URN's history.
    const child: ChildOptions = (more = {}) => ({ parent: this, aliases: [{ parent: pulumi.rootStackResource }], ...more });
    const plan = (this.plan = planRelease(planInput(args)));

    const jobs = releaseJobs(args, plan, child);
    const workloads = args.services.map((service) => serviceWorkloads(args, plan, service, jobs.colorWaitsOn, child));
    // The switch: every live Service waits on every service's active color and its smoke Job, so one
    // service's failed release holds all of them, and a plain `pulumi up` never splits the app.
    const activeGates = workloads.flatMap((w) => [w.colors.deployments[args.activeColor]!, ...(w.smoke?.jobs[args.activeColor] ? [w.smoke.jobs[args.activeColor]!] : [])]);
    const page = (this.maintenancePage = maintenancePage(args, this));
    const lives = workloads.map(
      (w) =>
        new LiveService(
          resourceNames.live(w.config.qualifiedName),
          {
            app: w.config.qualifiedName,
            namespace: args.namespace,
            activeColor: args.activeColor,
            servicePort: w.config.servicePort,
            gates: activeGates,
            ...(page ? { maintenance: { app: args.app, enabled: args.maintenance!.enabled, deployment: page.deployment } } : {}),
          },
          child(),
        ),
    );

    // Contract only after every Deployment rolled out, every live color passed its smoke test and
    // traffic is on it: the old code is gone.
    const contract = plan.migrations.contract
      ? jobs.migrationJob(plan.migrations.contract, [
          ...jobs.expand,
          ...workloads.flatMap((w) => Object.values(w.colors.deployments)),
          ...activeGates.filter((gate) => gate instanceof k8s.batch.v1.Job),
          ...lives.map((live) => live.service),
        ])
      : undefined;
    this.migrationJobs = { expand: jobs.expand, contract };
    this.backups = jobs.backups;
    this.alarms = args.alarms ? alarms(args, args.alarms, child) : undefined;
    this.switchNotice = args.notify ? switchNotice(args, args.notify, lives, this.alarms, this) : undefined;
    this.stagedNotices = args.notify && notifiedKinds(args.notify).includes("staged") ? stagedNotices(args, args.notify, workloads, lives, this.alarms, this) : undefined;

    const policies = networkPolicies(args, workloads, { smoke: args.smoke.enabled, migrations: args.migrations !== undefined, backups: jobs.backups !== undefined }, page, child);
    this.appPolicies = policies.app;
    this.services = Object.fromEntries(
      workloads.map((w, i) => [w.config.qualifiedName, { ...w, live: lives[i], network: policies.perService[w.config.qualifiedName] }]),
    );
    this.registerOutputs({
      liveServiceNames: lives.map((live) => live.service.metadata.name),
      activeColor: args.activeColor,
    });
  }
}

type ChildOptions = (more?: pulumi.ComponentResourceOptions) => pulumi.ComponentResourceOptions;

/** One service's colors and smoke gate. */
type Workload = Omit<AppService, "live" | "network">;

/** What the planner needs of the config. */
function planInput(args: BlueGreenAppArgs): PlanInput {
  const colors = Object.fromEntries(
    COLORS.map((color): [Color, PlannedColorInput] => [
      color,
      {
        release: releaseIdentityOf(args.services, color),
        migrationImage: migrationImage(args, color),
        replicas: args.colors[color].replicas,
        previewReplicas: args.colors[color].previewReplicas,
      },
    ]),
  ) as Record<Color, PlannedColorInput>;
  return {
    activeColor: args.activeColor,
    colors,
    services: args.services.map((s) => ({ qualifiedName: s.qualifiedName, colors: s.colors })),
    migrations: args.migrations && migrationInput(args.migrations),
    backups: args.backups !== undefined,
    smoke: args.smoke.enabled,
  };
}

/**
 * The release Jobs, shared by every service of a color: the database Secret, the migration files,
 * the backups (with their pre-migration Jobs) and the expand migration Jobs, each after its backup.
 */
function releaseJobs(args: BlueGreenAppArgs, plan: ReleasePlan, child: ChildOptions) {
  const { app, namespace, migrations } = args;
  const databaseSecret =
    migrations || args.backups ? new DatabaseSecret(`${app}-database`, { app, namespace, databaseUrl: args.secrets.databaseUrl! }, child()) : undefined;
  const migrationFiles =
    migrations?.mode === "sql"
      ? new MigrationFiles(`${app}-migration-files`, { app, namespace, files: migrations.files.map((f) => ({ name: f.name, content: f.sql })) }, child())
      : undefined;
  const backups = args.backups
    ? new Backups(
        `${app}-backups`,
        {
          app,
          stack: args.stack,
          namespace,
          jobsImage: args.jobsImage!,
          config: args.backups,
          protect: args.production,
          databaseUrlEnv: databaseSecret!.databaseUrlEnv(),
          restoreCheckDatabaseUrl: args.secrets.restoreCheckDatabaseUrl!,
          preMigrationFor: plan.preMigrationFor,
        },
        child(),
      )
    : undefined;
  const backupBefore = (hash: string): pulumi.Resource[] => (backups ? [backups.preMigrationJobs[hash]] : []);
  const migrationJob = (planned: PlannedMigrationJob, dependsOn: pulumi.Input<pulumi.Resource>[]) =>
    new MigrationJob(
      `${app}-migrate-${planned.hash}`,
      {
        app,
        namespace,
        spec: planned.spec,
        hash: planned.hash,
        databaseUrlEnv: databaseSecret!.databaseUrlEnv(),
        files: planned.spec.files.length > 0 ? migrationFiles : undefined,
        backoffLimit: migrations!.backoffLimit,
        activeDeadlineSeconds: migrations!.activeDeadlineSeconds,
        resources: args.resources,
      },
      child({ dependsOn }),
    );
  const expandJobs = new Map(plan.migrations.expand.map((planned) => [planned.hash, migrationJob(planned, backupBefore(planned.hash))]));
  /** What a released color's Deployments wait on: its expand Jobs, or its pre-migration backup. */
  const colorWaitsOn = (color: Color): pulumi.Resource[] => {
    const gate = plan.colorGates[color];
    if (!gate || gate.kind === "none") return [];
    return gate.kind === "expand" ? gate.hashes.map((hash) => expandJobs.get(hash)!) : gate.hashes.flatMap(backupBefore);
  };
  return { backups, expand: [...expandJobs.values()], migrationJob, colorWaitsOn };
}

/** One service's two colors, each after its color's release Jobs, and their smoke Jobs after them. */
function serviceWorkloads(
  args: BlueGreenAppArgs,
  plan: ReleasePlan,
  service: ServiceConfig,
  colorWaitsOn: (color: Color) => pulumi.Resource[],
  child: ChildOptions,
): Workload {
  const colors = new BlueGreenDeployment(
    resourceNames.colors(service.qualifiedName),
    {
      app: service.qualifiedName,
      namespace: args.namespace,
      activeColor: args.activeColor,
      colors: service.colors,
      port: service.port,
      servicePort: service.servicePort,
      healthPath: service.healthPath,
      readinessPath: service.readinessPath,
      rolloutTimeoutSeconds: args.rolloutTimeoutSeconds,
      resources: service.resources,
      env: service.env,
      secretEnv: Object.fromEntries(Object.entries(service.secretEnv).map(([env, key]) => [env, args.secretConfig[key]])),
      dependsOn: Object.fromEntries(plan.releasedColors.map((color) => [color, colorWaitsOn(color)])),
    },
    child(),
  );
  const smoke = args.smoke.enabled
    ? new SmokeGate(
        resourceNames.smoke(service.qualifiedName),
        {
          app: service.qualifiedName,
          namespace: args.namespace,
          colors: plan.smoked[service.qualifiedName],
          jobsImage: args.jobsImage!,
          servicePort: service.servicePort,
          checks: service.smokeChecks,
          timeoutSeconds: args.smoke.timeoutSeconds,
          retries: args.smoke.retries,
          backoffSeconds: args.smoke.backoffSeconds,
          startupAllowanceSeconds: args.smoke.startupAllowanceSeconds,
          dependsOn: Object.fromEntries(Object.entries(colors.deployments).map(([color, d]) => [color, [d]])),
        },
        child(),
      )
    : undefined;
  return { config: service, colors, smoke };
}

/**
 * The switch notice: after every live Service, where traffic goes now (the active color, or the
 * maintenance page) and the images of that color; it announces a change of it once. A new resource
 * of this component, so no alias. The release CLI's targeted switches target it too.
 */
function switchNotice(args: BlueGreenAppArgs, notify: Notify, lives: readonly LiveService[], alarms: Alarms | undefined, parent: pulumi.Resource): SwitchNotice {
  const inMaintenance = args.maintenance?.enabled === true;
  return new SwitchNotice(
    resourceNames.switchNotice(args.app),
    {
      stack: args.stack,
      app: args.app,
      live: inMaintenance ? "maintenance" : args.activeColor,
      images: inMaintenance ? {} : releaseImages(args.services, args.activeColor),
      liveServices: lives.map((live) => live.service),
      webhookUrl: notify.webhookUrl,
      snsTopicArn: topicOf(notify, alarms),
      how: notify.run.how,
      who: notify.run.who,
      commit: notify.run.commit,
      maintenanceMessage: args.maintenance?.message,
      events: notify.events,
    },
    { parent },
  );
}

type Notify = NonNullable<BlueGreenAppArgs["notify"]>;

/** The SNS topic notices go to: the alarm topic for `alarms`. */
function topicOf(notify: Notify, alarms: Alarms | undefined): pulumi.Input<string> | undefined {
  return notify.snsTopicArn === "alarms" ? alarms?.topic.topic.arn : notify.snsTopicArn;
}

/**
 * Per color, the staged notice: after every service's Deployment and smoke Job of that color, the
 * images of the color; it announces new ones on the idle color. New resources, so no alias.
 *
 * It also waits for the live Services: a notice resource registered before them starts the notice
 * provider's plugin while the selectors are being patched, which slowed `rollback --apply`'s flip
 * by a third on two cores (`npm run bench:notify`: 3.78 s against 2.83 s without `notify`);
 * registered after them, 2.97 s against 2.77 s.
 */
function stagedNotices(
  args: BlueGreenAppArgs,
  notify: Notify,
  workloads: readonly Workload[],
  lives: readonly LiveService[],
  alarms: Alarms | undefined,
  parent: pulumi.Resource,
): Record<Color, StagedNotice> {
  const notice = (color: Color) =>
    new StagedNotice(
      resourceNames.stagedNotice(args.app, color),
      {
        stack: args.stack,
        app: args.app,
        color,
        activeColor: args.activeColor,
        images: releaseImages(args.services, color),
        workloads: workloads.flatMap((w) => [w.colors.deployments[color]!, ...(w.smoke?.jobs[color] ? [w.smoke.jobs[color]!] : [])]),
        after: lives.map((live) => live.service),
        webhookUrl: notify.webhookUrl,
        snsTopicArn: topicOf(notify, alarms),
        events: notify.events,
        who: notify.run.who,
        commit: notify.run.commit,
      },
      { parent },
    );
  return { blue: notice("blue"), green: notice("green") };
}

/** The stack's alarms: one topic, the app's alarms, and each service's with its own target group. */
function alarms(args: BlueGreenAppArgs, config: NonNullable<BlueGreenAppArgs["alarms"]>, child: ChildOptions): Alarms {
  return new Alarms(
    `${args.app}-alarms`,
    {
      app: args.app,
      stack: args.stack,
      config,
      subscriptions: args.alarmSubscriptions,
      region: args.awsRegion,
      services: args.services.filter((s) => s.alarmTargetGroup).map((s) => ({ service: s.displayName, targetGroup: s.alarmTargetGroup! })),
    },
    child(),
  );
}

/**
 * The maintenance page, when the stack has a `maintenance` section: the same whether maintenance is
 * on or off and whichever color is live. Its NetworkPolicy admits what the live Services get: the
 * ingress sources (a service without callers) and the callers' colors.
 */
function maintenancePage(args: BlueGreenAppArgs, parent: pulumi.Resource): MaintenancePage | undefined {
  const config = args.maintenance;
  if (!config) return undefined;
  const np = args.networkPolicy;
  return new MaintenancePage(
    maintenanceNames.resource(args.app),
    {
      app: args.app,
      namespace: args.namespace,
      jobsImage: args.jobsImage!,
      message: config.message,
      retryAfterSeconds: config.retryAfterSeconds,
      replicas: config.replicas,
      resources: MAINTENANCE_RESOURCES,
      rolloutTimeoutSeconds: args.rolloutTimeoutSeconds,
      networkPolicy: np.enabled
        ? {
            ingress: np.ingress,
            external: args.services.some((s) => s.callers.length === 0),
            callers: [...new Set(args.services.flatMap((s) => s.callers))],
          }
        : undefined,
    },
    { parent },
  );
}

/** command-mode migrations run the migrating service's image of the color; sql mode needs none. */
function migrationImage(args: BlueGreenAppArgs, color: Color): string | undefined {
  if (args.migrations?.mode !== "command") return undefined;
  return releaseImages(args.services, color)[migrationService(args.migrations, args.services)];
}

function migrationInput(m: MigrationsConfig) {
  return {
    mode: m.mode,
    image: m.image,
    command: m.command,
    contractCommand: m.contractCommand,
    files: m.files.map((f) => ({ name: f.name, content: f.sql, phase: f.phase })),
    lockTimeoutSeconds: m.lockTimeoutSeconds,
    ddlLockTimeoutSeconds: m.ddlLockTimeoutSeconds,
  };
}

/**
 * The NetworkPolicies: the shorthand keeps its one set (`<app>-network`, its Pods and Jobs); an app
 * of several services gets one set per service (its Pods, its smoke Jobs, its callers) and an
 * app-wide set for the migration and backup Jobs.
 */
function networkPolicies(
  args: BlueGreenAppArgs,
  list: readonly Workload[],
  jobs: { smoke: boolean; migrations: boolean; backups: boolean },
  maintenance: MaintenancePage | undefined,
  child: ChildOptions,
): { app?: NetworkPolicies; perService: Record<string, NetworkPolicies> } {
  const np = args.networkPolicy;
  if (!np.enabled) return { perService: {} };
  const common = { namespace: args.namespace, ingress: np.ingress, database: np.database, aws: np.aws, appEgress: np.appEgress };
  if (list.length === 1 && list[0].config.service === undefined) {
    const only = list[0].config;
    return { app: new NetworkPolicies(resourceNames.network(args.app), { ...common, app: args.app, port: only.port, jobs }, child()), perService: {} };
  }
  const perService: Record<string, NetworkPolicies> = {};
  // A service named like the app has the app's label: its set also holds the app-wide Jobs' policies.
  const appNamed = list.find((s) => s.config.qualifiedName === args.app);
  for (const s of list) {
    const callees = list.filter((other) => other.config.callers.includes(s.config.qualifiedName)).map((other) => ({ app: other.config.qualifiedName, port: other.config.port }));
    perService[s.config.qualifiedName] = new NetworkPolicies(
      resourceNames.network(s.config.qualifiedName),
      {
        ...common,
        app: s.config.qualifiedName,
        port: s.config.port,
        jobs: s === appNamed ? jobs : { ...jobs, migrations: false, backups: false },
        callers: s.config.callers,
        callees,
        ...(maintenance ? { maintenancePods: { labels: maintenance.selector, port: MAINTENANCE_PORT } } : {}),
      },
      child(),
    );
  }
  const app =
    !appNamed && (jobs.migrations || jobs.backups)
      ? new NetworkPolicies(resourceNames.network(args.app), { ...common, app: args.app, port: list[0].config.port, jobs: { smoke: false, migrations: jobs.migrations, backups: jobs.backups }, colorPods: false }, child())
      : undefined;
  return { app, perService };
}

