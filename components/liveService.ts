/**
 * The Service users hit. Its selector is the traffic switch: `{app, color: activeColor}`, or, while
 * the app is in maintenance, the maintenance page's Pods (`{app: <app>, color: maintenance}`).
 * It depends on the active color's Deployment and smoke Job, which for a color that already passed
 * them are unchanged, so the switch is one selector patch. Nothing else depends on it but the
 * contract Job, so `pulumi up --target <its URN>` always works (the rollback's fast path).
 *
 * pulumi-kubernetes' Service await is skipped: it adds ~10 s to every switch waiting for endpoints
 * to settle, and a rollback onto a color with one unready Pod would wait 10 minutes and then fail
 * after the selector already flipped. The config rules (the color has an image and replicas) and the
 * smoke Job guard the switch instead.
 *
 * With a `maintenance` section it also depends on the maintenance page's Deployment, whether
 * maintenance is on or off, so toggling it changes the selector and nothing else: the graph stays the
 * same and `pulumi up --target <its URN>` switches in and out. It then records `activeColor` in an
 * annotation (the selector does not name it while in maintenance).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { liveSelector } from "../domain/maintenance";
import { ACTIVE_COLOR_ANNOTATION, Color, LIVE_SERVICE_TYPE, liveServiceLabels, objectNames } from "../domain/names";

export interface LiveServiceArgs {
  /** App name: the `app` label the selector matches and the Service's name. */
  readonly app: string;
  /** Namespace of the Service. */
  readonly namespace: string;
  /** The color that receives traffic. */
  readonly activeColor: Color;
  /** Port the Service exposes; traffic goes to the Pods' `http` port. @default 80 */
  readonly servicePort?: number;
  /** What must be ready before traffic may switch: the active Deployment, its smoke Job. */
  readonly gates: readonly pulumi.Resource[];
  /**
   * The app's maintenance page, when the stack has a `maintenance` section: its Deployment (a gate
   * whether or not maintenance is on), the app name its Pods are labelled with, and whether the
   * Service selects it now. @default none: the Service always selects `activeColor`
   */
  readonly maintenance?: { readonly app: string; readonly enabled: boolean; readonly deployment: pulumi.Resource };
}

export class LiveService extends pulumi.ComponentResource {
  /** The live Service, named after the app. */
  public readonly service: k8s.core.v1.Service;
  /** The color it selects. */
  public readonly activeColor: Color;

  constructor(name: string, args: LiveServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.gates.length === 0) {
      throw new Error(`LiveService ${name}: \`gates\` is empty; pass at least the active color's Deployment`);
    }
    super(LIVE_SERVICE_TYPE, name, {}, opts);

    this.activeColor = args.activeColor;
    const maintenance = args.maintenance;
    this.service = new k8s.core.v1.Service(
      name,
      {
        metadata: {
          name: objectNames.liveService(args.app),
          namespace: args.namespace,
          labels: liveServiceLabels(args.app),
          annotations: { "pulumi.com/skipAwait": "true", ...(maintenance ? { [ACTIVE_COLOR_ANNOTATION]: args.activeColor } : {}) },
        },
        spec: {
          type: "ClusterIP",
          selector: liveSelector(args.app, maintenance?.app ?? args.app, { activeColor: args.activeColor, maintenance: maintenance?.enabled ?? false }),
          ports: [{ name: "http", port: args.servicePort ?? 80, targetPort: "http", protocol: "TCP" }],
        },
      },
      { parent: this, dependsOn: [...args.gates, ...(maintenance ? [maintenance.deployment] : [])] },
    );
    this.registerOutputs({ serviceName: this.service.metadata.name, activeColor: args.activeColor });
  }
}
