/**
 * A bad or unreachable DATABASE_URL, for both commands that connect with jobs/migrate/connect.ts:
 * exit 2 for a malformed URL, otherwise one error line naming host:port and what to check, with
 * no stack trace and no password.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresServer, startPostgres } from "../helpers/postgres";
import { CliResult, migrationDir, runCli } from "./cli";

let pg: PostgresServer;
let silent: net.Server;
const held: net.Socket[] = [];
const dir = migrationDir({ "001_t.sql": "CREATE TABLE t (id int);\n" });
const spec = `${dir}/schema.yaml`;

beforeAll(async () => {
  pg = await startPostgres();
  // Accepts connections and never answers, like a host behind a firewall that drops packets.
  silent = net.createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  fs.writeFileSync(spec, "tables: []\n");
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await pg?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const COMMANDS: Record<string, string[]> = {
  migrate: ["migrate", "--dir", dir],
  verify: ["verify", "--spec", spec],
};

/** The one error line, checked to carry no stack trace and no password. */
function failure(result: CliResult): string {
  const errors = result.lines.filter((l) => l.level === "error");
  expect(errors).toHaveLength(1);
  expect(errors[0]).not.toHaveProperty("stack");
  expect(JSON.stringify(result.lines)).not.toContain("s3cret");
  return result.error!;
}

describe.each(Object.keys(COMMANDS))("%s with a bad DATABASE_URL", (command) => {
  const run = (url: string) => runCli(COMMANDS[command], { DATABASE_URL: url });

  it("names a host that does not resolve", async () => {
    const result = await run("postgres://app:s3cret@db.invalid:5432/app");
    expect(result.code).toBe(1);
    expect(failure(result)).toMatch(
      /^cannot connect to PostgreSQL at db\.invalid:5432 \(DATABASE_URL\): the host name `db\.invalid` does not resolve \((ENOTFOUND|EAI_AGAIN)\); check the host in DATABASE_URL$/,
    );
  });

  it("names a port where nothing listens", async () => {
    const port = await closedPort();
    const result = await run(`postgres://app:s3cret@127.0.0.1:${port}/app`);
    expect(result.code).toBe(1);
    expect(failure(result)).toBe(
      `cannot connect to PostgreSQL at 127.0.0.1:${port} (DATABASE_URL): connection refused (ECONNREFUSED); check the port in DATABASE_URL and that PostgreSQL is running and listening on that address`,
    );
  });

  it("gives up on a server that never answers after connect_timeout", async () => {
    const { port } = silent.address() as net.AddressInfo;
    const started = Date.now();
    const result = await run(`postgres://app:s3cret@127.0.0.1:${port}/app?connect_timeout=1`);
    expect(result.code).toBe(1);
    expect(failure(result)).toBe(
      `cannot connect to PostgreSQL at 127.0.0.1:${port} (DATABASE_URL): no answer within 1 s; check the host and port in DATABASE_URL, and that the network (firewall, security group, network policy) lets this pod reach it`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("passes on the server's refusal, such as a missing database", async () => {
    const result = await run(pg.url("missing_db"));
    expect(result.code).toBe(1);
    expect(failure(result)).toBe(
      `cannot connect to PostgreSQL at 127.0.0.1:${pg.port} (DATABASE_URL): database "missing_db" does not exist (SQLSTATE 3D000); check the database name in DATABASE_URL`,
    );
  });

  it("rejects a malformed URL with exit code 2, before connecting", async () => {
    const notUrl = await run("host=db user=app password=s3cret");
    expect(notUrl.code).toBe(2);
    expect(failure(notUrl)).toBe("DATABASE_URL is `host=db user=app password=***`, not a URL: use `postgres://user:password@host:5432/database`");
    const noScheme = await run("//app:s3cret@db:5432/app");
    expect(noScheme.code).toBe(2);
    expect(failure(noScheme)).toBe("DATABASE_URL is `//app:***@db:5432/app`, not a URL: use `postgres://user:password@host:5432/database`");
    const scheme = await run("mysql://app:s3cret@db:3306/app");
    expect(scheme.code).toBe(2);
    expect(failure(scheme)).toBe("DATABASE_URL has scheme `mysql:`: use `postgres://user:password@host:5432/database`");
    const timeout = await run("postgres://app:s3cret@db:5432/app?connect_timeout=soon");
    expect(timeout.code).toBe(2);
    expect(failure(timeout)).toBe("DATABASE_URL has connect_timeout=`soon`: must be a whole number of seconds ≥ 1, such as 15");
  });
});
