/**
 * A TCP server on loopback that accepts every connection and never answers: the endpoint that used
 * to hang the backup jobs for ever. It counts the connections it accepted (one per request attempt).
 */
import * as net from "node:net";

export interface HangingEndpoint {
  readonly url: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Resolves once `count` connections were accepted. */
  waitForConnections(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHangingEndpoint(): Promise<HangingEndpoint> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    for (const w of waiters.filter((w) => accepted >= w.count)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    waitForConnections: (count) => (accepted >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
