/**
 * The manifest: the JSON document the backup writes after the dump object is complete. Its existence
 * is what makes a dump a backup; readers (restore-check, restore) never look at a dump without one
 * and verify the dump's size and SHA-256 against it.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { JobError } from "../log";
import { MANIFEST_FORMAT } from "./manifestWrite";
import { S3Settings, manifestsPrefix, s3ErrorText } from "./s3";

export { MANIFEST_FORMAT, writeManifest } from "./manifestWrite";

export const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  /** The backup's name: `scheduled`, or `<app>-backup-pre-<hash>` before a migration. */
  name: z.string().min(1),
  /** Key of the dump object in the same bucket. */
  key: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
  /** Database name (never the URL: it holds the password). */
  database: z.string(),
  serverVersion: z.string(),
  pgDumpVersion: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationSeconds: z.number().nonnegative(),
  /**
   * Exact row count per table (`"schema"."table"`), counted in the snapshot pg_dump used; null when
   * the backup ran with `--no-row-counts`, and then restores cannot compare row counts.
   */
  tables: z.record(z.string(), z.number().int().nonnegative()).nullable(),
  /**
   * `zstd`: the object is pg_dump's uncompressed custom format compressed by zstd (decompress it
   * into pg_restore). Absent: the object is pg_dump's custom format as is (gzip inside), as every
   * backup before this field and those made with `--compression gzip`.
   */
  compression: z.literal("zstd").optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;

export async function readManifest(client: S3Client, settings: S3Settings, key: string): Promise<Manifest> {
  let text: string;
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }));
    text = await response.Body!.transformToString();
  } catch (error) {
    throw new JobError(`cannot read manifest s3://${settings.bucket}/${key}: ${s3ErrorText(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new JobError(`manifest s3://${settings.bucket}/${key} is not JSON; it was not written by the backup job`);
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new JobError(`manifest s3://${settings.bucket}/${key} is invalid at \`${first.path.join(".")}\`: ${first.message}`);
  }
  return result.data;
}

/**
 * Key of the newest manifest under the prefix, or undefined when there is none. ListObjectsV2
 * returns at most 1000 keys per page, so this walks every page.
 */
export async function findLatestManifestKey(client: S3Client, settings: S3Settings): Promise<{ key?: string; pages: number; manifests: number }> {
  let latest: string | undefined;
  let token: string | undefined;
  let pages = 0;
  let manifests = 0;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: manifestsPrefix(settings.prefix), ContinuationToken: token }),
      );
    } catch (error) {
      throw new JobError(`cannot list s3://${settings.bucket}/${manifestsPrefix(settings.prefix)}: ${s3ErrorText(error)}`);
    }
    pages++;
    for (const object of page.Contents ?? []) {
      if (!object.Key?.endsWith(".json")) continue;
      manifests++;
      if (latest === undefined || object.Key > latest) latest = object.Key;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { key: latest, pages, manifests };
}

/** The manifest named by `--manifest`, or the newest one. */
export async function chooseManifest(
  command: string,
  client: S3Client,
  settings: S3Settings,
  explicitKey: string | undefined,
): Promise<{ key: string; manifest: Manifest }> {
  let key = explicitKey;
  if (key === undefined) {
    const found = await findLatestManifestKey(client, settings);
    if (!found.key) {
      throw new JobError(`${command}: no manifest under s3://${settings.bucket}/${manifestsPrefix(settings.prefix)}: no backup has completed there`);
    }
    key = found.key;
  } else if (!key.startsWith(manifestsPrefix(settings.prefix))) {
    // Accept a bare file name from a listing, but never a key outside this stack's prefix.
    if (key.includes("/")) {
      throw new JobError(`${command}: \`--manifest\` is \`${key}\`: it is not under \`${manifestsPrefix(settings.prefix)}\`; pick one from \`aws s3 ls s3://${settings.bucket}/${manifestsPrefix(settings.prefix)}\``, 2);
    }
    key = `${manifestsPrefix(settings.prefix)}${key}`;
  }
  return { key, manifest: await readManifest(client, settings, key) };
}
