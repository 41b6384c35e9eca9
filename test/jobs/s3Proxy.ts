/**
 * An HTTP proxy on loopback in front of the test's s3rver that can hold requests back: delay one
 * (a slow manifest write) or send only the first bytes of a response body and then stall (a dump
 * download that stops mid-restore). Requests are forwarded with their headers unchanged, so their
 * signatures still verify.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxyRule {
  /** Forward the request only after this long. */
  readonly delayMs?: number;
  /** Send this many bytes of the response body, then nothing more. */
  readonly stallBodyAfterBytes?: number;
}

export interface S3Proxy {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** `rule(method, path)` decides per request; undefined forwards it as is. */
export async function startS3Proxy(upstream: string, rule: (method: string, path: string) => ProxyRule | undefined): Promise<S3Proxy> {
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const { delayMs = 0, stallBodyAfterBytes } = rule(req.method ?? "GET", req.url ?? "/") ?? {};
    setTimeout(() => {
      const forwarded = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        if (stallBodyAfterBytes === undefined) {
          response.pipe(res);
          return;
        }
        let sent = 0;
        response.on("data", (chunk: Buffer) => {
          const part = chunk.subarray(0, Math.max(0, stallBodyAfterBytes - sent));
          sent += part.length;
          if (part.length > 0) res.write(part);
          if (sent >= stallBodyAfterBytes) response.pause();
        });
      });
      forwarded.on("error", () => res.destroy());
      req.pipe(forwarded);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
