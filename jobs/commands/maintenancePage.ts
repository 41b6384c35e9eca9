/**
 * `maintenance-page [--port 8080] [--host <address>] [--message <text>] [--retry-after-seconds 300]
 * [--shutdown-delay-seconds 0]`: serves the app's maintenance page until SIGTERM or SIGINT: every
 * path and method answers 503 with `Retry-After` (jobs/maintenance/page.ts). Each flag may come from
 * its environment variable instead (the maintenance Deployment sets them). On a signal it keeps
 * answering for the shutdown delay (while the Pod leaves the Service's endpoints), then stops taking
 * connections, lets the requests in flight finish and exits 0.
 */
import { FlagSpecs, parseFlags, wholeNumber } from "../flags";
import { JobError, log } from "../log";
import { startPageServer } from "../maintenance/server";

const COMMAND = "maintenance-page";

/** What users read when nobody says (the stack config's default too: config/maintenance.ts). */
export const DEFAULT_MESSAGE = "We are down for scheduled maintenance and will be back shortly.";
export const DEFAULT_PORT = 8080;
export const DEFAULT_RETRY_AFTER_SECONDS = 300;
/** How long the requests in flight at a signal may take before their connections are cut. */
const DRAIN_MS = 10_000;

export const MAINTENANCE_PAGE_FLAGS = {
  port: { env: "MAINTENANCE_PORT", help: `port to listen on (default ${DEFAULT_PORT}; 0: a free port, named in the \`listening\` log line)` },
  host: { env: "MAINTENANCE_HOST", help: "address to listen on (default every address)" },
  message: { env: "MAINTENANCE_MESSAGE", help: `what users read, as text (HTML-escaped on the page; default "${DEFAULT_MESSAGE}")` },
  "retry-after-seconds": { env: "MAINTENANCE_RETRY_AFTER_SECONDS", help: `the Retry-After header, in seconds (default ${DEFAULT_RETRY_AFTER_SECONDS})` },
  "shutdown-delay-seconds": {
    env: "MAINTENANCE_SHUTDOWN_DELAY_SECONDS",
    help: "after SIGTERM, keep answering this long before closing, while the Pod leaves the Service's endpoints (default 0)",
  },
} as const satisfies FlagSpecs;

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const values = parseFlags(COMMAND, MAINTENANCE_PAGE_FLAGS, argv, env);
  const port = wholeNumber(COMMAND, "port", values.port, DEFAULT_PORT, 0, 65535);
  const retryAfterSeconds = wholeNumber(COMMAND, "retry-after-seconds", values["retry-after-seconds"], DEFAULT_RETRY_AFTER_SECONDS, 1, 86_400);
  const shutdownDelaySeconds = wholeNumber(COMMAND, "shutdown-delay-seconds", values["shutdown-delay-seconds"], 0, 0, 60);
  const message = (values.message ?? DEFAULT_MESSAGE).trim();
  if (message === "") throw new JobError(`${COMMAND}: \`--message\` is blank: pass the sentence users should read, or leave it out for the default`, 2);

  // Listen before the server exists: a signal while it starts must not kill node without a word.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  let server;
  try {
    server = await startPageServer({ message, retryAfterSeconds }, port, values.host);
  } catch (error) {
    throw new JobError(`${COMMAND}: cannot listen on ${values.host ?? "every address"} port ${port}: ${(error as Error).message}`, 1);
  }
  log(`${COMMAND}.listening`, { port: server.port, retryAfterSeconds, messageCharacters: message.length });

  const signal = await signalled;
  log(`${COMMAND}.stopping`, { signal, shutdownDelaySeconds });
  server.closing();
  if (shutdownDelaySeconds > 0) await new Promise((resolve) => setTimeout(resolve, shutdownDelaySeconds * 1000));
  const drained = await server.stop(DRAIN_MS);
  log(`${COMMAND}.stopped`, { signal, drained });
  return 0;
}
