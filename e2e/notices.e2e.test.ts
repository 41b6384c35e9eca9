/**
 * Switch notices under the real engine: a local webhook receiver (a real HTTP server on loopback)
 * gets exactly one notice per switch, from a promotion by plain `pulumi up` and from
 * `rollback --apply`, none from an update that switches nothing; a receiver that hangs delays no
 * flip (the notice goes out after the selectors moved) and fails no update.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eStack, kubectlJson, releaseCli, timeFlip, timing, withoutProgress } from "./harness";

const NS = `e2e-notices-${process.pid}`;
const STACK = `e2e-notices-${process.pid}`;

interface Received {
  readonly text: string;
  readonly body: any;
}

let stack: E2eStack;
let server: http.Server;
const received: Received[] = [];
let hang = false;

const selector = () => kubectlJson("get", "service", "web", "-n", NS).spec.selector;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const parsed = JSON.parse(body);
      received.push({ text: parsed.text, body: parsed });
      if (hang) return; // never answers: the sender's own timeout must end it
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  stack = await E2eStack.create(STACK, {
    namespace: NS,
    config: {
      colors: { blue: { image: "ghcr.io/acme/web:1.0.0", replicas: 1 }, green: { image: "ghcr.io/acme/web:1.1.0", replicas: 1 } },
      secretEnv: { DATABASE_URL: "databaseUrl" },
      jobsImage: "ghcr.io/acme/web-jobs:1.0.0",
      rolloutTimeoutSeconds: 20,
      notify: { webhookSecret: "releaseWebhook" },
    },
    secrets: { databaseUrl: "postgres://web:e2e-only@db.invalid:5432/web", releaseWebhook: `http://127.0.0.1:${port}/hook` },
  });
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await stack?.destroy();
});

describe("every switch is announced exactly once", () => {
  it("the first up announces nothing (there is no switch yet)", async () => {
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(received).toEqual([]);
    // The webhook URL is a secret: never in the outputs.
    expect(JSON.stringify(await stack.outputs())).not.toContain("127.0.0.1");
  });

  it("a promotion by plain pulumi up: one notice, with the images of the color now live", async () => {
    stack.editConfig((c) => (c.activeColor = "green"));
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(received).toHaveLength(1);
    expect(received[0].text).toMatch(new RegExp(`^(web-)?${STACK}: traffic switched blue → green \\(pulumi up by .+\\)$`));
    expect(JSON.stringify(received[0].body.blocks)).toContain("ghcr.io/acme/web:1.1.0");
  });

  it("rollback --apply: one notice, sent by its targeted update; the next full up sends none", async () => {
    const run = await releaseCli(["rollback", "-s", STACK, "--apply"]);
    expect(withoutProgress(run.stderr)).toBe("");
    expect(run.code).toBe(0);
    expect(selector().color).toBe("blue");
    expect(received).toHaveLength(2);
    expect(received[1].text).toMatch(/traffic switched green → blue \(rollback --apply by .+\)$/);
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(up.changes).toEqual([]);
    expect(received).toHaveLength(2);
  });

  it("a receiver that hangs delays no flip and fails no update; the notice is tried twice", async () => {
    hang = true;
    stack.editConfig((c) => (c.activeColor = "green"));
    const { result: up, after: flipped } = await timeFlip(NS, "green", () => stack.up());
    timing("promotion with a hanging receiver: start -> flip", flipped);
    timing("promotion with a hanging receiver: start -> end (the notice's 2 tries of 5 s)", up.seconds);
    expect(up.error).toBe("");
    expect(selector().color).toBe("green");
    expect(received).toHaveLength(4); // two attempts of the same notice
    expect(received[2].text).toBe(received[3].text);
    // The flip came before the notice's attempts: at least their 5 s timeout before the end.
    expect(flipped!).toBeLessThan(up.seconds - 5);
    hang = false;
  });
});
