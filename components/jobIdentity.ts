/**
 * What a Job is: every Job of the program is named by a hash of what it runs (image, command and
 * arguments, the settings its program reads, the files it mounts), so a change to any of these
 * gives a new Job, which runs. Every other field is ignored once the Job exists (`ignoreChanges`):
 * Job templates are immutable, and a change to one would replace the Job under the same name,
 * re-running a migration or a full backup for nothing.
 *
 * The ignored fields keep the values the Job was created with, also when a failed Job is re-created
 * by `pulumi.com/replaceUnready`. To retry a failed Job with new resources or a longer deadline,
 * delete it first (`kubectl delete job <name>`, then `pulumi up --refresh`): it is then created
 * from the program's values.
 */

/** Property paths of a Job (its first container) that are not part of what it runs. */
export function ignoredAfterCreation(job: {
  /** The container's `env[0]` reads the database Secret, whose name changes on every rotation. */
  readonly databaseUrlEnv?: boolean;
  /** `volumes[0]` is the /tmp emptyDir, sized by the container's ephemeral-storage limit. */
  readonly tmpVolume?: boolean;
  /** The image is the tool, not what is checked (the smoke Jobs). */
  readonly image?: boolean;
}): string[] {
  return [
    "spec.activeDeadlineSeconds",
    "spec.backoffLimit",
    "spec.template.spec.containers[0].resources",
    ...(job.image ? ["spec.template.spec.containers[0].image"] : []),
    ...(job.databaseUrlEnv ? ["spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name"] : []),
    ...(job.tmpVolume ? ["spec.template.spec.volumes[0].emptyDir"] : []),
  ];
}
