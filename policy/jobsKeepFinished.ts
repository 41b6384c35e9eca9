/**
 * Jobs never set `ttlSecondsAfterFinished`: Kubernetes would delete the finished Job, the next
 * `pulumi up` would see it missing and run it again (a second migration, a second backup). Jobs are
 * named by a hash of what they run instead. CronJobs keep history with their history limits.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { CRON_JOB, displayName, JOB } from "./workloads";

export const jobsKeepFinished: ResourceValidationPolicy = {
  name: "jobs-keep-finished",
  description: "Jobs and CronJob job templates never set `ttlSecondsAfterFinished`.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const name = displayName(args.props, args.name);
    if (args.type === JOB && args.props.spec?.ttlSecondsAfterFinished !== undefined) {
      reportViolation(
        `Job \`${name}\` sets \`spec.ttlSecondsAfterFinished\`: Kubernetes deletes the finished Job and the next \`pulumi up\` runs it again; remove it and name the Job by a hash of what it runs`,
      );
    }
    if (args.type === CRON_JOB && args.props.spec?.jobTemplate?.spec?.ttlSecondsAfterFinished !== undefined) {
      reportViolation(
        `CronJob \`${name}\` sets \`spec.jobTemplate.spec.ttlSecondsAfterFinished\`: finished runs vanish before anyone reads their logs; remove it and bound history with \`successfulJobsHistoryLimit\` and \`failedJobsHistoryLimit\``,
      );
    }
  },
};
