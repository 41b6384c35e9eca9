/**
 * The Kubernetes Secret that in-cluster jobs (migrations, backups) read the database URL from, with
 * `secretKeyRef`. The value comes from Pulumi secret config and stays secret end to end.
 *
 * It is immutable and named by its content (`<app>-database-<hash>`): a rotated URL is a new Secret,
 * the CronJobs' templates then name it, and Pulumi deletes the old one afterwards (create before
 * delete), so no job starts while the Secret it names is missing. A completed Job keeps naming the
 * old one (the Jobs ignore that change: it does not change what they run).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { contentHashedName } from "./contentHashedName";

/** The key under which the Secret holds the URL; jobs read it as the DATABASE_URL env var. */
export const DATABASE_URL_KEY = "DATABASE_URL";

export interface DatabaseSecretArgs {
  /** App name; the Secret is named `<app>-database-<content hash>`. */
  readonly app: string;
  /** Namespace of the Secret. */
  readonly namespace: string;
  /** PostgreSQL connection URL, from `pulumi config set --secret databaseUrl`. */
  readonly databaseUrl: pulumi.Input<string>;
}

export class DatabaseSecret extends pulumi.ComponentResource {
  public readonly secret: k8s.core.v1.Secret;
  /** Name of the Kubernetes Secret, for `secretKeyRef.name`. */
  public readonly secretName: pulumi.Output<string>;

  constructor(name: string, args: DatabaseSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bluegreen:k8s:DatabaseSecret", name, {}, opts);
    this.secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: {
          name: contentHashedName(`${args.app}-database`, { [DATABASE_URL_KEY]: args.databaseUrl }),
          namespace: args.namespace,
          labels: { app: args.app },
        },
        type: "Opaque",
        immutable: true,
        stringData: { [DATABASE_URL_KEY]: pulumi.secret(args.databaseUrl) },
      },
      { parent: this },
    );
    this.secretName = this.secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName });
  }

  /** The env var entry a job container uses to read the URL. */
  databaseUrlEnv(): { name: string; valueFrom: { secretKeyRef: { name: pulumi.Output<string>; key: string } } } {
    return { name: DATABASE_URL_KEY, valueFrom: { secretKeyRef: { name: this.secretName, key: DATABASE_URL_KEY } } };
  }
}
