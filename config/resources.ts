/**
 * Container resources as a stack declares them (`resources` for the app and its migration Jobs,
 * `backups.resources` for the backup jobs): CPU, memory and ephemeral storage, each a request and a
 * limit. Ephemeral storage covers what a container writes to its node's disk: its logs and the
 * /tmp emptyDir, whose `sizeLimit` is the container's ephemeral-storage limit.
 */
import { z } from "zod";
import { parseQuantity } from "../lib/quantity";

export interface ResourceQuantities {
  readonly cpu: string;
  readonly memory: string;
  readonly ephemeralStorage: string;
}

export interface ContainerResources {
  readonly requests: ResourceQuantities;
  readonly limits: ResourceQuantities;
}

const expect = (message: string) => ({ error: () => message });

/** Pulumi hands scalars over as text; a YAML `2` meant as a quantity arrives as a number. */
const quantity = (example: string) => {
  const message = `must be a Kubernetes quantity such as \`${example}\``;
  return z.preprocess(
    (v) => (typeof v === "number" ? String(v) : v),
    z
      .string(expect(message))
      .min(1, expect(message))
      .refine((v) => parseQuantity(v) !== undefined, expect(message)),
  );
};

const quantities = (ephemeralStorageDefault: string) =>
  z.strictObject(
    {
      cpu: quantity("250m"),
      memory: quantity("256Mi"),
      /** Node disk the container may use: logs and /tmp. */
      ephemeralStorage: quantity("1Gi").default(ephemeralStorageDefault),
    },
    expect("must be an object with `cpu`, `memory` and optionally `ephemeralStorage`"),
  );

/**
 * The schema of a `resources` block; `defaults` applies to the whole block when it is absent, and
 * its ephemeral storage to a block that sets only CPU and memory.
 */
export function resourcesSchema(defaults: ContainerResources) {
  const { ephemeralStorage: requested, ...requests } = defaults.requests;
  const { ephemeralStorage: limited, ...limits } = defaults.limits;
  return z
    .strictObject(
      { requests: quantities(requested), limits: quantities(limited) },
      expect("must be an object with `requests` and `limits`, each with `cpu`, `memory` and optionally `ephemeralStorage`"),
    )
    .prefault({ requests, limits });
}

/** The app's containers (and its migration Jobs). */
export const APP_RESOURCES: ContainerResources = {
  requests: { cpu: "100m", memory: "128Mi", ephemeralStorage: "128Mi" },
  limits: { cpu: "500m", memory: "256Mi", ephemeralStorage: "1Gi" },
};

/** The backup and restore-check jobs; /tmp is their scratch space. */
export const BACKUP_RESOURCES: ContainerResources = {
  requests: { cpu: "250m", memory: "256Mi", ephemeralStorage: "256Mi" },
  limits: { cpu: "1", memory: "512Mi", ephemeralStorage: "2Gi" },
};

/** The maintenance page's Node server (~60 MB resident): small, it only answers 503s. */
export const MAINTENANCE_RESOURCES: ContainerResources = {
  requests: { cpu: "10m", memory: "64Mi", ephemeralStorage: "16Mi" },
  limits: { cpu: "200m", memory: "128Mi", ephemeralStorage: "64Mi" },
};

/** A request above its limit, one line per resource; `key` is the block's config path. */
export function resourcesProblems(key: string, resources: ContainerResources): string[] {
  const problems: string[] = [];
  for (const resource of ["cpu", "memory", "ephemeralStorage"] as const) {
    const request = resources.requests[resource];
    const limit = resources.limits[resource];
    if (parseQuantity(request)! > parseQuantity(limit)!) {
      problems.push(
        `\`${key}.requests.${resource}\` is \`${request}\` but \`${key}.limits.${resource}\` is \`${limit}\`: a request cannot exceed its limit; raise the limit or lower the request`,
      );
    }
  }
  return problems;
}
