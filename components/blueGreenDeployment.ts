/**
 * Both colors of one app: per color a Deployment, a preview Service (so the idle color can be
 * tested before it gets traffic) and a PodDisruptionBudget. The colors never share a selector.
 * Which color is live is decided by LiveService, not here.
 */
import * as k8s from "@pulumi/kubernetes";
import { ROLLING_UPDATE, spreadOverNodesAndZones } from "./podPlacement";
import * as pulumi from "@pulumi/pulumi";
import { Color, ColorConfig, effectiveReplicas } from "../config";
import { COLORS, objectNames, RETIRED_ANNOTATION } from "../domain/names";
import { contentHashedName } from "./contentHashedName";
import { ContainerResources, containerResources, tmpVolume } from "./containerResources";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./restrictedSecurity";

export interface BlueGreenDeploymentArgs {
  /** App name: the `app` label and the prefix of every Kubernetes object name. */
  readonly app: string;
  /** Namespace the objects live in; it must exist. */
  readonly namespace: string;
  /** The color the live Service selects; it must have an image and replicas. */
  readonly activeColor: Color;
  /** Image and replicas per color. A color without an image is not deployed. */
  readonly colors: Readonly<Record<Color, ColorConfig>>;
  /** Container port the app listens on (named `http`). */
  readonly port: number;
  /** Port the preview Services expose. @default 80 */
  readonly servicePort?: number;
  /** Liveness probe path. */
  readonly healthPath: string;
  /** Readiness probe path. */
  readonly readinessPath: string;
  /** How long `pulumi up` waits for a Deployment to roll out before failing it. @default 600 */
  readonly rolloutTimeoutSeconds?: number;
  /** Container requests and limits of CPU, memory and ephemeral storage (which also sizes /tmp). */
  readonly resources: ContainerResources;
  /** Plain environment variables. @default {} */
  readonly env?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Secret environment variables, stored in an immutable Kubernetes Secret named by their content
   * (`<app>-env-<hash>`) and read with `secretKeyRef`. @default {}
   */
  readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Resources each color's Deployment waits for: the migration and backup Jobs of a release (the idle
   * color's only: the live color waits on nothing, so a rollback never does). @default []
   */
  readonly dependsOn?: Readonly<Partial<Record<Color, readonly pulumi.Input<pulumi.Resource>[]>>>;
}


export class BlueGreenDeployment extends pulumi.ComponentResource {
  /** Deployments of the colors that have an image. */
  public readonly deployments: Readonly<Partial<Record<Color, k8s.apps.v1.Deployment>>>;
  /** Preview Service per deployed color: `<app>-<color>-preview`. */
  public readonly previewServices: Readonly<Partial<Record<Color, k8s.core.v1.Service>>>;
  /** PodDisruptionBudget per deployed color. */
  public readonly disruptionBudgets: Readonly<Partial<Record<Color, k8s.policy.v1.PodDisruptionBudget>>>;
  /** The Secret holding `secretEnv` (`<app>-env-<content hash>`), when there is any. */
  public readonly envSecret?: k8s.core.v1.Secret;

