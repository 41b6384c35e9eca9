/**
 * A stack with a `notify` section deployed by the previous release of this program (one
 * SwitchNotice, no staged notices, the switch-only provider) upgrades in place under the real
 * engine: the new program creates the two colors' staged notices and nothing else — the
 * SwitchNotice keeps its state and sends nothing, no Kubernetes object changes — and the next
 * switch is announced once by the new provider from the old state.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eStack, objectVersions, ROOT } from "./harness";

/** The last commit whose program announced switches only (SwitchNotice, no StagedNotice). */
const PREVIOUS_PROGRAM = "9bd2d99877d536b6dec291cc625bcc7ef03bfc70";

const NS = `e2e-upgrade-notices-${process.pid}`;
const STACK = `e2e-upgrade-notices-${process.pid}`;
const worktree = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-previous-")), "program");
let stack: E2eStack;
let server: http.Server;
const received: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push(JSON.parse(body).text);
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  execFileSync("git", ["worktree", "add", "--detach", worktree, PREVIOUS_PROGRAM], { cwd: ROOT, stdio: "ignore", timeout: 60_000 });
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: worktree, stdio: "ignore", timeout: 600_000 });
  stack = await E2eStack.create(STACK, {
    namespace: NS,
    workDir: worktree,
    config: {
      colors: { blue: { image: "ghcr.io/acme/web:1.0.0", replicas: 1 }, green: { image: "ghcr.io/acme/web:1.1.0", replicas: 1 } },
      jobsImage: "ghcr.io/acme/web-jobs:1.0.0",
      notify: { webhookSecret: "releaseWebhook" },
    },
    secrets: { releaseWebhook: `http://127.0.0.1:${port}/hook` },
  });
}, 900_000);

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await stack?.destroy();
  execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: ROOT, stdio: "ignore", timeout: 60_000 });
});

describe("upgrading a stack with notices from the previous program", () => {
  it("creates only the staged notices; the SwitchNotice keeps its state and says nothing; the next switch is announced once", async () => {
    expect((await stack.up()).error).toBe("");
    stack.editConfig((c) => (c.activeColor = "green"));
    expect((await stack.up()).error).toBe("");
    expect(received).toEqual([expect.stringMatching(/traffic switched blue → green/)]);
    const before = objectVersions(NS);

    await stack.moveTo(ROOT);
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(up.changes).toEqual([
      "create bluegreen:notify:StagedNotice::web-blue-staged-notice",
      "create bluegreen:notify:StagedNotice::web-green-staged-notice",
      "create pulumi-nodejs:dynamic/notify:StagedNotice::web-blue-staged-notice",
      "create pulumi-nodejs:dynamic/notify:StagedNotice::web-green-staged-notice",
    ]);
    expect(objectVersions(NS)).toEqual(before);
    expect(received).toHaveLength(1);
    expect((await stack.up()).changes).toEqual([]);

    // A rollback by plain `pulumi up`: the new provider reads the old SwitchNotice's state.
    stack.editConfig((c) => (c.activeColor = "blue"));
    expect((await stack.up()).error).toBe("");
    expect(received.slice(1)).toEqual([expect.stringMatching(/traffic switched green → blue \(pulumi up/)]);
  });
});
