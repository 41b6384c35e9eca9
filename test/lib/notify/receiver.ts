/**
 * A real HTTP receiver on 127.0.0.1 (port 0) for the notify tests: it records every request and
 * answers each with the next scripted answer (a status and body, or `hang`: read the request and
 * never answer), the last one repeating.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export type Answer = { readonly status: number; readonly body?: string } | "hang";

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startReceiver(answers: readonly Answer[] = [{ status: 200, body: "ok" }]): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const answer = answers[Math.min(requests.length, answers.length - 1)];
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      if (answer === "hang") return;
      res.writeHead(answer.status, { "Content-Type": "text/plain" }).end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
