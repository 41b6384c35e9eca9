/**
 * `maintenance-page` as the image runs it: a real process (the staged image tree's
 * `node dist/jobs/cli.js maintenance-page --port 0`) answering real HTTP requests on loopback:
 * status and headers on every path and method, HTML or JSON by the Accept header, HEAD without a
 * body, a hostile message escaped, settings from flags and env, bad flags refused, and SIGTERM
 * ending it with exit code 0. The negotiation rules themselves are checked on the pure functions.
 */
import * as http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAINTENANCE_MESSAGE, DEFAULT_RETRY_AFTER_SECONDS } from "../../config/maintenance";
import { DEFAULT_MESSAGE, DEFAULT_RETRY_AFTER_SECONDS as JOBS_DEFAULT_RETRY } from "../../jobs/commands/maintenancePage";
import { escapeHtml, humanDuration, negotiate } from "../../jobs/maintenance/page";
import { CliResult, runCli, startCli } from "./cli";

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function request(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path ?? "/", headers: options.headers, agent: options.agent ?? false, timeout: 5_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("no answer within 5 s")));
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Starts the page and resolves once it listens, with its port and a way to stop it. */
async function startPage(args: string[], env: Record<string, string> = {}) {
  const run = startCli(["maintenance-page", "--host", "127.0.0.1", "--port", "0", ...args], env);
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = "";
    run.child.stdout!.on("data", (chunk) => {
      buffered += chunk;
      const line = buffered.split("\n").find((l) => l.includes("maintenance-page.listening"));
      if (line) resolve(JSON.parse(line).port);
    });
    run.child.on("exit", (code) => reject(new Error(`maintenance-page exited with ${code} before listening`)));
  });
  return { port, child: run.child, done: run.done };
}

const HOSTILE = `</p><script>alert("x")</script><img src=x onerror='alert(1)'> & Co.`;

describe("the page server, as a process", () => {
  let page: Awaited<ReturnType<typeof startPage>>;

  beforeAll(async () => {
    page = await startPage(["--message", HOSTILE, "--retry-after-seconds", "120"]);
  });
  afterAll(async () => {
    page.child.kill("SIGTERM");
    await page.done;
  });

  it("answers 503 with Retry-After, Cache-Control: no-store and an HTML page by default, on any path and method", async () => {
    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/api/orders?page=2"],
      ["POST", "/api/orders"],
      ["PUT", "/users/7"],
      ["DELETE", "/x"],
      ["OPTIONS", "*"],
    ]) {
      const reply = await request(page.port, { method, path, body: method === "POST" ? JSON.stringify({ item: 1 }) : undefined, headers: method === "POST" ? { "content-type": "application/json" } : undefined });
      expect(reply.status, `${method} ${path}`).toBe(503);
      expect(reply.headers["retry-after"], `${method} ${path}`).toBe("120");
      expect(reply.headers["cache-control"], `${method} ${path}`).toBe("no-store");
      expect(reply.headers["content-type"], `${method} ${path}`).toBe("text/html; charset=utf-8");
      expect(reply.headers.vary).toBe("Accept");
      expect(Number(reply.headers["content-length"])).toBe(Buffer.byteLength(reply.body));
      expect(reply.body).toContain("<title>Down for maintenance</title>");
      expect(reply.body).toContain("Please try again in about 2 minutes.");
    }
  });

  it("escapes a hostile message in the HTML: no tag, attribute or entity of it survives", async () => {
    const { body, headers } = await request(page.port, { headers: { accept: "text/html" } });
    expect(body).toContain("<p>&lt;/p&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt; &amp; Co.</p>");
    expect(body).not.toContain("<script");
    expect(body).not.toContain("<img");
    expect(body.match(/<p>/g)).toHaveLength(2);
    expect(headers["content-security-policy"]).toBe("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
  });

  it("answers JSON when the client prefers it by q-value, with the message as given", async () => {
    for (const accept of ["application/json", "application/json, text/html;q=0.9", "text/html;q=0.5, application/json", "application/*", "application/json;q=0.4, */*;q=0.1"]) {
      const reply = await request(page.port, { path: "/api/cart", headers: { accept } });
      expect(reply.status, accept).toBe(503);
      expect(reply.headers["content-type"], accept).toBe("application/json; charset=utf-8");
      expect(reply.headers["retry-after"], accept).toBe("120");
      expect(reply.headers["cache-control"], accept).toBe("no-store");
      expect(JSON.parse(reply.body), accept).toEqual({ status: "maintenance", message: HOSTILE, retryAfterSeconds: 120 });
    }
  });

  it("answers HTML to browsers, to */*, to a tie and to text/html preferred", async () => {
    for (const accept of [
      "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
      "*/*",
      "application/json, text/html",
      "application/json;q=0.5, text/html",
      "image/png",
    ]) {
      const reply = await request(page.port, { headers: { accept } });
      expect(reply.headers["content-type"], accept).toBe("text/html; charset=utf-8");
    }
  });

  it("answers HEAD with the GET's status and headers and no body", async () => {
    for (const accept of ["text/html", "application/json"]) {
      const get = await request(page.port, { headers: { accept } });
      const head = await request(page.port, { method: "HEAD", headers: { accept } });
      expect(head.status).toBe(503);
      expect(head.body).toBe("");
      expect(head.headers["content-length"]).toBe(get.headers["content-length"]);
      expect(head.headers["content-type"]).toBe(get.headers["content-type"]);
      expect(head.headers["retry-after"]).toBe("120");
      expect(head.headers["cache-control"]).toBe("no-store");
    }
  });
});

