/**
 * How the backup jobs' AWS SDK clients (S3, CloudWatch) talk HTTP: a connect timeout, an idle
 * timeout, the SDK's standard retries, and requests that end when the job is interrupted. Without
 * them, a server that accepts the connection and never answers holds a job for ever.
 */
import type { NodeHttpHandler } from "@smithy/node-http-handler";

export interface AwsHttpSettings {
  /** Connecting to the server may take this long. */
  readonly connectTimeoutMs: number;
  /** A request fails when the server sends (or takes) nothing for this long. */
  readonly requestTimeoutMs: number;
}

/** Attempts per request, the first included; the standard retry mode backs off with jitter between them. */
export const AWS_MAX_ATTEMPTS = 3;

/**
 * Options for `new S3Client(...)` or `new CloudWatchClient(...)`. `signalFor` is asked for an abort
 * signal as each request starts (see Interruption.requestSignal); the SDK itself takes a signal
 * per call only, and lib-storage's Upload passes none.
 */
export function awsClientOptions(http: AwsHttpSettings, signalFor?: () => AbortSignal) {
  // Loaded on first use, like the SDK itself (see s3Client).
  const { NodeHttpHandler: Handler } = require("@smithy/node-http-handler") as typeof import("@smithy/node-http-handler");
  const options = {
    connectionTimeout: http.connectTimeoutMs,
    // An idle timeout rather than one for the whole request: a part upload or a dump download may
    // take minutes while bytes flow, and a server that stops answering is caught all the same.
    socketTimeout: http.requestTimeoutMs,
  };
  const requestHandler = signalFor ? new (interruptible(Handler, signalFor))(options) : new Handler(options);
  return { requestHandler, maxAttempts: AWS_MAX_ATTEMPTS, retryMode: "standard" };
}

/** A NodeHttpHandler whose every request also ends when the signal `signalFor` gives as it starts aborts. */
function interruptible(Handler: typeof NodeHttpHandler, signalFor: () => AbortSignal) {
  return class extends Handler {
    override handle(...[request, options = {}]: Parameters<NodeHttpHandler["handle"]>) {
      const given = options.abortSignal as AbortSignal | undefined;
      const signal = signalFor();
      return super.handle(request, { ...options, abortSignal: given ? AbortSignal.any([given, signal]) : signal });
    }
  };
}

/** Message of an AWS SDK error without its stack: `NoSuchBucket: The specified bucket does not exist`. */
export function awsErrorText(error: unknown): string {
  const e = error as { name?: string; message?: string; Code?: string; cause?: unknown };
  const name = e?.Code ?? e?.name ?? "Error";
  const message = (e?.message ?? String(error)).replace(/^@smithy\/node-http-handler - /, "").replace(" (configured by client requestHandler)", "");
  // An aborted request says only "Request aborted"; why is in its cause.
  if (name === "AbortError" && e.cause instanceof Error) return `AbortError: ${e.cause.message}`;
  if (name === "TimeoutError") {
    return `TimeoutError: ${message.replace(/\.$/, "")}, after ${AWS_MAX_ATTEMPTS} attempts; check that the endpoint is reachable and answers, or raise --s3-connect-timeout-seconds / --s3-request-timeout-seconds`;
  }
  return `${name}: ${message}`;
}
