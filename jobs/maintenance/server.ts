/**
 * The maintenance page's HTTP server: every path and method gets the page (page.ts). It reads no
 * request body (a client's upload is drained and dropped), keeps tight timeouts, and stops
 * gracefully: on `stop()` it takes no new connections, lets the requests in flight finish (telling
 * keep-alive clients to close) and resolves once every connection is gone, or cuts the rest after
 * `drainMs`.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { maintenanceResponse, PageContent } from "./page";

/** Slow clients must not hold a Pod's sockets: a request has this long to send its headers. */
const HEADERS_TIMEOUT_MS = 10_000;
/** ...and this long for the whole request. */
const REQUEST_TIMEOUT_MS = 15_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export interface PageServer {
  /** The port it listens on (the one asked for, or the one the OS chose for port 0). */
  readonly port: number;
  /** From now on every response asks the client to close its connection (shutdown is near). */
  closing(): void;
  /** Stops it; resolves with whether every connection ended within `drainMs` (false: the rest were cut). */
  stop(drainMs: number): Promise<boolean>;
}

/** Starts serving the page on `host:port` (host undefined: every address). */
export async function startPageServer(content: PageContent, port: number, host?: string): Promise<PageServer> {
  let stopping = false;
  const server = http.createServer((req, res) => {
    // Never read: the answer is the same whatever was sent.
    req.resume();
    const page = maintenanceResponse(content, req.method, req.headers.accept);
    res.writeHead(page.status, stopping ? { ...page.headers, connection: "close" } : page.headers);
    res.end(page.body);
  });
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    closing: () => {
      stopping = true;
    },
    stop: (drainMs) =>
      new Promise<boolean>((resolve) => {
        stopping = true;
        const cut = setTimeout(() => {
          server.closeAllConnections();
          resolve(false);
        }, drainMs);
        // close() stops accepting and ends idle keep-alive connections; busy ones end after their response.
        server.close(() => {
          clearTimeout(cut);
          resolve(true);
        });
        server.closeIdleConnections();
      }),
  };
}
