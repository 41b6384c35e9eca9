/**
 * restore-check killed mid-restore. SIGKILL leaves its scratch database behind, and the next check
 * whose deadline it outlived drops it (one within the deadline leaves it alone: it may belong to a
 * running check). SIGTERM drops its own and exits 143 with one error line. The restore is held
 * mid-way by a proxy that sends only the first half of the dump, so pg_restore is connected and
 * waiting for more when the signal comes (zstd passes data on in blocks of up to 128 kB, so the
 * dump is a few MB).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresServer, startPostgres } from "../helpers/postgres";
import { S3Server, startS3 } from "../helpers/s3";
import { jobEnv, requireZstd, runCli, seedSource, startCli } from "./backupFixture";
import { S3Proxy, startS3Proxy } from "./s3Proxy";

let pg: PostgresServer;
let s3: S3Server;
let proxy: S3Proxy;

beforeAll(async () => {
  requireZstd();
  [pg, s3] = await Promise.all([startPostgres(), startS3()]);
  const sourceUrl = await seedSource(pg, "app", 20_000);
  const backup = await runCli(["backup", "--database-url", sourceUrl], jobEnv(pg, s3, "rc"));
  expect(backup.code, backup.stdout).toBe(0);
  const half = Math.floor(backup.lines.find((l) => l.event === "backup.succeeded").bytes / 2);
  proxy = await startS3Proxy(s3.endpoint, (method, path) => (method === "GET" && path.includes("/dumps/") ? { stallBodyAfterBytes: half } : undefined));
});

afterAll(async () => {
  await Promise.all([pg?.stop(), s3?.stop(), proxy?.close()]);
});

const check = (extra: string[] = [], env: Record<string, string> = {}) =>
  runCli(["restore-check", "--scratch-database-url", pg.url("postgres"), ...extra], jobEnv(pg, s3, "rc", env));

async function scratchDatabases(): Promise<string[]> {
  const rows = await pg.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'restore\\_check\\_%' ORDER BY 1");
  return rows.map((r) => r.datname);
}

/** Starts a check through the stalling proxy and resolves once pg_restore is connected to its scratch database. */
async function checkStuckMidRestore() {
  const run = startCli(["restore-check", "--scratch-database-url", pg.url("postgres")], jobEnv(pg, s3, "rc", { S3_ENDPOINT: proxy.endpoint }));
  const created = await run.waitForLine((l) => l.event === "restore-check.scratch-created");
  expect(created, "the check ended before creating its scratch database").toBeDefined();
  const scratch = /\/(restore_check_\w+)$/.exec(created.database)![1];
  for (let i = 0; i < 200; i++) {
    const [row] = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '${scratch}' AND application_name = 'pg_restore'`);
    if (Number(row.n) > 0) return { run, scratch };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`pg_restore never connected to ${scratch}`);
}

describe("restore-check killed mid-restore", () => {
  it("SIGKILL leaves the scratch database; a later check drops it once it is older than the deadline, not before", async () => {
    const { run, scratch } = await checkStuckMidRestore();
    run.child.kill("SIGKILL");
    expect((await run.done).signal).toBe("SIGKILL");
    expect(await scratchDatabases()).toEqual([scratch]);

    // Within the default deadline (an hour) the database may belong to a running check: kept.
    const young = await check();
    expect(young.code, young.stdout).toBe(0);
    expect(young.lines.some((l) => l.event === "restore-check.stale-dropped")).toBe(false);
    expect(await scratchDatabases()).toEqual([scratch]);

    // Past the deadline no check can still be using it: the next check drops it first, then checks.
    await new Promise((r) => setTimeout(r, 2100));
    const later = await check(["--deadline-seconds", "1"]);
    expect(later.code, later.stdout).toBe(0);
    const dropped = later.lines.filter((l) => l.event === "restore-check.stale-dropped");
    expect(dropped).toEqual([expect.objectContaining({ level: "info", database: scratch, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/) })]);
    expect(later.lines.findIndex((l) => l.event === "restore-check.stale-dropped")).toBeLessThan(later.lines.findIndex((l) => l.event === "restore-check.scratch-created"));
    expect(later.stderr).toBe("");
    expect(await scratchDatabases()).toEqual([]);
  });

  it("SIGTERM stops pg_restore, drops its scratch database and exits 143 with one error line", async () => {
    const { run, scratch } = await checkStuckMidRestore();
    const signalled = Date.now();
    run.child.kill("SIGTERM");
    const result = await run.done;
    const seconds = (Date.now() - signalled) / 1000;
    expect(result.code, result.stdout).toBe(143);
    expect(result.lines.filter((l) => l.level === "error")).toHaveLength(1);
    expect(result.error).toBe(`interrupted by SIGTERM while checking in the scratch database ${scratch}; it was dropped`);
    expect(result.lines.find((l) => l.event === "restore-check.scratch-dropped")).toMatchObject({ database: scratch });
    expect(result.stderr).toBe("");
    expect(seconds).toBeLessThan(3);
    expect(await scratchDatabases()).toEqual([]);
    const [sessions] = await pg.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'pg_restore'");
    expect(Number(sessions.n)).toBe(0);
  });

  it("a deadline that is not a whole number of seconds is refused before anything is touched", async () => {
    const result = await check(["--deadline-seconds", "soon"]);
    expect(result.code).toBe(2);
    expect(result.error).toBe("restore-check: `--deadline-seconds` is `soon`: must be a whole number from 1 to 604800");
  });
});
