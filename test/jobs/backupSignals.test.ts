/**
 * SIGTERM at the edges of the backup commands' lives: while node is still loading the command's
 * modules (it used to kill node without a word), after the dump's upload completed (the backup is
 * complete and recorded: exit 0), and while restore's pg_restore runs (its transaction rolls back).
 * A real PostgreSQL and s3rver; a proxy holds chosen S3 requests back.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresServer, startPostgres } from "../helpers/postgres";
import { S3Server, startS3 } from "../helpers/s3";
import { jobEnv, requireZstd, runCli, seedSource, startCli } from "./backupFixture";
import { S3Proxy, startS3Proxy } from "./s3Proxy";

let pg: PostgresServer;
let s3: S3Server;
let sourceUrl: string;
const proxies: S3Proxy[] = [];
let preloadDir: string;

beforeAll(async () => {
  requireZstd();
  [pg, s3] = await Promise.all([startPostgres(), startS3()]);
  sourceUrl = await seedSource(pg, "app");
  // Holds node for a while inside the load of the command's module (as a slow disk or a busy node
  // would) and says so on stderr, so the test can signal exactly then.
  preloadDir = fs.mkdtempSync(path.join(os.tmpdir(), "slow-load-"));
  fs.writeFileSync(
    path.join(preloadDir, "slowLoad.js"),
    `const Module = require("module");
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request.startsWith("./commands/")) {
    require("fs").writeSync(2, "loading " + request + "\\n");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
  return load.call(this, request, ...rest);
};
`,
  );
});

afterAll(async () => {
  await Promise.all([pg?.stop(), s3?.stop(), ...proxies.map((p) => p.close())]);
  fs.rmSync(preloadDir, { recursive: true, force: true });
});

async function proxy(rule: Parameters<typeof startS3Proxy>[1]): Promise<S3Proxy> {
  const started = await startS3Proxy(s3.endpoint, rule);
  proxies.push(started);
  return started;
}

async function relationsIn(database: string): Promise<number> {
  const [row] = await pg.query<{ n: string }>("SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'", database);
  return Number(row.n);
}

describe("SIGTERM while node loads the command", () => {
  it.each([
    ["backup", () => ["--database-url", sourceUrl], "interrupted by SIGTERM before connecting; nothing was uploaded"],
    ["restore-check", () => ["--scratch-database-url", pg.url("postgres")], "interrupted by SIGTERM before creating a scratch database"],
    ["restore", () => ["--target-database-url", pg.url("postgres")], "interrupted by SIGTERM before touching the target; nothing was restored"],
  ])("%s exits 143 with its one error line, having touched nothing", async (command, args, message) => {
    const prefix = `early-${command}`;
    const run = startCli([command, ...args()], jobEnv(pg, s3, prefix), ["--require", path.join(preloadDir, "slowLoad.js")]);
    await new Promise<void>((resolve) => run.child.stderr!.on("data", (chunk: Buffer) => chunk.toString().includes("loading ./commands/") && resolve()));
    run.child.kill("SIGTERM");
    const result = await run.done;
    expect(result.signal, "node died of the signal: nothing listened for it yet").toBeNull();
    expect(result.code).toBe(143);
    expect(result.lines.filter((l) => l.level === "error")).toHaveLength(1);
    expect(result.error).toBe(message);
    expect(result.stderr.trim()).toMatch(/^loading \.\/commands\/\w+$/);
    expect(await s3.keys(`${prefix}/`)).toEqual([]);
    const scratch = await pg.query("SELECT datname FROM pg_database WHERE datname LIKE 'restore\\_check\\_%'");
    expect(scratch).toEqual([]);
  });
});

describe("SIGTERM after the dump's upload completed", () => {
  it("lets the manifest write finish: the backup is complete and recorded, and the job exits 0 saying so", async () => {
    // The manifest PUT is held for a while, so the signal lands between the upload and the manifest.
    const slow = await proxy((method, p) => (method === "PUT" && p.includes("/manifests/") ? { delayMs: 1500 } : undefined));
    const run = startCli(["backup", "--database-url", sourceUrl], jobEnv(pg, s3, "late-signal", { S3_ENDPOINT: slow.endpoint }));
    expect(await run.waitForLine((l) => l.event === "backup.uploaded")).toBeDefined();
    run.child.kill("SIGTERM");
    const result = await run.done;
    expect(result.code, result.stdout).toBe(0);
    expect(result.lines.filter((l) => l.level === "error")).toEqual([]);
    expect(result.lines.find((l) => l.event === "backup.succeeded")).toMatchObject({
      note: "SIGTERM arrived after the dump completed; the manifest was written first",
    });
    expect(result.stderr).toBe("");
    const keys = await s3.keys("late-signal/");
    expect(keys.filter((k) => k.includes("/manifests/"))).toHaveLength(1);
    expect(keys.filter((k) => k.includes("/dumps/"))).toHaveLength(1);
    // The recorded backup is a good one.
    const check = await runCli(["restore-check", "--scratch-database-url", pg.url("postgres")], jobEnv(pg, s3, "late-signal"));
    expect(check.code, check.stdout).toBe(0);
  });
});

describe("SIGTERM while restore's pg_restore runs", () => {
  it("stops it before its single transaction commits: exit 143, one line, the target as it was", async () => {
    // A few MB of dump: zstd passes data on to pg_restore in blocks of up to 128 kB.
    const bigger = await seedSource(pg, "restore_signal_source", 20_000);
    const backup = await runCli(["backup", "--database-url", bigger], jobEnv(pg, s3, "restore-signal"));
    expect(backup.code, backup.stdout).toBe(0);
    const half = Math.floor(backup.lines.find((l) => l.event === "backup.succeeded").bytes / 2);
    // The first read of the dump (the check before touching the target) goes through; the second,
    // into pg_restore, stops half-way.
    let dumpReads = 0;
    const stalling = await proxy((method, p) => (method === "GET" && p.includes("/dumps/") && ++dumpReads === 2 ? { stallBodyAfterBytes: half } : undefined));
    const target = await pg.createDatabase("signalled_target");
    const run = startCli(["restore", "--target-database-url", target], jobEnv(pg, s3, "restore-signal", { S3_ENDPOINT: stalling.endpoint }));
    expect(await run.waitForLine((l) => l.event === "restore.verified")).toBeDefined();
    for (let i = 0; i < 200; i++) {
      const [row] = await pg.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = 'signalled_target' AND application_name = 'pg_restore'");
      if (Number(row.n) > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const signalled = Date.now();
    run.child.kill("SIGTERM");
    const result = await run.done;
    expect(result.code, result.stdout).toBe(143);
    expect(result.lines.filter((l) => l.level === "error")).toHaveLength(1);
    expect(result.error).toBe("interrupted by SIGTERM while pg_restore ran: it was stopped before its single transaction committed, so the target is as it was");
    expect(result.stderr).toBe("");
    expect((Date.now() - signalled) / 1000).toBeLessThan(3);
    expect(await relationsIn("signalled_target")).toBe(0);
  });
});
