/**
 * A container's resources as Kubernetes takes them, and the /tmp emptyDir that goes with them: every
 * container of the program requests and limits CPU, memory and ephemeral storage, and every emptyDir
 * has a `sizeLimit` (the container's ephemeral-storage limit, which also bounds /tmp with the logs).
 */
import { ContainerResources, ResourceQuantities } from "../config/resources";

export type { ContainerResources };

/** The Kubernetes `resources` of a container. */
export function containerResources(resources: ContainerResources) {
  const side = (q: ResourceQuantities) => ({ cpu: q.cpu, memory: q.memory, "ephemeral-storage": q.ephemeralStorage });
  return { requests: side(resources.requests), limits: side(resources.limits) };
}

/** The writable /tmp of a container with these resources (the root filesystem is read-only). */
export function tmpVolume(resources: ContainerResources) {
  return { name: "tmp", emptyDir: { sizeLimit: resources.limits.ephemeralStorage } };
}
