/**
 * Writing a manifest (the backup job's last step). Kept apart from the manifest schema and readers in
 * manifest.ts so the backup job does not load the schema library it never uses: every module loaded
 * is start-up time of every backup run.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { Manifest } from "./manifest";
import { S3Settings, encryptionParams } from "./s3";

export const MANIFEST_FORMAT = "bluegreen-backup/1";

export async function writeManifest(client: S3Client, settings: S3Settings, key: string, manifest: Manifest): Promise<void> {
  const { PutObjectCommand } = await import("@aws-sdk/client-s3");
  await client.send(
    new PutObjectCommand({
      Bucket: settings.bucket,
      Key: key,
      Body: `${JSON.stringify(manifest, null, 2)}\n`,
      ContentType: "application/json",
      ...encryptionParams(settings),
    }),
  );
}
