/**
 * How the backup jobs' AWS SDK clients (S3, CloudWatch) talk HTTP: a connect timeout, an idle
 * timeout and the SDK's standard retries. Without them, a server that accepts the connection and
 * never answers holds a job for ever.
 */
export interface AwsHttpSettings {
  /** Connecting to the server may take this long. */
  readonly connectTimeoutMs: number;
  /** A request fails when the server sends (or takes) nothing for this long. */
  readonly requestTimeoutMs: number;
}

/** Attempts per request, the first included; the standard retry mode backs off with jitter between them. */
export const AWS_MAX_ATTEMPTS = 3;

/** Options for `new S3Client(...)` or `new CloudWatchClient(...)`. */
export function awsClientOptions(http: AwsHttpSettings) {
  // Loaded on first use, like the SDK itself (see s3Client).
  const { NodeHttpHandler: Handler } = require("@smithy/node-http-handler") as typeof import("@smithy/node-http-handler");
  const options = {
    connectionTimeout: http.connectTimeoutMs,
    // An idle timeout rather than one for the whole request: a part upload or a dump download may
    // take minutes while bytes flow, and a server that stops answering is caught all the same.
    socketTimeout: http.requestTimeoutMs,
  };
  return { requestHandler: new Handler(options), maxAttempts: AWS_MAX_ATTEMPTS, retryMode: "standard" };
}

/** Message of an AWS SDK error without its stack: `NoSuchBucket: The specified bucket does not exist`. */
export function awsErrorText(error: unknown): string {
  const e = error as { name?: string; message?: string; Code?: string };
  const name = e?.Code ?? e?.name ?? "Error";
  const message = (e?.message ?? String(error)).replace(/^@smithy\/node-http-handler - /, "").replace(" (configured by client requestHandler)", "");
  if (name === "TimeoutError") {
    return `TimeoutError: ${message.replace(/\.$/, "")}, after ${AWS_MAX_ATTEMPTS} attempts; check that the endpoint is reachable and answers, or raise --s3-connect-timeout-seconds / --s3-request-timeout-seconds`;
  }
  return `${name}: ${message}`;
}
