/**
 * `smoke` against a real HTTP server on loopback: passing checks, a 500, a wrong body, a timeout,
 * a server that fails twice then recovers, and a bad URL. One run through the built CLI checks the
 * exit code and the log lines.
 */
import { spawn } from "node:child_process";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { run } from "../../jobs/commands/smoke";
import { runSmokeChecks } from "../../jobs/smoke/runChecks";
import { imageCli } from "./imageTree";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let server: http.Server;
let base: string;
let handler: Handler;
const hits: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  hits.length = 0;
});

const reply = (status: number, body: string): Handler => (_req, res) => {
  res.writeHead(status, { "content-type": "text/plain" });
  res.end(body);
};

const fast = { timeoutMs: 1000, retries: 0, backoffMs: 0 };

describe("smoke checks", () => {
  it("passes when every check answers the expected status and body", async () => {
    handler = (req, res) => (req.url === "/api/version" ? reply(200, '{"status":"ok","version":"1.5.0"}') : reply(200, "fine"))(req, res);
    await expect(
      runSmokeChecks({
        url: base,
        checks: [
          { path: "/healthz", status: 200 },
          { path: "/api/version", status: 200, bodyContains: '"status":"ok"' },
        ],
        ...fast,
      }),
    ).resolves.toBeUndefined();
    expect(hits).toEqual(["/healthz", "/api/version"]);
  });

  it("fails on a 500, naming the URL, the status and the body", async () => {
    handler = reply(500, "database unavailable");
    await expect(runSmokeChecks({ url: base, checks: [{ path: "/healthz", status: 200 }], ...fast })).rejects.toThrow(
      `smoke check GET ${base}/healthz failed after 1 attempt: answered 500, expected 200; body "database unavailable"`,
    );
  });

  it("fails when the body lacks the expected text, and does not run the checks after it", async () => {
    handler = reply(200, '{"status":"degraded"}');
    await expect(
      runSmokeChecks({
        url: `${base}/`,
        checks: [
          { path: "/api/version", status: 200, bodyContains: '"status":"ok"' },
          { path: "/healthz", status: 200 },
        ],
        ...fast,
      }),
    ).rejects.toThrow(
      `smoke check GET ${base}/api/version failed after 1 attempt: answered 200 but the body does not contain "\\"status\\":\\"ok\\""; body "{\\"status\\":\\"degraded\\"}"`,
    );
    expect(hits).toEqual(["/api/version"]);
  });

  it("fails a check that does not answer within the timeout", async () => {
    const pending: http.ServerResponse[] = [];
    handler = (_req, res) => pending.push(res); // never answers
    await expect(
      runSmokeChecks({ url: base, checks: [{ path: "/slow", status: 200 }], timeoutMs: 150, retries: 1, backoffMs: 0 }),
    ).rejects.toThrow(`smoke check GET ${base}/slow failed after 2 attempts: no answer within 0.15 s`);
    expect(hits).toEqual(["/slow", "/slow"]);
    for (const res of pending) res.destroy();
  });

  it("retries with doubling backoff: a server failing twice then recovering passes", async () => {
    let calls = 0;
    handler = (req, res) => reply(++calls <= 2 ? 503 : 200, calls <= 2 ? "starting" : "ok")(req, res);
    const waits: number[] = [];
    await runSmokeChecks({
      url: base,
      checks: [{ path: "/healthz", status: 200 }],
      timeoutMs: 1000,
      retries: 3,
      backoffMs: 100,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(hits).toEqual(["/healthz", "/healthz", "/healthz"]);
    expect(waits).toEqual([100, 200]);
  });

  it("gives up after the configured retries", async () => {
    handler = reply(503, "starting");
    await expect(
      runSmokeChecks({ url: base, checks: [{ path: "/healthz", status: 200 }], timeoutMs: 1000, retries: 2, backoffMs: 1 }),
    ).rejects.toThrow("failed after 3 attempts: answered 503, expected 200");
    expect(hits.length).toBe(3);
  });

  it("reports a refused connection", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      runSmokeChecks({ url: `http://127.0.0.1:${port}`, checks: [{ path: "/healthz", status: 200 }], ...fast }),
    ).rejects.toThrow(`smoke check GET http://127.0.0.1:${port}/healthz failed after 1 attempt: could not connect (ECONNREFUSED)`);
  });

  it("rejects a bad URL before any request, naming --url", async () => {
    await expect(runSmokeChecks({ url: "web-green-preview:80/", checks: [{ path: "/healthz", status: 200 }], ...fast })).rejects.toThrow(
      "`--url` is `web-green-preview:80/`: not an http(s) URL; pass the color's preview Service URL, such as http://web-green-preview.web-production.svc:80",
    );
    await expect(runSmokeChecks({ url: "not a url", checks: [{ path: "/", status: 200 }], ...fast })).rejects.toThrow(
      "`--url` is `not a url`: not a URL;",
    );
    expect(hits).toEqual([]);
  });
});

describe("smoke command", () => {
  it("parses its flags and rejects bad ones by name", async () => {
    handler = reply(200, "ok");
    await expect(run(["--url", base, "--checks", '[{"path":"/healthz","status":200}]', "--retries", "0"])).resolves.toBe(0);
    await expect(run(["--url", base, "--checks", "/healthz"])).rejects.toThrow("`--checks` is `/healthz`: not JSON;");
    await expect(run(["--url", base, "--checks", '[{"path":"healthz","status":200}]'])).rejects.toThrow(
      "each check needs a `path` starting with / and a numeric `status`",
    );
    await expect(run(["--url", base, "--checks", "[]", "--retries", "two"])).rejects.toThrow("`--retries` is `two`");
    await expect(run(["--url", base, "--chekcs", "[]"])).rejects.toThrow(
      "smoke: unknown flag `--chekcs`; known flags: --url, --checks, --timeout-seconds, --retries, --backoff-seconds, --help",
    );
    await expect(run(["--checks", "[]"])).rejects.toThrow("smoke: `--url` is not set: pass `--url http://web-green-preview.production.svc:80`");
  });

  it("through the built CLI: exit 1 with one error line naming the failed check", async () => {
    handler = reply(500, "boom");
    // The server runs in this process, so the CLI runs asynchronously (spawnSync would block it).
    const child = spawn(process.execPath, [
      imageCli(),
      "smoke",
      "--url",
      base,
      "--checks",
      '[{"path":"/healthz","status":200}]',
      "--retries",
      "1",
      "--backoff-seconds",
      "0.01",
    ]);
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(1);
    const lines = stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.level} ${l.event}`)).toEqual(["warn smoke.check.retry", "error smoke.failed"]);
    expect(lines[1].error).toBe(`smoke check GET ${base}/healthz failed after 2 attempts: answered 500, expected 200; body "boom"`);
    expect(lines[1].stack).toBeUndefined();
  });
});
