/**
 * The runbook's second step (`aws s3 cp dump s3://...`) for the benchmark: uploads a file with the
 * AWS SDK's managed multipart upload, same part size and concurrency as the backup job.
 * Usage: node dist/bench/uploadFile.js <file> <bucket> <key>  (S3_ENDPOINT, credentials from env)
 */
import * as fs from "node:fs";
import { Upload } from "@aws-sdk/lib-storage";
import { s3Client } from "../jobs/backup/s3";

async function main(): Promise<void> {
  const [file, bucket, key] = process.argv.slice(2);
  // The same timeouts as the jobs' defaults.
  const client = s3Client({ bucket, prefix: "bench", region: "us-east-1", endpoint: process.env.S3_ENDPOINT, forcePathStyle: true, connectTimeoutMs: 5_000, requestTimeoutMs: 60_000 });
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: fs.createReadStream(file, { highWaterMark: 1024 * 1024 }) },
    partSize: 8 * 1024 * 1024,
    queueSize: 4,
  });
  await upload.done();
  client.destroy();
}

main().catch((error) => {
  process.stderr.write(`${error}\n`);
  process.exitCode = 1;
});
