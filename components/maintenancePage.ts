/**
 * The app's maintenance page: one small Deployment per app (`<app>-maintenance`, the jobs image's
 * `maintenance-page` command), whatever its services, kept running while the stack has a
 * `maintenance` section. Its Pods are labelled `{app: <app>, color: maintenance}` and name their port
 * `http`, the live Services' targetPort, so every live Service of the app can select them: entering
 * maintenance is one selector patch per live Service (LiveService), like a promotion, and never
 * waits for a rollout. With NetworkPolicies on, `<app>-allow-maintenance` admits what the live
 * Services get.
 *
 * Nothing here depends on `maintenance.enabled` or on `activeColor`: toggling maintenance changes
 * the live Services' selectors and nothing else.
 */
import * as k8s from "@pulumi/kubernetes";
import { ROLLING_UPDATE, spreadOverNodesAndZones } from "./podPlacement";
import * as pulumi from "@pulumi/pulumi";
import { MAINTENANCE_PAGE_TYPE, maintenanceNames, maintenanceSelector } from "../domain/names";
import { ContainerResources, containerResources } from "./containerResources";
import { LiveTrafficSources, maintenancePodsPolicySpec } from "./networkPolicies";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./restrictedSecurity";

/** The port the page listens on (the container's `http` port). */
export const MAINTENANCE_PORT = 8080;
/**
 * After SIGTERM the page keeps answering this long before it closes, while the Pod leaves the
 * Services' endpoints (kube-proxy still sends it connections meanwhile).
 */
export const SHUTDOWN_DELAY_SECONDS = 5;

export interface MaintenancePageArgs {
  /** App name: the `app` label of the page's Pods and the prefix of its objects' names. */
  readonly app: string;
  /** Namespace of the app. */
  readonly namespace: string;
  /** The jobs image, which serves the page (`node dist/jobs/cli.js maintenance-page`). */
  readonly jobsImage: string;
  /** What users read. */
  readonly message: pulumi.Input<string>;
  /** Seconds clients are told to wait (`Retry-After`). */
  readonly retryAfterSeconds: number;
  /** Pods serving the page. @default 1 */
  readonly replicas?: number;
  /** The container's requests and limits. */
  readonly resources: ContainerResources;
  /** How long `pulumi up` waits for the page to roll out. @default 600 */
  readonly rolloutTimeoutSeconds?: number;
  /** Where the live Services' traffic comes from; unset: no NetworkPolicy (the stack has them off). */
  readonly networkPolicy?: LiveTrafficSources;
}

export class MaintenancePage extends pulumi.ComponentResource {
  public readonly deployment: k8s.apps.v1.Deployment;
  /** `<app>-allow-maintenance`, when the stack has NetworkPolicies. */
  public readonly networkPolicy?: k8s.networking.v1.NetworkPolicy;
  /** The page's Pod labels: what the live Services select while in maintenance. */
  public readonly selector: Readonly<Record<string, string>>;

  constructor(name: string, args: MaintenancePageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MAINTENANCE_PAGE_TYPE, name, {}, opts);
    const labels = maintenanceSelector(args.app);
    const rollout = args.rolloutTimeoutSeconds ?? 600;

    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name: maintenanceNames.deployment(args.app), namespace: args.namespace, labels },
        spec: {
          replicas: args.replicas ?? 1,
          revisionHistoryLimit: 5,
          selector: { matchLabels: labels },
          strategy: ROLLING_UPDATE,
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext,
              terminationGracePeriodSeconds: 30,
              topologySpreadConstraints: spreadOverNodesAndZones(labels),
              containers: [
                {
                  name: "maintenance-page",
                  image: args.jobsImage,
                  imagePullPolicy: "IfNotPresent",
                  command: ["node", "dist/jobs/cli.js", "maintenance-page"],
                  env: [
                    { name: "MAINTENANCE_PORT", value: String(MAINTENANCE_PORT) },
                    { name: "MAINTENANCE_MESSAGE", value: args.message },
                    { name: "MAINTENANCE_RETRY_AFTER_SECONDS", value: String(args.retryAfterSeconds) },
                    { name: "MAINTENANCE_SHUTDOWN_DELAY_SECONDS", value: String(SHUTDOWN_DELAY_SECONDS) },
                  ],
                  ports: [{ name: "http", containerPort: MAINTENANCE_PORT, protocol: "TCP" }],
                  resources: containerResources(args.resources),
                  // Every path answers 503, so no httpGet probe could pass: ready once it accepts connections.
                  readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
                  livenessProbe: { tcpSocket: { port: "http" }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                  securityContext: restrictedContainerSecurityContext,
                },
              ],
            },
          },
        },
      },
      { parent: this, customTimeouts: { create: `${rollout}s`, update: `${rollout}s` } },
    );

    if (args.networkPolicy) {
      this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
        `${name}-network`,
        {
          metadata: { name: maintenanceNames.networkPolicy(args.app), namespace: args.namespace, labels: { app: args.app, component: "network-policy" } },
          spec: maintenancePodsPolicySpec(labels, MAINTENANCE_PORT, args.networkPolicy),
        },
        { parent: this },
      );
    }

    this.selector = labels;
    this.registerOutputs({ deploymentName: this.deployment.metadata.name });
  }
}
