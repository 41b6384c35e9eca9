/**
 * A real S3-compatible server for integration tests: s3rver in this process, on a free loopback
 * port, storing objects in a temp dir. s3rver does not implement AbortMultipartUpload; this helper
 * adds it (it removes the upload's parts, as S3 does), so tests can see whether a job aborted its
 * upload: `pendingUploads()` lists multipart uploads that were neither completed nor aborted.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";

// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver");

export interface S3Server {
  readonly endpoint: string;
  readonly bucket: string;
  readonly client: S3Client;
  /** Env for a job process: endpoint, bucket, s3rver's fixed credentials. */
  env(prefix: string): Record<string, string>;
  /** Every object key under a prefix (all pages). */
  keys(prefix: string): Promise<string[]>;
  /** Keys of multipart uploads under a prefix that were started and neither completed nor aborted. */
  pendingUploads(prefix: string): string[];
  /** Where an object's bytes are stored, to damage them in tests. */
  objectPath(key: string): string;
  clear(prefix: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) no longer
 * offers, so every listing longer than one page fails with InternalError. Tokens are opaque to
 * clients; this keeps them readable (IV + plain text) for `des` only, so pagination works as on S3.
 */
function allowS3rverContinuationTokens(): void {
  const marker = Symbol.for("bluegreen.s3rver-des");
  // The module object itself (what s3rver's `require("crypto")` sees), not an import namespace copy.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require("crypto") as typeof import("crypto");
  const patched = crypto as unknown as Record<PropertyKey, unknown>;
  if (patched[marker]) return;
  patched[marker] = true;
  const identity = () => {
    const parts: Buffer[] = [];
    return {
      update: (data: string | Buffer, encoding?: BufferEncoding) => Buffer.from(data as string, encoding),
      final: () => Buffer.concat(parts),
    };
  };
  const createCipheriv = crypto.createCipheriv;
  const createDecipheriv = crypto.createDecipheriv;
  patched.createCipheriv = (algorithm: string, ...rest: unknown[]) =>
    algorithm === "des" ? identity() : (createCipheriv as (...a: unknown[]) => unknown)(algorithm, ...rest);
  patched.createDecipheriv = (algorithm: string, ...rest: unknown[]) =>
    algorithm === "des" ? identity() : (createDecipheriv as (...a: unknown[]) => unknown)(algorithm, ...rest);
}

export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

export async function startS3(bucket = "backups"): Promise<S3Server> {
  allowS3rverContinuationTokens();
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] });
  const store = server.store;
  const uploadsDir = () => store.getResourcePath(bucket, undefined, "uploads");

  // AbortMultipartUpload: DELETE /<bucket>/<key>?uploadId=<id>. Runs before s3rver's router.
  server.middleware.unshift(async (ctx: any, next: () => Promise<void>) => {
    if (ctx.method === "DELETE" && typeof ctx.query.uploadId === "string" && /^[a-f0-9]+$/.test(ctx.query.uploadId)) {
      const dir = path.join(uploadsDir(), ctx.query.uploadId);
      if (!fs.existsSync(dir)) {
        ctx.status = 404;
        ctx.type = "application/xml";
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`;
        return;
      }
      fs.rmSync(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    await next();
  });

  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });

  const keys = async (prefix: string) => {
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) all.push(o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return all;
  };

  return {
    endpoint,
    bucket,
    client,
    env: (prefix) => ({ ...S3RVER_CREDENTIALS, S3_ENDPOINT: endpoint, AWS_REGION: "us-east-1", BACKUP_BUCKET: bucket, BACKUP_PREFIX: prefix }),
    keys,
    pendingUploads(prefix) {
      const dir = uploadsDir();
      if (!fs.existsSync(dir)) return [];
      return fs
        .readdirSync(dir)
        .map((id) => fs.readFileSync(path.join(dir, id, "key"), "utf8"))
        .filter((key) => key.startsWith(prefix));
    },
    objectPath: (key) => store.getResourcePath(bucket, key, "object"),
    async clear(prefix) {
      const all = await keys(prefix);
      for (let i = 0; i < all.length; i += 1000) {
        await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: all.slice(i, i + 1000).map((Key) => ({ Key })) } }));
      }
    },
    async stop() {
      client.destroy();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
