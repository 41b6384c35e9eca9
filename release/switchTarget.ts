/**
 * Where a switch lands, derived from the stack file alone (the same rules and names the program
 * uses), so the rollback's fast path needs no read of the stack's state before it starts: the live
 * Service's URN and name, and for the target color its Deployment, image and smoke Job.
 */
import { Color, smokeWithDefaults, validateStackConfig } from "../config";
import { smokeJob } from "../components/smokeJob";

export interface SwitchTarget {
  readonly stack: string;
  readonly namespace: string;
  readonly liveServiceName: string;
  readonly liveServiceUrn: string;
  readonly color: Color;
  readonly deploymentName: string;
  readonly image: string;
  /** The smoke Job that gated this color's image; undefined when the smoke gate is off. */
  readonly smokeJobName?: string;
}

type Parsed = Extract<ReturnType<typeof validateStackConfig>, { ok: true }>["config"];

/** The URN of the live Service: `index.ts` declares LiveService `<app>-live` at the top level. */
export function liveServiceUrn(stack: string, project: string, app: string): string {
  return `urn:pulumi:${stack}::${project}::bluegreen:k8s:LiveService$kubernetes:core/v1:Service::${app}-live`;
}

export function switchTarget(config: Parsed, stack: string, project: string, color: Color): SwitchTarget {
  const image = config.colors[color].image!;
  const smoke = smokeWithDefaults(config);
  return {
    stack,
    namespace: config.namespace,
    liveServiceName: config.app,
    liveServiceUrn: liveServiceUrn(stack, project, config.app),
    color,
    deploymentName: `${config.app}-${color}`,
    image,
    smokeJobName: smoke.enabled
      ? smokeJob({
          app: config.app,
          namespace: config.namespace,
          color,
          image,
          servicePort: config.servicePort,
          checks: smoke.checks,
          timeoutSeconds: smoke.timeoutSeconds,
          retries: smoke.retries,
          backoffSeconds: smoke.backoffSeconds,
        }).jobName
      : undefined,
  };
}
