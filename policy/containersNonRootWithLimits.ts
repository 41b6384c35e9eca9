/**
 * Every container (Deployments, Jobs, CronJobs and other workloads) runs as a non-root user and has
 * CPU and memory limits, so one process can neither own its node nor starve its neighbours.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describeContainer, displayName, podSpecOf } from "./workloads";

export const containersNonRootWithLimits: ResourceValidationPolicy = {
  name: "containers-non-root-with-limits",
  description: "Containers run as non-root and have CPU and memory limits.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const podSpec = podSpecOf(args.type, args.props);
    if (!podSpec) return;
    const objectName = displayName(args.props, args.name);
    const pod = podSpec.securityContext ?? {};
    for (const ref of containersOf(podSpec)) {
      const own = ref.container.securityContext ?? {};
      const where = describeContainer(ref, args.type, objectName);
      const nonRoot = own.runAsNonRoot ?? pod.runAsNonRoot;
      const user = own.runAsUser ?? pod.runAsUser;
      if (user === 0) {
        reportViolation(`${where} runs as UID 0 (root): set \`runAsUser\` to a non-zero UID, such as 10001, with \`runAsNonRoot: true\``);
      } else if (nonRoot !== true) {
        reportViolation(
          `${where} may run as root: set \`securityContext.runAsNonRoot: true\` and a non-zero \`runAsUser\` (such as 10001) on the Pod or the container`,
        );
      }
      const limits = ref.container.resources?.limits ?? {};
      const missing = (["cpu", "memory"] as const).filter((r) => limits[r] === undefined || limits[r] === "");
      if (missing.length > 0) {
        const example = missing.map((r) => `\`resources.limits.${r}\` (such as \`${r === "cpu" ? "500m" : "256Mi"}\`)`).join(" and ");
        reportViolation(`${where} has no ${missing.join(" or ")} limit: set ${example}`);
      }
    }
  },
};
