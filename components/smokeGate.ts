/**
 * The smoke gate: per color that runs Pods, a Kubernetes Job that calls the color's preview Service
 * with the configured checks (`node dist/jobs/cli.js smoke`). The live Service depends on the active
 * color's Job, so traffic never switches to a color that failed it.
 *
 * A Job is named by a hash of what it checks (color, the color's app image, checks, URL, timeouts),
 * so it runs once per release of a color, and a color's gate never depends on the other color or on
 * stack-wide settings. A new `jobsImage` alone does not re-run a passed gate (its image is ignored
 * after creation): the rollback to a checked color never waits for a new smoke run. Promoting or rolling back to a color whose Job
 * already passed changes nothing here: the switch does not wait for a re-run. Job templates are
 * immutable, hence the hash; a failed Job is replaced on the next `pulumi up`
 * (`pulumi.com/replaceUnready`); no `ttlSecondsAfterFinished`, since a deleted Job would read as drift.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { COLORS, Color } from "../config";
import { SmokeCheck, smokeJob } from "./smokeJob";
import { ContainerResources, containerResources } from "./containerResources";
import { ignoredAfterCreation } from "./jobIdentity";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./restrictedSecurity";

export interface SmokeGateArgs {
  /** App name: the Jobs are named `<app>-smoke-<color>-<hash>`. */
  readonly app: string;
  /** Namespace of the Jobs and the preview Services. */
  readonly namespace: string;
  /** Colors to check (those that run Pods) and the app image each runs. */
  readonly colors: Readonly<Partial<Record<Color, { readonly image: string }>>>;
  /** Image with the jobs CLI (`node dist/jobs/cli.js smoke`). */
  readonly jobsImage: string;
  /** Port of the preview Services. @default 80 */
  readonly servicePort?: number;
  /** Requests to make, in order; all must pass. */
  readonly checks: readonly SmokeCheck[];
  /** Per request. @default 5 */
  readonly timeoutSeconds?: number;
  /** Extra attempts per check. @default 3 */
  readonly retries?: number;
  /** Wait before the first retry, doubling each retry. @default 2 */
  readonly backoffSeconds?: number;
  /** Time the Job's deadline leaves for scheduling, the image pull and start-up, on top of the checks' worst case. @default 60 */
  readonly startupAllowanceSeconds?: number;
  /** What each color's Job waits for: its Deployment, so it checks the rolled-out release. */
  readonly dependsOn: Readonly<Partial<Record<Color, readonly pulumi.Resource[]>>>;
}


/** A smoke Job's container: a few HTTP requests and their log lines, nothing written to disk. */
export const SMOKE_RESOURCES: ContainerResources = {
  requests: { cpu: "50m", memory: "64Mi", ephemeralStorage: "16Mi" },
  limits: { cpu: "200m", memory: "128Mi", ephemeralStorage: "64Mi" },
};

/** Longest a smoke run can take: every attempt timing out plus every backoff. */
export function worstCaseSeconds(checks: number, timeoutSeconds: number, retries: number, backoffSeconds: number): number {
  let backoff = 0;
  for (let i = 0; i < retries; i++) backoff += backoffSeconds * 2 ** i;
  return checks * ((retries + 1) * timeoutSeconds + backoff);
}

export class SmokeGate extends pulumi.ComponentResource {
  /** The smoke Job per checked color. */
  public readonly jobs: Readonly<Partial<Record<Color, k8s.batch.v1.Job>>>;
  /** Kubernetes name of each color's Job. */
  public readonly jobNames: Readonly<Partial<Record<Color, string>>>;

  constructor(name: string, args: SmokeGateArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.checks.length === 0) throw new Error(`SmokeGate ${name}: \`checks\` is empty; give at least one check`);
    super("bluegreen:k8s:SmokeGate", name, {}, opts);

    const servicePort = args.servicePort ?? 80;
    const timeoutSeconds = args.timeoutSeconds ?? 5;
    const retries = args.retries ?? 3;
    const backoffSeconds = args.backoffSeconds ?? 2;
    // The checks' own worst case, plus time for the Pod to be scheduled, the image pulled and the CLI started.
    const deadlineSeconds = worstCaseSeconds(args.checks.length, timeoutSeconds, retries, backoffSeconds) + (args.startupAllowanceSeconds ?? 60);

    const jobs: Partial<Record<Color, k8s.batch.v1.Job>> = {};
    const jobNames: Partial<Record<Color, string>> = {};
    for (const color of COLORS) {
      const target = args.colors[color];
      if (!target) continue;
      const { command, jobName } = smokeJob({ app: args.app, namespace: args.namespace, color, image: target.image, servicePort, checks: args.checks, timeoutSeconds, retries, backoffSeconds });
      const labels = { app: args.app, color, role: "smoke" };

      // The resource is named by the hash too, like the Job: a new release is a new resource and the
      // previous one is deleted once the update succeeds. Replacing one resource instead would, after
      // a failed release reverted to the previous image, create the old Job's name again while the
      // engine still held the old object for deletion, and that deletion removed the new Job.
      const hash = jobName.slice(jobName.lastIndexOf("-") + 1);
      jobs[color] = new k8s.batch.v1.Job(
        `${name}-${color}-${hash}`,
        {
          metadata: {
            name: jobName,
            namespace: args.namespace,
            labels,
            annotations: { "pulumi.com/replaceUnready": "true" },
          },
          spec: {
            // A failed check fails the Job at once; only a Pod lost to a node going away is retried.
            backoffLimit: 2,
            podFailurePolicy: {
              rules: [
                { action: "FailJob", onExitCodes: { containerName: "smoke", operator: "NotIn", values: [0] } },
                { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
              ],
            },
            activeDeadlineSeconds: deadlineSeconds,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: "Never",
                automountServiceAccountToken: false,
                securityContext: restrictedPodSecurityContext,
                containers: [
                  {
                    name: "smoke",
                    image: args.jobsImage,
                    imagePullPolicy: "IfNotPresent",
                    command,
                    resources: containerResources(SMOKE_RESOURCES),
                    securityContext: restrictedContainerSecurityContext,
                  },
                ],
              },
            },
          },
        },
        {
          parent: this,
          // Stacks before the hash was in the resource name: the same Job under its new name.
          aliases: [{ name: `${name}-${color}` }],
          dependsOn: [...(args.dependsOn[color] ?? [])],
          // What is not in the hash (the jobs image, resources, the deadline) is ignored once the Job
          // exists: changing it neither re-runs nor replaces a passed gate (components/jobIdentity.ts).
          ignoreChanges: ignoredAfterCreation({ image: true }),
          customTimeouts: { create: `${deadlineSeconds + 120}s`, update: `${deadlineSeconds + 120}s` },
        },
      );
      jobNames[color] = jobName;
    }
    this.jobs = jobs;
    this.jobNames = jobNames;
    this.registerOutputs({ jobNames });
  }
}
