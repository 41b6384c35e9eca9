/**
 * The SNS topic every alarm notifies (on ALARM and on OK), encrypted with KMS, and its
 * subscriptions. CloudWatch cannot publish to a topic encrypted with the AWS managed key
 * `alias/aws/sns`, so unless a key is given the topic gets its own customer managed key whose
 * policy lets CloudWatch use it.
 */
import type * as aws from "@pulumi/aws";
import { awsSdk } from "../lib/awsSdk";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

export type AlarmSubscription =
  | { readonly protocol: "email" | "https"; readonly endpoint: string; readonly secretKey?: undefined }
  /** A secret endpoint: named by `secretKey` (the config key holding it), never by its value. */
  | { readonly protocol: "email" | "https"; readonly endpoint: pulumi.Output<string>; readonly secretKey: string };

export interface AlarmTopicArgs {
  /** SNS topic name. */
  readonly topicName: string;
  /** Where notifications go; validated by config/alarms.ts. @default [] */
  readonly subscriptions?: readonly AlarmSubscription[];
  /** Existing KMS key (ID, ARN or alias) that CloudWatch may use. @default a new key */
  readonly kmsKeyId?: string;
}

/** Key policy: the account administers the key; CloudWatch may encrypt messages for the topic. */
export function alarmKeyPolicy(partition: string, accountId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministers",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
      },
    ],
  });
}

export class AlarmTopic extends pulumi.ComponentResource {
  public readonly topic: aws.sns.Topic;
  public readonly key?: aws.kms.Key;
  public readonly subscriptions: readonly aws.sns.TopicSubscription[];

  constructor(name: string, args: AlarmTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bluegreen:aws:AlarmTopic", name, {}, opts);
    const sdk = awsSdk();

    if (args.kmsKeyId === undefined) {
      const identity = sdk.getCallerIdentityOutput({}, { parent: this });
      const partition = sdk.getPartitionOutput({}, { parent: this });
      this.key = new sdk.kms.Key(
        `${name}-key`,
        {
          description: `Encrypts the ${args.topicName} alarm topic`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: pulumi.all([partition.partition, identity.accountId]).apply(([p, account]) => alarmKeyPolicy(p, account)),
        },
        { parent: this },
      );
    }

    this.topic = new sdk.sns.Topic(
      name,
      { name: args.topicName, kmsMasterKeyId: args.kmsKeyId ?? this.key!.id },
      { parent: this },
    );

    // Named by endpoint (and given the topic's id, which is its ARN), so adding or removing one subscription leaves the others alone.
    // A secret endpoint is named by its config key instead (a URN is never secret) and stays a secret input.
    this.subscriptions = (args.subscriptions ?? []).map(
      (s) =>
        new sdk.sns.TopicSubscription(
          s.secretKey === undefined
            ? `${name}-${s.protocol}-${createHash("sha256").update(s.endpoint).digest("hex").slice(0, 8)}`
            : `${name}-${s.protocol}-secret-${s.secretKey}`,
          { topic: this.topic.id, protocol: s.protocol, endpoint: s.secretKey === undefined ? s.endpoint : pulumi.secret(s.endpoint) },
          { parent: this, ...(s.secretKey === undefined ? {} : { additionalSecretOutputs: ["endpoint"] }) },
        ),
    );
    this.registerOutputs({ topicArn: this.topic.id });
  }
}
