/**
 * The stack outputs of one BlueGreenApp: what the release CLI (`watch`), the runbooks and people
 * read. A one-service stack keeps the outputs it always had (a name, an image, a URN); an app of
 * several services gives those per service, keyed by service name, and `services` lists each.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { releaseImages } from "../config/services";
import { maintenanceNames } from "../domain/names";
import { BlueGreenApp } from "./blueGreenApp";

type PerService<T> = T | Record<string, T>;

export function appOutputs(app: BlueGreenApp, config: StackConfig) {
  const services = Object.values(app.services);
  const shorthand = services.length === 1 && services[0].config.service === undefined;
  // The shorthand's value as it always was; otherwise one entry per service.
  const perService = <T>(value: (s: (typeof services)[number]) => T): PerService<T> =>
    shorthand ? value(services[0]) : Object.fromEntries(services.map((s) => [s.config.displayName, value(s)]));
  const liveImages = releaseImages(config.services, config.activeColor);
  const idleImages = releaseImages(config.services, config.idleColor);
  const { plan, alarms, backups } = app;
  const stack = config.stack;

  return {
    activeColor: config.activeColor,
    idleColor: config.idleColor,
    namespace: config.namespace,
    /** Per service: its live Service, its URN and its colors' objects. */
    services: Object.fromEntries(
      services.map((s) => [
        s.config.displayName,
        {
          liveService: s.live.service.metadata.name,
          liveServiceUrn: s.live.service.urn,
          deployments: Object.fromEntries(Object.entries(s.colors.deployments).map(([c, d]) => [c, d.metadata.name])),
          smokeJobs: s.smoke?.jobNames ?? {},
        },
      ]),
    ),
    liveImage: shorthand ? Object.values(liveImages)[0] : liveImages,
    idleImage: shorthand ? (Object.values(idleImages)[0] ?? "none") : Object.keys(idleImages).length > 0 ? idleImages : "none",
    liveServiceName: perService((s) => s.live.service.metadata.name),
    /** The URN `release rollback --apply` targets (per service for an app of several). */
    liveServiceUrn: perService((s) => s.live.service.urn),
    /** Every live Service's URN: the resources a switch changes, and all of them. */
    liveServiceUrns: services.map((s) => s.live.service.urn),
    previewServiceNames: perService((s) => Object.fromEntries(Object.entries(s.colors.previewServices).map(([c, svc]) => [c, svc.metadata.name])) as Record<string, pulumi.Output<string>>),
    deploymentNames: perService((s) => Object.fromEntries(Object.entries(s.colors.deployments).map(([c, d]) => [c, d.metadata.name])) as Record<string, pulumi.Output<string>>),
    migrationJobs: {
      expand: app.migrationJobs.expand.map((job) => job.jobName),
      contract: app.migrationJobs.contract?.jobName ?? "none",
    },
    rollbackHint: plan.idleReady
      ? `Roll back: npx bluegreen rollback -s ${stack} --apply (or: git revert <promotion commit> && pulumi up -s ${stack})`
      : `No instant rollback: idle color ${config.idleColor} is not running; stage it with ${shorthand ? `pulumi config set --path colors.${config.idleColor}.image <image> -s ${stack}` : `npx bluegreen stage ${config.idleColor} ${services.map((s) => `${s.config.service}=<image>`).join(" ")} --stack ${stack}`}`,
    alarmTopicArn: alarms ? alarms.topic.topic.id : "none", // an SNS topic's id is its ARN
    alarmNames: alarms?.alarmNames ?? {},
    /** Alarms not created because a dimension or capacity is not configured, with the reason. */
    skippedAlarms: alarms?.skipped ?? {},
    dashboardName: alarms ? alarms.dashboard.dashboardName : "none",
    smokeJobNames: perService((s) => s.smoke?.jobNames ?? {}),
    /** What `npx bluegreen watch` reads after a switch; `minutes: 0` when there is nothing to watch. */
    promotionWatch: {
      minutes: alarms && alarms.releaseAlarmNames.length > 0 ? config.watch.minutes : 0,
      alarmNames: alarms?.releaseAlarmNames ?? [],
      pollSeconds: config.watch.pollSeconds,
      settleMinutes: config.watch.settleMinutes,
      ignorePollFailures: config.watch.ignorePollFailures,
      region: config.awsRegion ?? "",
    },
    backupBucketName: backups?.bucketName ?? "none",
    backupPrefix: backups?.prefix ?? "none",
    preMigrationBackupJobs: backups ? Object.values(backups.preMigrationJobs).map((job) => job.metadata.name) : [],
    /** The app's NetworkPolicies, or why the stack has none. */
    networkPolicies: config.networkPolicy.enabled
      ? [
          ...(app.appPolicies?.policyNames ?? []),
          ...services.flatMap((s) => s.network?.policyNames ?? []),
          ...(app.maintenancePage?.networkPolicy ? [maintenanceNames.networkPolicy(config.app)] : []),
        ]
      : `off: ${config.networkPolicy.reason}`,
  };
}
