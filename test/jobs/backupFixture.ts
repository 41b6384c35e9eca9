/**
 * Shared set-up for the backup job tests: a real PostgreSQL, an in-process s3rver, a seeded source
 * database, and a runner for the jobs CLI as the image ships it (imageTree.ts) that collects the
 * JSON log lines.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as path from "node:path";
import { PostgresServer } from "../helpers/postgres";
import { S3Server } from "../helpers/s3";
import { imageCli } from "./imageTree";

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lines: any[];
  readonly stdout: string;
  readonly stderr: string;
  /** The one `level: "error"` line's message, if any. */
  readonly error?: string;
}

export interface CliRun {
  readonly child: ChildProcess;
  /** Resolves with the first log line matching, or undefined when the process ended first. */
  waitForLine(match: (line: any) => boolean): Promise<any | undefined>;
  readonly done: Promise<CliResult>;
}

/** Backups are zstd-compressed by default: without zstd these tests fail here, saying so. */
export function requireZstd(): void {
  try {
    execFileSync("zstd", ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error("zstd is not on PATH: the backup jobs compress with it; install the Debian package `zstd` (.ci/run does)");
  }
}

/** Starts the CLI; `nodeArgs` go to node itself (such as `--require <preload>`). */
export function startCli(args: readonly string[], env: Record<string, string>, nodeArgs: readonly string[] = []): CliRun {
  const child = spawn(process.execPath, [...nodeArgs, imageCli(), ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const lines: any[] = [];
  const waiters: { match: (line: any) => boolean; resolve: (line: any) => void }[] = [];
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let line: any;
      try {
        line = JSON.parse(text);
      } catch {
        line = { unparsed: text };
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code, signal) => {
      for (const w of waiters.splice(0)) w.resolve(undefined);
      const errors = lines.filter((l) => l.level === "error");
      resolve({ code, signal, lines, stdout, stderr, error: errors.length === 1 ? errors[0].error : undefined });
    });
  });
  return {
    child,
    done,
    waitForLine(match) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(undefined);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return startCli(args, env).done;
}

/** Env for a job against this PostgreSQL and s3rver, with the PostgreSQL tools on PATH. */
export function jobEnv(pg: PostgresServer, s3: S3Server, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...s3.env(prefix), PATH: `${pg.binaries.binDir}${path.delimiter}${process.env.PATH ?? ""}`, ...extra };
}

/** A small database with several kinds of objects: tables with FKs, bytea, NULLs, a view, a sequence. */
export async function seedSource(pg: PostgresServer, name: string, rows = 500): Promise<string> {
  const url = await pg.createDatabase(name);
  await pg.query(
    `
    CREATE SCHEMA billing;
    CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, note text, created_at timestamptz NOT NULL);
    CREATE TABLE billing.invoices (id bigserial PRIMARY KEY, user_id int NOT NULL REFERENCES users(id), amount numeric(12,2), payload bytea);
    CREATE TABLE empty_table (id int);
    CREATE VIEW user_totals AS SELECT u.id, sum(i.amount) AS total FROM users u JOIN billing.invoices i ON i.user_id = u.id GROUP BY u.id;
    INSERT INTO users (email, note, created_at)
      SELECT 'user' || i || '@example.com', CASE WHEN i % 7 = 0 THEN NULL ELSE 'note ''' || i || E'''\\n' END, timestamptz '2024-01-01' + i * interval '1 minute'
      FROM generate_series(1, ${rows}) i;
    INSERT INTO billing.invoices (user_id, amount, payload)
      SELECT 1 + i % ${rows}, (i * 1.25)::numeric(12,2), decode(md5(i::text), 'hex') FROM generate_series(1, ${rows * 3}) i;
    `,
    name,
  );
  return url;
}

/** A fingerprint of every table's full contents, to compare two databases. */
export async function contentsOf(pg: PostgresServer, database: string): Promise<Record<string, string>> {
  const tables = await pg.query<{ name: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    database,
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await pg.query<{ n: string; h: string }>(`SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM ${name} t`, database);
    result[name] = `${row.n}:${row.h}`;
  }
  return result;
}
