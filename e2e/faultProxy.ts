/**
 * A TCP proxy in front of the Kubernetes API server, for the fault suite: clients reach the API
 * through it (a kubeconfig whose `server` is the proxy), and a test can make the API slow, hang or
 * go away. TLS passes through untouched (the API server's certificate names 127.0.0.1, and so does
 * the proxy's address).
 *
 * Modes:
 * - `pass`: forward every byte as it comes.
 * - `delay`: forward, holding each chunk `delayMs` in both directions (a slow or distant API).
 * - `hang`: accept connections and never answer (an API server that stopped responding).
 * - `refuse`: stop listening and cut every open connection (the API is away: connection refused).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export type ProxyMode = "pass" | "delay" | "hang" | "refuse";

export class FaultProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private mode: ProxyMode = "pass";
  private delayMs = 0;
  private kubeconfigDir?: string;

  private constructor(
    private readonly upstream: { host: string; port: number },
    /** The port the proxy listens on (kept across `refuse` and back, so the kubeconfig stays valid). */
    readonly port: number,
  ) {}

  /** Starts a proxy on a free loopback port in front of `upstream` (`https://host:port` or `host:port`). */
  static async start(upstream: string): Promise<FaultProxy> {
    const url = new URL(upstream.includes("://") ? upstream : `tcp://${upstream}`);
    const target = { host: url.hostname, port: Number(url.port) };
    const port = await new Promise<number>((resolve, reject) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
      probe.on("error", reject);
    });
    const proxy = new FaultProxy(target, port);
    await proxy.listen();
    return proxy;
  }

  /** `https://127.0.0.1:<port>`: what a kubeconfig's `server` says to go through the proxy. */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /**
   * Writes a copy of `kubeconfig` whose every cluster `server` is the proxy; returns its path
   * (in a fresh temp folder, removed by `stop`).
   */
  writeKubeconfig(kubeconfig: string): string {
    const text = fs.readFileSync(kubeconfig, "utf8").replace(/^(\s*server:\s*).*$/gm, `$1${this.url}`);
    this.kubeconfigDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-fault-proxy-"));
    const file = path.join(this.kubeconfigDir, "kubeconfig");
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  }

  /** Switches the fault on or off; takes effect for new connections and for bytes not yet forwarded. */
  async set(mode: ProxyMode, delayMs = 0): Promise<void> {
    this.mode = mode;
    this.delayMs = delayMs;
    if (mode === "refuse") {
      this.cutAll();
      await this.close();
    } else if (!this.server) {
      await this.listen();
    }
  }

  async stop(): Promise<void> {
    this.cutAll();
    await this.close();
    if (this.kubeconfigDir) fs.rmSync(this.kubeconfigDir, { recursive: true, force: true });
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
  }

  private close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  }

  private accept(client: net.Socket): void {
    this.track(client);
    // A hung API: the connection is open, nothing ever comes back.
    if (this.mode === "hang") return;
    const upstream = net.connect(this.upstream.port, this.upstream.host);
    this.track(upstream);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  }

  /** Forwards `from` to `to`, in order, each chunk held by the delay in force when it arrived. */
  private pipe(from: net.Socket, to: net.Socket): void {
    let chain = Promise.resolve();
    from.on("data", (chunk) => {
      if (this.mode === "hang") return;
      const delay = this.mode === "delay" ? this.delayMs : 0;
      chain = chain.then(async () => {
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        if (!to.destroyed) to.write(chunk);
      });
    });
    from.on("end", () => void chain.then(() => to.end()));
  }
}
