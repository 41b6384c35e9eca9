/**
 * Where a switch lands, derived from the stack file alone (the same rules and names the program
 * uses), so the rollback's fast path needs no read of the stack's state before it starts: for every
 * service of the app, its live Service's URN and name, and for the target color its Deployment,
 * image and smoke Job.
 */
import { Color, servicesOf, validateStackConfig } from "../config";
import { smokeJob } from "../components/smokeJob";
import { liveServiceUrn, objectNames, switchNoticeUrn, Traffic } from "../domain/names";

/** One service's part of a switch. */
export interface ServiceTarget {
  /** How people call the service: its `services` key, or the app name for the one-service shorthand. */
  readonly service: string;
  /** The prefix of its objects' names and their `app` label (domain/names.ts). */
  readonly qualifiedName: string;
  readonly liveServiceName: string;
  readonly liveServiceUrn: string;
  readonly deploymentName: string;
  /** The service's image in the target color, as the stack file gives it. */
  readonly image: string;
  /** The smoke Job that gated this image; undefined when the smoke gate is off. */
  readonly smokeJobName?: string;
}

export interface SwitchTarget {
  readonly stack: string;
  readonly namespace: string;
  /** Where the live Services go: a color, or the maintenance page (`maintenance`). */
  readonly color: Traffic;
  /** Every service of the app, in declaration order: a switch moves them all. */
  readonly services: readonly ServiceTarget[];
  /** The app's SwitchNotice, with a `notify` section: targeted too, so the switch is announced once. */
  readonly noticeUrn?: string;
}

type Parsed = Extract<ReturnType<typeof validateStackConfig>, { ok: true }>["config"];

/** The switch of every service of the app to `color`, which must have a release (an image per service). */
export function switchTarget(config: Parsed, stack: string, project: string, color: Color): SwitchTarget {
  const services = servicesOf(config).map((service): ServiceTarget => {
    const image = service.colors[color].image;
    if (image === undefined) {
      const key = service.service === undefined ? `colors.${color}.image` : `colors.${color}.images.${service.service}`;
      throw new Error(`\`${key}\` is not set: ${color} has no release of \`${service.displayName}\` to switch to`);
    }
    const qualified = service.qualifiedName;
    return {
      service: service.displayName,
      qualifiedName: qualified,
      liveServiceName: objectNames.liveService(qualified),
      liveServiceUrn: liveServiceUrn(stack, project, qualified),
      deploymentName: objectNames.deployment(qualified, color),
      image,
      smokeJobName: config.smoke.enabled
        ? smokeJob({
            app: qualified,
            namespace: config.namespace,
            color,
            image,
            servicePort: service.servicePort,
            checks: service.smokeChecks,
            timeoutSeconds: config.smoke.timeoutSeconds,
            retries: config.smoke.retries,
            backoffSeconds: config.smoke.backoffSeconds,
          }).jobName
        : undefined,
    };
  });
  return { stack, namespace: config.namespace, color, services, noticeUrn: config.notify ? switchNoticeUrn(stack, project, config.app) : undefined };
}
