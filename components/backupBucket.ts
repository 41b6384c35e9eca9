/**
 * The S3 bucket backups live in, hardened: versioning, SSE-KMS with a rotating key and bucket keys,
 * all public access blocked, a policy denying plain-HTTP access and puts that ask for another
 * encryption, lifecycle rules, and optional Object Lock. Never `forceDestroy`; `protect` the bucket
 * and its key in production (losing the key loses every backup).
 */
import type * as aws from "@pulumi/aws";
import { awsSdk } from "../lib/awsSdk";
import * as pulumi from "@pulumi/pulumi";
import { BackupsConfig } from "../config/backups";

export interface BackupBucketArgs {
  /** Bucket name; when unset Pulumi generates one from the resource name. @default generated */
  readonly bucketName?: string;
  /** Protect the bucket and its KMS key from deletion (production). */
  readonly protect: boolean;
  /** Transition, expiry and noncurrent expiry. */
  readonly lifecycle: BackupsConfig["lifecycle"];
  /** Object Lock default retention; only settable when the bucket is created. @default none */
  readonly objectLock?: BackupsConfig["objectLock"];
  /** Alias for the KMS key, without `alias/`. */
  readonly keyAlias: string;
  /** Tags on the AWS resources. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

export class BackupBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly key: aws.kms.Key;
  public readonly keyAlias: aws.kms.Alias;
  public readonly versioning: aws.s3.BucketVersioning;
  public readonly encryption: aws.s3.BucketServerSideEncryptionConfiguration;
  public readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  public readonly policy: aws.s3.BucketPolicy;
  public readonly lifecycle: aws.s3.BucketLifecycleConfiguration;
  public readonly objectLock?: aws.s3.BucketObjectLockConfiguration;
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  public readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    if (!/^[a-zA-Z0-9/_-]+$/.test(args.keyAlias) || args.keyAlias.startsWith("aws/")) {
      throw new Error(`BackupBucket ${name}: \`keyAlias\` is \`${args.keyAlias}\`: use letters, digits, \`/_-\`, not starting with \`aws/\``);
    }
    super("bluegreen:aws:BackupBucket", name, {}, opts);
    const sdk = awsSdk();
    const tags = { ...(args.tags ?? {}) };
    const protect = args.protect;

    this.key = new sdk.kms.Key(
      `${name}-key`,
      {
        description: `Encrypts the database backups in ${args.bucketName ?? name}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags,
      },
      { parent: this, protect },
    );
    this.keyAlias = new sdk.kms.Alias(`${name}-key`, { name: `alias/${args.keyAlias}`, targetKeyId: this.key.keyId }, { parent: this });

    this.bucket = new sdk.s3.Bucket(
      name,
      {
        bucket: args.bucketName,
        forceDestroy: false,
        objectLockEnabled: args.objectLock ? true : undefined,
        tags,
      },
      { parent: this, protect },
    );
    const bucket = this.bucket.bucket;

    this.versioning = new sdk.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
    this.encryption = new sdk.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.key.arn }, bucketKeyEnabled: true }],
      },
      { parent: this },
    );
    this.publicAccessBlock = new sdk.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    this.policy = new sdk.s3.BucketPolicy(
      `${name}-policy`,
      { bucket, policy: pulumi.jsonStringify(bucketPolicyDocument(this.bucket.arn, this.key.arn)) },
      // S3 rejects policy changes racing the public access block.
      { parent: this, dependsOn: [this.publicAccessBlock] },
    );
    const l = args.lifecycle;
    this.lifecycle = new sdk.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket,
        rules: [
          {
            id: "backups",
            status: "Enabled",
            filter: {},
            transitions: [{ days: l.transitionDays, storageClass: l.storageClass }],
            expiration: { days: l.expireDays },
            noncurrentVersionExpiration: { noncurrentDays: l.noncurrentExpireDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      // Noncurrent-version rules need versioning on first.
      { parent: this, dependsOn: [this.versioning] },
    );
    if (args.objectLock) {
      this.objectLock = new sdk.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        { bucket, rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } } },
        { parent: this, dependsOn: [this.versioning] },
      );
    }

    this.bucketName = bucket;
    this.bucketArn = this.bucket.arn;
    this.keyArn = this.key.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, keyArn: this.keyArn });
  }
}

/**
 * Denies any request not over TLS, any put without the SSE-KMS header (multipart uploads send it
 * on CreateMultipartUpload, as AWS documents for this policy), and any put naming another KMS key.
 * The backup job always sends `aws:kms` with this bucket's key.
 */
export function bucketPolicyDocument(bucketArn: pulumi.Input<string>, keyArn: pulumi.Input<string>) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyUnencryptedPuts",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: pulumi.interpolate`${bucketArn}/*`,
        Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } },
      },
      {
        Sid: "DenyOtherKmsKey",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: pulumi.interpolate`${bucketArn}/*`,
        Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn } },
      },
    ],
  };
}
