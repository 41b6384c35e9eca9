/**
 * The live Service (label `role: live`) must select Pods of a Deployment that has an image, at
 * least one replica and is not retired (a retired color's schema may be contracted); otherwise the switch sends users to nothing, and pulumi-kubernetes fails
 * `pulumi up` halfway with "does not target any Pods". In maintenance it selects the maintenance
 * page's Deployment (`color: maintenance`), held to the same rules.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { DEPLOYMENT, displayName, SERVICE, stackOf } from "./workloads";

import { LIVE_ROLE, MAINTENANCE, RETIRED_ANNOTATION } from "../domain/names";

export { RETIRED_ANNOTATION };

function showSelector(selector: Record<string, string>): string {
  return `{${Object.entries(selector).map(([k, v]) => `${k}: ${v}`).join(", ")}}`;
}

export const liveServiceTargetsReadyColor: StackValidationPolicy = {
  name: "live-service-targets-ready-color",
  description: "The live Service selects a color whose Deployment has an image and replicas > 0.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const deployments = args.resources.filter((r) => r.type === DEPLOYMENT);
    for (const service of args.resources.filter((r) => r.type === SERVICE && r.props.metadata?.labels?.role === LIVE_ROLE)) {
      const selector: Record<string, string> = service.props.spec?.selector ?? {};
      const namespace = service.props.metadata?.namespace;
      const serviceName = displayName(service.props, service.name);
      const stack = stackOf(service.urn);
      // The fixes below name a color's keys; the maintenance page has its own.
      const maintenance = selector.color === MAINTENANCE;
      const color = maintenance ? undefined : selector.color;
      const rollback = `npx bluegreen rollback -s ${stack}`;
      const matching = deployments.filter((d) => {
        const labels: Record<string, string> = d.props.spec?.template?.metadata?.labels ?? {};
        return d.props.metadata?.namespace === namespace && Object.entries(selector).every(([k, v]) => labels[k] === v);
      });
      if (Object.keys(selector).length === 0) {
        reportViolation(`live Service \`${serviceName}\` has no selector: it must select the active color's Pods, such as \`{app: web, color: blue}\``, service.urn);
        continue;
      }
      if (matching.length === 0) {
        reportViolation(
          `live Service \`${serviceName}\` selects ${showSelector(selector)}, but no Deployment in namespace \`${namespace}\` runs Pods with those labels: ` +
            (color
              ? `stage an image on ${color} with \`npx bluegreen stage ${color} <image> -s ${stack}\`, or point \`activeColor\` back with \`${rollback}\``
              : maintenance
                ? `the maintenance page is declared by the \`maintenance\` section; keep it, or leave maintenance with \`pulumi config set --path maintenance.enabled false -s ${stack}\``
                : "point the selector at a Deployment's Pod labels"),
          service.urn,
        );
        continue;
      }
      const problemsPerDeployment = matching.map((deployment) => {
        const name = displayName(deployment.props, deployment.name);
        const replicas = deployment.props.spec?.replicas ?? 1;
        const containers: any[] = deployment.props.spec?.template?.spec?.containers ?? [];
        const problems: string[] = [];
        if (deployment.props.metadata?.annotations?.[RETIRED_ANNOTATION] === "true") {
          problems.push(
            `Deployment \`${name}\` is retired (its schema may be contracted)` +
              (color ? `: stage a compatible image with \`npx bluegreen stage ${color} <image> -s ${stack}\`, or point \`activeColor\` back with \`${rollback}\`` : ""),
          );
        }
        if (replicas < 1) {
          problems.push(
            `Deployment \`${name}\` has ${replicas} replicas: scale it up` +
              (color
                ? ` with \`pulumi config set --path colors.${color}.replicas 2 -s ${stack}\`, or point \`activeColor\` back with \`${rollback}\``
                : maintenance
                  ? ` with \`pulumi config set --path maintenance.replicas 1 -s ${stack}\``
                  : ""),
          );
        }
        if (containers.length === 0 || containers.some((c) => typeof c.image !== "string" || c.image === "")) {
          problems.push(
            `Deployment \`${name}\` has a container without an image` +
              (color ? `: stage one with \`npx bluegreen stage ${color} <image> -s ${stack}\`` : ""),
          );
        }
        return problems;
      });
      // One ready Deployment behind the selector is enough.
      if (problemsPerDeployment.some((problems) => problems.length === 0)) continue;
      for (const problem of problemsPerDeployment.flat()) {
        reportViolation(`live Service \`${serviceName}\` selects ${showSelector(selector)}, but ${problem}`, service.urn);
      }
    }
  },
};
