/**
 * Where backups live: bucket, prefix and how to reach the S3 API (AWS or any S3-compatible endpoint),
 * from flags or env, and the object keys under the prefix:
 *
 *   <prefix>/dumps/<stamp>-<name>.dump        the pg_dump -Fc archive
 *   <prefix>/manifests/<stamp>-<name>.json    written last; readers trust only manifests
 *
 * `<stamp>` is a fixed-width UTC time, so the newest manifest is the greatest key.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { JobError } from "../log";
import { AwsHttpSettings, awsClientOptions, awsErrorText } from "./awsHttp";
import { FlagSpecs, isTrue, required, wholeNumber } from "../flags";

export const S3_FLAGS = {
  bucket: { env: "BACKUP_BUCKET", help: "bucket holding the backups" },
  prefix: { env: "BACKUP_PREFIX", help: "key prefix of this stack's backups, such as `web/production`" },
  region: { env: "AWS_REGION", help: "AWS region of the bucket (default us-east-1)" },
  endpoint: { env: "S3_ENDPOINT", help: "S3-compatible endpoint URL, such as `http://127.0.0.1:9000`" },
  "force-path-style": {
    env: "S3_FORCE_PATH_STYLE",
    boolean: true,
    help: "path-style bucket addressing (default on when --endpoint is set)",
  },
  "kms-key-id": { env: "BACKUP_KMS_KEY_ID", help: "KMS key ARN to encrypt uploads with (SSE-KMS)" },
  "s3-connect-timeout-seconds": {
    env: "S3_CONNECT_TIMEOUT_SECONDS",
    help: "give up connecting to S3 (and CloudWatch) after this long, 1-300 (default 5)",
  },
  "s3-request-timeout-seconds": {
    env: "S3_REQUEST_TIMEOUT_SECONDS",
    help: "fail an S3 (or CloudWatch) request when the server sends or takes nothing for this long, 1-3600 (default 60); each request is tried up to 3 times",
  },
} as const satisfies FlagSpecs;

export interface S3Settings extends AwsHttpSettings {
  readonly bucket: string;
  /** Without leading or trailing `/`. */
  readonly prefix: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly forcePathStyle: boolean;
  readonly kmsKeyId?: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

export function s3SettingsFrom(command: string, values: Record<string, string | undefined>): S3Settings {
  const bucket = required(command, S3_FLAGS, values, "bucket", "acme-web-backups");
  if (!BUCKET.test(bucket)) {
    throw new JobError(`${command}: \`--bucket\` is \`${bucket}\`: not an S3 bucket name (3-63 lowercase letters, digits, \`.\`, \`-\`)`, 2);
  }
  const rawPrefix = required(command, S3_FLAGS, values, "prefix", "web/production");
  const prefix = rawPrefix.replace(/^\/+|\/+$/g, "");
  if (!PREFIX.test(prefix)) {
    throw new JobError(`${command}: \`--prefix\` is \`${rawPrefix}\`: use path segments of letters, digits and \`-_.\`, such as \`web/production\``, 2);
  }
  const endpoint = values.endpoint;
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
    throw new JobError(`${command}: \`--endpoint\` is \`${endpoint}\`: use a URL such as \`https://s3.example.com\` or \`http://127.0.0.1:9000\``, 2);
  }
  const forcePathStyle = values["force-path-style"] === undefined ? endpoint !== undefined : isTrue(values["force-path-style"]);
  return {
    bucket,
    prefix,
    region: values.region ?? "us-east-1",
    endpoint,
    forcePathStyle,
    kmsKeyId: values["kms-key-id"],
    connectTimeoutMs: wholeNumber(command, "s3-connect-timeout-seconds", values["s3-connect-timeout-seconds"], 5, 1, 300) * 1000,
    requestTimeoutMs: wholeNumber(command, "s3-request-timeout-seconds", values["s3-request-timeout-seconds"], 60, 1, 3600) * 1000,
  };
}

/** A client whose requests time out as the settings say and, given `signalFor`, end on a signal. */
export function s3Client(settings: S3Settings, signalFor?: () => AbortSignal): S3Client {
  // Loaded on first use, not with this module: the backup job starts pg_dump first and loads the SDK
  // while pg_dump reads the catalogs, so the two overlap instead of adding up.
  const { S3Client: Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  return new Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    ...awsClientOptions(settings, signalFor),
    // S3-compatible servers often reject the SDK's default trailing CRC checksums; we verify our
    // own SHA-256 of every dump anyway.
    ...(settings.endpoint ? { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" } : {}),
  });
}

/** Server-side encryption parameters for every PutObject/CreateMultipartUpload. */
export function encryptionParams(settings: S3Settings): { ServerSideEncryption?: "aws:kms"; SSEKMSKeyId?: string } {
  return settings.kmsKeyId ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: settings.kmsKeyId } : {};
}

/** `20250102T030405.678Z`: fixed width, so keys sort in time order. */
export function stampOf(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "");
}

export function manifestsPrefix(prefix: string): string {
  return `${prefix}/manifests/`;
}

export function dumpKey(prefix: string, stamp: string, name: string): string {
  return `${prefix}/dumps/${stamp}-${name}.dump`;
}

export function manifestKey(prefix: string, stamp: string, name: string): string {
  return `${manifestsPrefix(prefix)}${stamp}-${name}.json`;
}

/** Message of an AWS SDK error without its stack: `NoSuchBucket: The specified bucket does not exist`. */
export const s3ErrorText = awsErrorText;
