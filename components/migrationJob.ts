/**
 * A release's migration as a Kubernetes Job named by a hash of what it runs (image, command, the
 * migration files, phase). Jobs are immutable and run once, so an unchanged release keeps its
 * completed Job (nothing re-runs) and a new release gets a new Job. Pulumi awaits the Job: a failed
 * migration fails `pulumi up` before any Deployment that depends on it changes.
 *
 * In sql mode the files travel in an immutable ConfigMap named by their content hash (MigrationFiles).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { APP_RESOURCES } from "../config/resources";
import { MIGRATIONS_MOUNT_PATH, MigrationFileContent, migrationFilesHash, MigrationJobSpec, migrationJobHash, MigrationPhase, sortedFiles } from "../domain/migrationPlan";
import { ContainerResources, containerResources, tmpVolume } from "./containerResources";
import { ignoredAfterCreation } from "./jobIdentity";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./restrictedSecurity";

export * from "../domain/migrationPlan";

// ---------------------------------------------------------------------------------------------

export interface MigrationFilesArgs {
  /** App name; the ConfigMap is `<app>-migrations-<hash>`. */
  readonly app: string;
  readonly namespace: string;
  /** The NNN_name.sql files; their names become the ConfigMap's keys. */
  readonly files: readonly MigrationFileContent[];
}

/** The SQL files as an immutable ConfigMap whose name carries their content hash. */
export class MigrationFiles extends pulumi.ComponentResource {
  public readonly configMap: k8s.core.v1.ConfigMap;
  /** Content hash of the files. */
  public readonly hash: string;
  /** Name of the ConfigMap, for a volume. */
  public readonly configMapName: pulumi.Output<string>;

  constructor(name: string, args: MigrationFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.files.length === 0) throw new Error(`MigrationFiles ${name}: \`files\` is empty; ship at least one NNN_name.sql file`);
    const badKey = args.files.find((f) => !/^[-._a-zA-Z0-9]+$/.test(f.name));
    if (badKey) throw new Error(`MigrationFiles ${name}: file name \`${badKey.name}\` cannot be a ConfigMap key; use letters, digits, \`-\`, \`_\` and \`.\``);
    super("bluegreen:k8s:MigrationFiles", name, {}, opts);

    this.hash = migrationFilesHash(args.files);
    this.configMap = new k8s.core.v1.ConfigMap(
      `${name}-${this.hash}`,
      {
        metadata: {
          name: `${args.app}-migrations-${this.hash}`,
          namespace: args.namespace,
          labels: { app: args.app, role: "migration", "bluegreen/migration-files": this.hash },
        },
        immutable: true,
        data: Object.fromEntries(sortedFiles(args.files).map((f) => [f.name, f.content])),
      },
      { parent: this },
    );
    this.configMapName = this.configMap.metadata.name;
    this.registerOutputs({ configMapName: this.configMapName, hash: this.hash });
  }
}

// ---------------------------------------------------------------------------------------------

export interface MigrationJobArgs {
  /** App name; the Job is `<app>-migrate-<hash>`. */
  readonly app: string;
  readonly namespace: string;
  /** What the Job runs. */
  readonly spec: MigrationJobSpec;
  /** Names the Job: what it runs, and for an expand Job the color and release it gates. @default migrationJobHash(spec) */
  readonly hash?: string;
  /** The DATABASE_URL env entry, a `secretKeyRef` (DatabaseSecret.databaseUrlEnv()). */
  readonly databaseUrlEnv: pulumi.Input<k8s.types.input.core.v1.EnvVar>;
  /** The ConfigMap holding `spec.files`, mounted at /migrations; required when `spec.files` is not empty. */
  readonly files?: MigrationFiles;
  /** Retries after a failed attempt. @default 1 */
  readonly backoffLimit?: number;
  /** Seconds before Kubernetes stops the Job. @default 900 */
  readonly activeDeadlineSeconds?: number;
  /** Container CPU, memory and ephemeral storage (which also sizes /tmp). @default the app's defaults (APP_RESOURCES) */
  readonly resources?: ContainerResources;
}


