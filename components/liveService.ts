/**
 * The Service users hit. Its selector is the traffic switch: `{app, color: activeColor}`.
 * It depends on the active color's Deployment (and any gate), so a release and a promotion in one
 * commit flip traffic only after the new color is ready; pulumi-kubernetes' own await (a Service
 * must target ready Pods) is a second guard.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Color } from "../config";

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
    super("bluegreen:k8s:LiveService", name, {}, opts);

    this.activeColor = args.activeColor;
    this.service = new k8s.core.v1.Service(
      name,
      {
        metadata: { name: args.app, namespace: args.namespace, labels: { app: args.app, role: "live" } },
        spec: {
          type: "ClusterIP",
          selector: { app: args.app, color: args.activeColor },
          ports: [{ name: "http", port: args.servicePort ?? 80, targetPort: "http", protocol: "TCP" }],
        },
      },
      { parent: this, dependsOn: [...args.gates] },
    );
    this.registerOutputs({ serviceName: this.service.metadata.name, activeColor: args.activeColor });
  }
}