describe("settings", () => {
  it("come from the environment the Deployment sets, a flag winning over its variable; the defaults are the stack config's", async () => {
    const fromEnv = await startPage([], { MAINTENANCE_MESSAGE: "Upgrading the database; back at 14:00 UTC.", MAINTENANCE_RETRY_AFTER_SECONDS: "900" });
    try {
      const reply = await request(fromEnv.port, { headers: { accept: "application/json" } });
      expect(reply.headers["retry-after"]).toBe("900");
      expect(JSON.parse(reply.body)).toEqual({ status: "maintenance", message: "Upgrading the database; back at 14:00 UTC.", retryAfterSeconds: 900 });
    } finally {
      fromEnv.child.kill("SIGTERM");
      await fromEnv.done;
    }
    const flagWins = await startPage(["--retry-after-seconds", "30"], { MAINTENANCE_RETRY_AFTER_SECONDS: "900" });
    try {
      const reply = await request(flagWins.port, { headers: { accept: "application/json" } });
      expect(JSON.parse(reply.body)).toEqual({ status: "maintenance", message: DEFAULT_MESSAGE, retryAfterSeconds: 30 });
    } finally {
      flagWins.child.kill("SIGTERM");
      await flagWins.done;
    }
    expect(DEFAULT_MESSAGE).toBe(DEFAULT_MAINTENANCE_MESSAGE);
    expect(JOBS_DEFAULT_RETRY).toBe(DEFAULT_RETRY_AFTER_SECONDS);
  });

  it("refuses bad flags with one error line naming the flag and the value, exit 2", async () => {
    const cases: [string[], string][] = [
      [["--retry-after-seconds", "0"], "maintenance-page: `--retry-after-seconds` is `0`: must be a whole number from 1 to 86400"],
      [["--port", "70000"], "maintenance-page: `--port` is `70000`: must be a whole number from 0 to 65535"],
      [["--message", "   "], "maintenance-page: `--message` is blank: pass the sentence users should read, or leave it out for the default"],
      [["--colour", "red"], "maintenance-page: unknown flag `--colour`; known flags: --port, --host, --message, --retry-after-seconds, --shutdown-delay-seconds, --help"],
    ];
    for (const [args, error] of cases) {
      const result = await runCli(["maintenance-page", ...args], {});
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.error, args.join(" ")).toBe(error);
    }
  });

  it("fails with one line and exit 1 when the port is taken", async () => {
    const first = await startPage([]);
    try {
      const second = await runCli(["maintenance-page", "--host", "127.0.0.1", "--port", String(first.port)], {});
      expect(second.code).toBe(1);
      expect(second.error).toBe(`maintenance-page: cannot listen on 127.0.0.1 port ${first.port}: listen EADDRINUSE: address already in use 127.0.0.1:${first.port}`);
    } finally {
      first.child.kill("SIGTERM");
      await first.done;
    }
  });
});

describe("SIGTERM", () => {
  const events = (result: CliResult) => result.lines.map((l) => l.event);

  it("ends it with exit code 0, closing a client's idle keep-alive connection", async () => {
    const page = await startPage([]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await request(page.port, { agent })).headers.connection).toBe("keep-alive");
      const sent = Date.now();
      page.child.kill("SIGTERM");
      const result = await page.done;
      expect(result.code).toBe(0);
      expect(result.signal).toBeNull();
      expect(Date.now() - sent).toBeLessThan(3_000);
      expect(events(result)).toEqual(["maintenance-page.listening", "maintenance-page.stopping", "maintenance-page.stopped"]);
      expect(result.events("maintenance-page.stopped")[0]).toMatchObject({ signal: "SIGTERM", drained: true });
    } finally {
      agent.destroy();
    }
  });

  it("with a shutdown delay, keeps answering (asking clients to close) until the delay is over, then exits 0", async () => {
    const page = await startPage(["--shutdown-delay-seconds", "2"]);
    page.child.kill("SIGTERM");
    const sent = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const during = await request(page.port);
    expect(during.status).toBe(503);
    expect(during.headers.connection).toBe("close");
    const result = await page.done;
    expect(result.code).toBe(0);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(2_000);
    await expect(request(page.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("negotiation and escaping", () => {
  it("prefers JSON only when its q-value beats HTML's, by the most specific matching range", () => {
    expect(negotiate(undefined)).toBe("html");
    expect(negotiate("")).toBe("html");
    expect(negotiate("application/json")).toBe("json");
    expect(negotiate("APPLICATION/JSON")).toBe("json");
    expect(negotiate("text/*;q=0.3, application/json;q=0.5")).toBe("json");
    // text/html is more specific than text/*: its own q counts.
    expect(negotiate("text/*;q=0.9, text/html;q=0.1, application/json;q=0.5")).toBe("json");
    expect(negotiate("application/json;q=0, */*")).toBe("html");
    expect(negotiate("*/*;q=0.5, application/json;q=0.4")).toBe("html");
    expect(negotiate("application/json;q=2")).toBe("json"); // an invalid q counts as 1
    expect(negotiate("garbage, ;;;, application/json;q=0.7")).toBe("json");
  });

  it("escapes the five HTML metacharacters and nothing else", () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a> ünïcode`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt; ünïcode");
  });

  it("says how long to wait in words", () => {
    expect([1, 45, 60, 90, 300, 3600, 7200, 86400].map(humanDuration)).toEqual(["1 second", "45 seconds", "1 minute", "2 minutes", "5 minutes", "60 minutes", "2 hours", "24 hours"]);
  });
});