export class MigrationJob extends pulumi.ComponentResource {
  /** The Job; depend on this component (or this Job) to run after the migration. */
  public readonly job: k8s.batch.v1.Job;
  /** Hash that names the Job (`args.hash`, else migrationJobHash of the spec). */
  public readonly hash: string;
  public readonly phase: MigrationPhase;
  public readonly jobName: pulumi.Output<string>;

  constructor(name: string, args: MigrationJobArgs, opts?: pulumi.ComponentResourceOptions) {
    const { spec } = args;
    if (spec.image.trim() === "") throw new Error(`MigrationJob ${name}: \`spec.image\` is empty`);
    if (spec.command.length === 0) throw new Error(`MigrationJob ${name}: \`spec.command\` is empty; give the migration command, such as \`[npx, prisma, migrate, deploy]\``);
    if (spec.files.length > 0 && !args.files) throw new Error(`MigrationJob ${name}: \`spec.files\` has ${spec.files.length} file(s) but \`files\` (their ConfigMap) is not given`);
    const backoffLimit = args.backoffLimit ?? 1;
    const activeDeadlineSeconds = args.activeDeadlineSeconds ?? 900;
    if (!Number.isInteger(backoffLimit) || backoffLimit < 0) throw new Error(`MigrationJob ${name}: \`backoffLimit\` is ${backoffLimit}; use a whole number ≥ 0`);
    if (!Number.isInteger(activeDeadlineSeconds) || activeDeadlineSeconds < 1) {
      throw new Error(`MigrationJob ${name}: \`activeDeadlineSeconds\` is ${activeDeadlineSeconds}; use a whole number ≥ 1`);
    }
    super("bluegreen:k8s:MigrationJob", name, {}, opts);

    this.hash = args.hash ?? migrationJobHash(spec);
    this.phase = spec.phase;
    const resources = args.resources ?? APP_RESOURCES;
    const labels = { app: args.app, role: "migration", "bluegreen/phase": spec.phase, "bluegreen/migration-hash": this.hash };

    const volumeMounts: k8s.types.input.core.v1.VolumeMount[] = [{ name: "tmp", mountPath: "/tmp" }];
    const volumes: k8s.types.input.core.v1.Volume[] = [tmpVolume(resources)];
    if (args.files) {
      volumeMounts.push({ name: "migrations", mountPath: MIGRATIONS_MOUNT_PATH, readOnly: true });
      volumes.push({ name: "migrations", configMap: { name: args.files.configMapName } });
    }

    this.job = new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: {
          name: `${args.app}-migrate-${this.hash}`,
          namespace: args.namespace,
          labels,
          // A failed Job is replaced (re-run) by the next `pulumi up` instead of blocking it.
          annotations: { "pulumi.com/replaceUnready": "true" },
        },
        // No ttlSecondsAfterFinished: a Job deleted behind Pulumi's back reads as drift and re-runs.
        spec: {
          backoffLimit,
          activeDeadlineSeconds,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: restrictedPodSecurityContext,
              containers: [
                {
                  name: "migrate",
                  image: spec.image,
                  imagePullPolicy: "IfNotPresent",
                  command: [...spec.command],
                  // HOME on the writable /tmp: tools such as npx write caches there.
                  env: [args.databaseUrlEnv, { name: "HOME", value: "/tmp" }],
                  resources: containerResources(resources),
                  securityContext: restrictedContainerSecurityContext,
                  volumeMounts,
                },
              ],
              volumes,
            },
          },
        },
      },
      // A same-named Job cannot be created before the old one is deleted (replaceUnready retries).
      // Pulumi awaits the Job for its whole deadline (its default await is 10 minutes). What is not
      // in the hash is ignored once the Job exists, so changing it neither re-runs nor replaces a
      // migration (components/jobIdentity.ts).
      {
        parent: this,
        dependsOn: opts?.dependsOn,
        deleteBeforeReplace: true,
        ignoreChanges: ignoredAfterCreation({ databaseUrlEnv: true, tmpVolume: true }),
        customTimeouts: { create: `${activeDeadlineSeconds + 120}s`, update: `${activeDeadlineSeconds + 120}s` },
      },
    );
    this.jobName = this.job.metadata.name;
    this.registerOutputs({ jobName: this.jobName, hash: this.hash, phase: this.phase });
  }
}
