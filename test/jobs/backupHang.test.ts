/**
 * The backup commands against an S3 endpoint that accepts connections and never answers: each gives
 * up within its timeouts (after the SDK's retries) with one error line, and SIGTERM during the wait
 * ends it at once. A real PostgreSQL; the endpoint is a bare TCP server on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRAIN_MS } from "../../jobs/backup/interruption";
import { PostgresServer, startPostgres } from "../helpers/postgres";
import { S3Server, startS3 } from "../helpers/s3";
import { CliResult, jobEnv, requireZstd, runCli, seedSource, startCli } from "./backupFixture";
import { HangingEndpoint, startHangingEndpoint } from "./hangingEndpoint";

let pg: PostgresServer;
let s3: S3Server;
let sourceUrl: string;
const endpoints: HangingEndpoint[] = [];

beforeAll(async () => {
  requireZstd();
  [pg, s3] = await Promise.all([startPostgres(), startS3()]);
  sourceUrl = await seedSource(pg, "app");
});

afterAll(async () => {
  await Promise.all([pg?.stop(), s3?.stop(), ...endpoints.map((e) => e.close())]);
});

async function hangingEndpoint(): Promise<HangingEndpoint> {
  const endpoint = await startHangingEndpoint();
  endpoints.push(endpoint);
  return endpoint;
}

/** The three commands, each against its own hanging endpoint; the target databases are empty. */
async function commands(endpoint: (name: string) => Promise<HangingEndpoint>) {
  const env = async (name: string) => jobEnv(pg, s3, name, { S3_ENDPOINT: (await endpoint(name)).url });
  return [
    { name: "backup", args: ["backup", "--database-url", sourceUrl], env: await env("backup") },
    { name: "restore-check", args: ["restore-check", "--scratch-database-url", pg.url("postgres")], env: await env("restore-check") },
    { name: "restore", args: ["restore", "--target-database-url", await pg.createDatabase(`target_${Math.random().toString(36).slice(2, 8)}`)], env: await env("restore") },
  ];
}

async function relationsIn(url: string): Promise<number> {
  const database = new URL(url).pathname.slice(1);
  const [row] = await pg.query<{ n: string }>("SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'", database);
  return Number(row.n);
}

async function leftovers(): Promise<{ scratch: string[]; sourceSessions: number }> {
  const scratch = await pg.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'restore\\_check\\_%'");
  const [sessions] = await pg.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = 'app'");
  return { scratch: scratch.map((r) => r.datname), sourceSessions: Number(sessions.n) };
}

function errorLines(result: CliResult) {
  return result.lines.filter((l) => l.level === "error");
}

/** Each command pointed at an endpoint of its own that accepts connections and never answers. */
async function commandsOnHangingEndpoints() {
  const used = new Map<string, HangingEndpoint>();
  const list = await commands(async (name) => {
    const endpoint = await hangingEndpoint();
    used.set(name, endpoint);
    return endpoint;
  });
  return { used, list };
}

