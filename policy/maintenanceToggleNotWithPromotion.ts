/**
 * A promotion and a maintenance toggle never land in one update (domain/maintenance.ts): refused
 * when a live Service's deployed selector and its new one show `maintenance.enabled` toggled (a
 * color to `maintenance`, or `maintenance` to a color) while the `activeColor` they carry differs
 * (the selector's color, or the `bluegreen.dev/active-color` annotation while in maintenance).
 *
 * @pulumi/policy passes a resource's new inputs only, so the deployed side is read from the cluster
 * (deployedLiveServices.ts), before the Service is updated. Only the live Services of a stack with a
 * `maintenance` section are compared (they carry the annotation; without it no toggle can happen).
 * A stack that renders manifests (`kubernetes:renderYamlToDirectory`) has no cluster to compare with.
 * The read failing is a violation: the policy cannot vouch for what it did not see.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { toggleWithPromotionProblem, trafficFromService } from "../domain/maintenance";
import { ACTIVE_COLOR_ANNOTATION, LIVE_ROLE } from "../domain/names";
import { ClusterRef, DeployedReader, kubectlReader } from "./deployedLiveServices";
import { displayName, known, SERVICE } from "./workloads";

export const MAINTENANCE_TOGGLE_POLICY = "maintenance-toggle-not-with-promotion";

/** The policy, comparing with what `read` says is deployed. */
export function maintenanceToggleNotWithPromotionPolicy(read: DeployedReader): ResourceValidationPolicy {
  return {
    name: MAINTENANCE_TOGGLE_POLICY,
    description: "An update does not toggle maintenance and change activeColor at once (each live Service compared with the deployed one).",
    enforcementLevel: "mandatory",
    validateResource: async (args, reportViolation) => {
      if (args.type !== SERVICE) return;
      const metadata = known(() => args.props.metadata) ?? {};
      if (metadata.labels?.role !== LIVE_ROLE || metadata.annotations?.[ACTIVE_COLOR_ANNOTATION] === undefined) return;
      const planned = trafficFromService(known(() => args.props.spec?.selector), metadata.annotations);
      const namespace = metadata.namespace;
      const name = displayName(args.props, args.name);
      if (!planned || typeof namespace !== "string" || typeof metadata.name !== "string") return;

      const provider: Record<string, unknown> = known(() => args.provider?.props) ?? {};
      if (provider.renderYamlToDirectory) return;
      const cluster: ClusterRef = {
        ...(typeof provider.context === "string" && provider.context !== "" ? { context: provider.context } : {}),
        ...(typeof provider.kubeconfig === "string" && provider.kubeconfig !== "" ? { kubeconfig: provider.kubeconfig } : {}),
      };
      let deployed;
      try {
        deployed = await read(namespace, metadata.name, cluster);
      } catch (error) {
        reportViolation(
          `live Service \`${name}\`: cannot read the deployed one to compare with (${(error as Error).message}); this policy refuses a maintenance toggle and a promotion in one update, and needs the cluster the preview deploys to`,
        );
        return;
      }
      const before = deployed && trafficFromService(deployed.selector, deployed.annotations);
      if (!before) return;
      const problem = toggleWithPromotionProblem(before, planned);
      if (problem) reportViolation(`live Service \`${name}\`: ${problem}`);
    },
  };
}

export const maintenanceToggleNotWithPromotion = maintenanceToggleNotWithPromotionPolicy(kubectlReader());
