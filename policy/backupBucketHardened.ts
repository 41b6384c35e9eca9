/**
 * Every S3 bucket of this program holds database backups, so each one is versioned, encrypted with
 * KMS, blocks public access, is never `forceDestroy`, and is `protect`ed in production. These are
 * separate resources in @pulumi/aws v7, so this is a stack policy: it pairs each bucket with the
 * resources whose `bucket` input comes from it.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { isProductionStack, known } from "./workloads";

export const BUCKET_TYPES: readonly string[] = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const VERSIONING_TYPES = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"];
const ENCRYPTION_TYPES = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
const PUBLIC_ACCESS_BLOCK_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

/** Whether `resource`'s `bucket` input refers to `bucket`: by dependency when the name is not known yet, else by name. */
function refersTo(resource: PolicyResource, bucket: PolicyResource): boolean {
  if ((resource.propertyDependencies?.bucket ?? []).some((dependency) => dependency.urn === bucket.urn)) return true;
  const target = known(() => resource.props.bucket);
  if (typeof target !== "string") return false;
  return [known(() => bucket.props.bucket), known(() => bucket.props.id)].includes(target);
}

export const backupBucketHardened: StackValidationPolicy = {
  name: "backup-bucket-hardened",
  description: "Backup buckets are versioned, KMS-encrypted, public-blocked, never forceDestroy, and protected in production.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const of = (types: readonly string[]) => args.resources.filter((r) => types.includes(r.type));
    for (const bucket of of(BUCKET_TYPES)) {
      const name = bucket.name;
      const related = (types: readonly string[]) => of(types).filter((r) => refersTo(r, bucket));

      const versioned = related(VERSIONING_TYPES).some((v) => known(() => v.props.versioningConfiguration?.status) === "Enabled");
      if (!versioned) {
        reportViolation(
          `S3 bucket \`${name}\` is not versioned, so an overwritten or deleted backup is gone: add an \`aws.s3.BucketVersioning\` for it with \`versioningConfiguration: { status: "Enabled" }\``,
          bucket.urn,
        );
      }

      const kmsEncrypted = related(ENCRYPTION_TYPES).some((e) => {
        const rules = known(() => e.props.rules);
        return Array.isArray(rules) && rules.some((rule) => String(known(() => rule.applyServerSideEncryptionByDefault?.sseAlgorithm)).startsWith("aws:kms"));
      });
      if (!kmsEncrypted) {
        reportViolation(
          `S3 bucket \`${name}\` is not encrypted with KMS: add an \`aws.s3.BucketServerSideEncryptionConfiguration\` for it with a rule \`applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: <key ARN> }\``,
          bucket.urn,
        );
      }

      const blocks = related([PUBLIC_ACCESS_BLOCK_TYPE]);
      const open = blocks.length === 0 ? [...PUBLIC_ACCESS_FLAGS] : PUBLIC_ACCESS_FLAGS.filter((flag) => !blocks.some((b) => known(() => b.props[flag]) === true));
      if (open.length > 0) {
        reportViolation(
          `S3 bucket \`${name}\` does not block public access (${open.map((flag) => `\`${flag}\``).join(", ")} not true): add an \`aws.s3.BucketPublicAccessBlock\` for it with all four flags set to true`,
          bucket.urn,
        );
      }

      if (known(() => bucket.props.forceDestroy) === true) {
        reportViolation(
          `S3 bucket \`${name}\` sets \`forceDestroy: true\`, so deleting the stack deletes every backup: remove \`forceDestroy\``,
          bucket.urn,
        );
      }

      if (isProductionStack(bucket.urn, args.stackTags) && !bucket.opts.protect) {
        reportViolation(
          `S3 bucket \`${name}\` is not protected in a production stack, so \`pulumi destroy\` or a rename would delete the backups: create it with \`{ protect: true }\``,
          bucket.urn,
        );
      }
    }
  },
};