describe("an S3 endpoint that accepts connections and never answers", () => {
  it("backup, restore-check and restore each fail after 3 attempts of the request timeout, with one error line and nothing on stderr", async () => {
    const { used, list } = await commandsOnHangingEndpoints();
    const results = await Promise.all(
      list.map(async (command) => {
        const started = Date.now();
        const result = await runCli([...command.args, "--s3-request-timeout-seconds", "1"], command.env);
        return { ...command, result, seconds: (Date.now() - started) / 1000 };
      }),
    );
    for (const { name, result, seconds, args } of results) {
      expect(result.code, `${name}: ${result.stdout}`).toBe(1);
      expect(errorLines(result), name).toHaveLength(1);
      expect(result.error, name).toMatch(/TimeoutError: the request socket timed out after 1000 ms of inactivity, after 3 attempts; check that the endpoint is reachable and answers, or raise --s3-connect-timeout-seconds \/ --s3-request-timeout-seconds/);
      expect(result.stderr, name).toBe("");
      // Three attempts of 1 s each, plus start-up and back-off: not the 60 s default, not for ever.
      expect(seconds, name).toBeGreaterThanOrEqual(3);
      expect(seconds, name).toBeLessThan(15);
      expect(used.get(name)!.connections(), `${name}: one connection per attempt`).toBe(3);
      if (name === "restore") expect(await relationsIn(args[2])).toBe(0);
    }
    expect(results.find((r) => r.name === "backup")!.result.error).toMatch(/^upload to s3:\/\/backups\/backup\/dumps\/\S+ failed after \d+ bytes: TimeoutError/);
    expect(results.find((r) => r.name === "restore-check")!.result.error).toMatch(/^cannot list s3:\/\/backups\/restore-check\/manifests\/: TimeoutError/);
    expect(results.find((r) => r.name === "restore")!.result.error).toMatch(/^cannot list s3:\/\/backups\/restore\/manifests\/: TimeoutError/);
    // pg_dump and the snapshot connection are gone; no scratch database was created.
    for (let i = 0; (await leftovers()).sourceSessions > 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await leftovers()).toEqual({ scratch: [], sourceSessions: 0 });
  });

  it("SIGTERM while a request waits ends each command within seconds, with one error line, exit 143", async () => {
    const { used, list } = await commandsOnHangingEndpoints();
    const results = await Promise.all(
      list.map(async (command) => {
        // Default timeouts (60 s): only the signal can end the wait this early.
        const run = startCli(command.args, command.env);
        await used.get(command.name)!.waitForConnections(1);
        const signalled = Date.now();
        run.child.kill("SIGTERM");
        const result = await run.done;
        return { ...command, result, seconds: (Date.now() - signalled) / 1000 };
      }),
    );
    for (const { name, result, seconds, args } of results) {
      expect(result.code, `${name}: ${result.stdout}`).toBe(143);
      expect(errorLines(result), name).toHaveLength(1);
      expect(result.stderr, name).toBe("");
      // restore-check and restore end their requests at once; the backup gives its upload's
      // requests DRAIN_MS to finish first, so that aborting the upload leaves no part behind.
      const drain = name === "backup" ? DRAIN_MS / 1000 : 0;
      expect(seconds, name).toBeGreaterThanOrEqual(drain);
      expect(seconds, name).toBeLessThan(drain + 3);
      if (name === "restore") expect(await relationsIn(args[2])).toBe(0);
    }
    expect(results.find((r) => r.name === "backup")!.result.error).toMatch(/^interrupted by SIGTERM after \d+ bytes; the multipart upload was aborted and no manifest was written$/);
    expect(results.find((r) => r.name === "restore-check")!.result.error).toBe("interrupted by SIGTERM before creating a scratch database");
    expect(results.find((r) => r.name === "restore")!.result.error).toBe("interrupted by SIGTERM before touching the target; nothing was restored");
    for (let i = 0; (await leftovers()).sourceSessions > 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await leftovers()).toEqual({ scratch: [], sourceSessions: 0 });
  });

  it("a CloudWatch endpoint that never answers costs a complete backup only a warning, after the request timeout", async () => {
    const cloudwatch = await hangingEndpoint();
    const started = Date.now();
    const result = await runCli(
      ["backup", "--database-url", sourceUrl, "--metrics-namespace", "Bluegreen/Backups", "--cloudwatch-endpoint", cloudwatch.url, "--s3-request-timeout-seconds", "1"],
      jobEnv(pg, s3, "metrics-hang"),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(result.code, result.stdout).toBe(0);
    expect(result.lines.find((l) => l.event === "backup.metrics-failed").error).toMatch(/publishing CloudWatch metrics failed: TimeoutError: .*after 3 attempts/);
    expect(cloudwatch.connections()).toBe(3);
    expect(seconds).toBeLessThan(15);
    expect(result.stderr).toBe("");
    expect((await s3.keys("metrics-hang/manifests/")).length).toBe(1);
  });

  it("timeouts are flags or env, whole seconds within bounds", async () => {
    const bad = await runCli(["restore-check", "--scratch-database-url", pg.url("postgres"), "--s3-connect-timeout-seconds", "0"], jobEnv(pg, s3, "flags"));
    expect(bad.code).toBe(2);
    expect(bad.error).toBe("restore-check: `--s3-connect-timeout-seconds` is `0`: must be a whole number from 1 to 300");
    const fromEnv = await runCli(["restore", "--target-database-url", pg.url("postgres")], jobEnv(pg, s3, "flags", { S3_REQUEST_TIMEOUT_SECONDS: "1.5" }));
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.error).toBe("restore: `--s3-request-timeout-seconds` is `1.5`: must be a whole number from 1 to 3600");
  });
});