  constructor(name: string, args: BlueGreenDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    const active = args.colors[args.activeColor];
    if (!active.image || active.replicas < 1) {
      throw new Error(
        `BlueGreenDeployment ${name}: active color \`${args.activeColor}\` needs an image and at least 1 replica (image ${active.image ?? "not set"}, replicas ${active.replicas})`,
      );
    }
    super("bluegreen:k8s:BlueGreenDeployment", name, {}, opts);

    const servicePort = args.servicePort ?? 80;
    const rollout = args.rolloutTimeoutSeconds ?? 600;
    const secretEnv = args.secretEnv ?? {};
    const secretNames = Object.keys(secretEnv).sort();

    // Named by its content and immutable: a rotated value is a new Secret, both colors' pod templates
    // then name it and roll (env from secretKeyRef is read only at container start), and the old
    // Secret is deleted after them. Never deleteBeforeReplace: Pods starting meanwhile need it.
    let envSecret: k8s.core.v1.Secret | undefined;
    if (secretNames.length > 0) {
      const data = Object.fromEntries(secretNames.map((key) => [key, secretEnv[key]]));
      envSecret = new k8s.core.v1.Secret(
        `${name}-env`,
        {
          metadata: { name: contentHashedName(`${args.app}-env`, data), namespace: args.namespace, labels: { app: args.app } },
          type: "Opaque",
          immutable: true,
          stringData: Object.fromEntries(secretNames.map((key) => [key, pulumi.secret(secretEnv[key])])),
        },
        { parent: this },
      );
    }
    const envSecretName = envSecret?.metadata.name;

    const plainEnv = Object.entries(args.env ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([envName, value]) => ({ name: envName, value }));
    const secretEnvRefs = secretNames.map((envName) => ({
      name: envName,
      valueFrom: { secretKeyRef: { name: envSecretName!, key: envName } },
    }));

    const deployments: Partial<Record<Color, k8s.apps.v1.Deployment>> = {};
    const previewServices: Partial<Record<Color, k8s.core.v1.Service>> = {};
    const disruptionBudgets: Partial<Record<Color, k8s.policy.v1.PodDisruptionBudget>> = {};

    for (const color of COLORS) {
      const spec = args.colors[color];
      if (!spec.image) continue;
      const labels = { app: args.app, color };
      const objectName = objectNames.deployment(args.app, color);

      deployments[color] = new k8s.apps.v1.Deployment(
        `${name}-${color}`,
        {
          metadata: {
            name: objectName,
            namespace: args.namespace,
            labels,
            // Read by the policy pack: traffic must never switch to a retired color.
            ...(spec.retired ? { annotations: { [RETIRED_ANNOTATION]: "true" } } : {}),
          },
          spec: {
            replicas: effectiveReplicas(color, args.activeColor, spec),
            revisionHistoryLimit: 5,
            selector: { matchLabels: labels },
            strategy: ROLLING_UPDATE,
            template: {
              metadata: { labels },
              spec: {
                automountServiceAccountToken: false,
                securityContext: restrictedPodSecurityContext,
                topologySpreadConstraints: spreadOverNodesAndZones(labels),
                containers: [
                  {
                    name: args.app,
                    image: spec.image,
                    imagePullPolicy: "IfNotPresent",
                    ports: [{ name: "http", containerPort: args.port, protocol: "TCP" }],
                    env: [...plainEnv, ...secretEnvRefs],
                    resources: containerResources(args.resources),
                    livenessProbe: {
                      httpGet: { path: args.healthPath, port: "http" },
                      initialDelaySeconds: 10,
                      periodSeconds: 10,
                      timeoutSeconds: 2,
                      failureThreshold: 3,
                    },
                    readinessProbe: {
                      httpGet: { path: args.readinessPath, port: "http" },
                      periodSeconds: 5,
                      timeoutSeconds: 2,
                      failureThreshold: 3,
                    },
                    securityContext: restrictedContainerSecurityContext,
                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                  },
                ],
                volumes: [tmpVolume(args.resources)],
              },
            },
          },
        },
        {
          parent: this,
          dependsOn: [...(args.dependsOn?.[color] ?? [])],
          customTimeouts: { create: `${rollout}s`, update: `${rollout}s` },
        },
      );

      previewServices[color] = new k8s.core.v1.Service(
        `${name}-${color}-preview`,
        {
          metadata: {
            name: objectNames.previewService(args.app, color),
            namespace: args.namespace,
            labels: { ...labels, role: "preview" },
            // An idle color may be scaled to 0, and a Service with no Pods fails pulumi-kubernetes'
            // await. The preview Service gates nothing itself: the smoke Job that calls it does.
            annotations: { "pulumi.com/skipAwait": "true" },
          },
          spec: {
            type: "ClusterIP",
            selector: labels,
            ports: [{ name: "http", port: servicePort, targetPort: "http", protocol: "TCP" }],
          },
        },
        { parent: this },
      );

      disruptionBudgets[color] = new k8s.policy.v1.PodDisruptionBudget(
        `${name}-${color}`,
        {
          metadata: { name: objectName, namespace: args.namespace, labels },
          spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
        },
        { parent: this },
      );
    }

    this.deployments = deployments;
    this.previewServices = previewServices;
    this.disruptionBudgets = disruptionBudgets;
    this.envSecret = envSecret;
    this.registerOutputs({
      deploymentNames: Object.fromEntries(Object.entries(deployments).map(([c, d]) => [c, d.metadata.name])),
      previewServiceNames: Object.fromEntries(Object.entries(previewServices).map(([c, s]) => [c, s.metadata.name])),
    });
  }
}
