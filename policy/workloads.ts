/**
 * Reading Kubernetes workloads and stack facts the way the policies need them: the Pod spec inside
 * any workload kind, its containers, a display name, and whether a stack is production.
 */
export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const JOB = "kubernetes:batch/v1:Job";
export const CRON_JOB = "kubernetes:batch/v1:CronJob";
export const SERVICE = "kubernetes:core/v1:Service";

/** Where each workload kind keeps its Pod spec. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  [DEPLOYMENT]: ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  [JOB]: ["spec", "template", "spec"],
  [CRON_JOB]: ["spec", "jobTemplate", "spec", "template", "spec"],
  "kubernetes:core/v1:Pod": ["spec"],
};

export const WORKLOAD_TYPES: readonly string[] = Object.keys(POD_SPEC_PATHS);

/** `Deployment` from `kubernetes:apps/v1:Deployment`. */
export function kindOf(type: string): string {
  return type.slice(type.lastIndexOf(":") + 1);
}

export function podSpecOf(type: string, props: Record<string, any>): Record<string, any> | undefined {
  const path = POD_SPEC_PATHS[type];
  if (!path) return undefined;
  let current: any = props;
  for (const segment of path) current = current?.[segment];
  return current && typeof current === "object" ? current : undefined;
}

export interface ContainerRef {
  /** `container` or `init container` */
  readonly role: string;
  readonly container: Record<string, any>;
}

export function containersOf(podSpec: Record<string, any>): ContainerRef[] {
  const list = (value: unknown) => (Array.isArray(value) ? (value as Record<string, any>[]) : []);
  return [
    ...list(podSpec.initContainers).map((container) => ({ role: "init container", container })),
    ...list(podSpec.containers).map((container) => ({ role: "container", container })),
  ];
}

/** The object's Kubernetes name when it is known, else its Pulumi resource name. */
export function displayName(props: Record<string, any>, name: string): string {
  const metadataName = known(() => props.metadata?.name);
  return typeof metadataName === "string" && metadataName !== "" ? metadataName : name;
}

/** `container \`web\` of Deployment \`web-blue\`` */
export function describeContainer(ref: ContainerRef, type: string, objectName: string): string {
  return `${ref.role} \`${ref.container.name}\` of ${kindOf(type)} \`${objectName}\``;
}

/** The stack name from a resource URN: `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function stackOf(urn: string): string {
  return urn.split("::")[0].replace(/^urn:pulumi:/, "");
}

/**
 * A stack is production when its name is `production`, or when it carries the stack tag
 * `environment: production` (`pulumi stack tag set environment production`), so a differently
 * named production stack (`production-eu`) opts in explicitly rather than by a guess on its name.
 */
export function isProductionStack(urn: string, stackTags: ReadonlyMap<string, string>): boolean {
  return stackOf(urn) === "production" || stackTags.get("environment") === "production";
}

/**
 * `read()`'s value, or undefined when it is not known yet: during a preview, @pulumi/policy throws
 * on reading a value that depends on a resource not created yet.
 */
export function known<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof Error && error.constructor.name === "UnknownValueError") return undefined;
    throw error;
  }
}
