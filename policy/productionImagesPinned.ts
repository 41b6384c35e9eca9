/**
 * In production every container image is pinned to a version tag or a digest, never `latest` or no
 * tag: a deploy must run exactly what was reviewed, and a rollback must bring back exactly that.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { parseImageRef, unpinnedReason } from "../lib/imageRef";
import { containersOf, describeContainer, displayName, isProductionStack, podSpecOf } from "./workloads";

export const productionImagesPinned: ResourceValidationPolicy = {
  name: "production-images-pinned",
  description: "Production images are pinned to a version tag or a digest, never `latest`.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const podSpec = podSpecOf(args.type, args.props);
    if (!podSpec || !isProductionStack(args.urn, args.stackTags)) return;
    const objectName = displayName(args.props, args.name);
    for (const ref of containersOf(podSpec)) {
      const image = ref.container.image;
      const where = describeContainer(ref, args.type, objectName);
      const parsed = typeof image === "string" ? parseImageRef(image) : undefined;
      if (!parsed) {
        reportViolation(`${where} has image \`${image ?? "not set"}\`, which is not an image reference: use \`registry/repository:1.4.2\` or \`registry/repository@sha256:<digest>\``);
        continue;
      }
      const reason = unpinnedReason(parsed);
      if (reason) {
        reportViolation(
          `${where} uses image \`${image}\`: production images must be pinned (${reason}); use a version tag or a digest, such as \`${parsed.repository}:1.4.2\` or \`${parsed.repository}@sha256:<digest>\``,
        );
      }
    }
  },
};
