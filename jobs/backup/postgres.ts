/**
 * PostgreSQL helpers shared by the backup commands: connecting with operator-readable errors,
 * version checks, passing URLs to libpq tools without exposing the password, and table row counts.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Client, QueryConfig } from "pg";
import { JobError } from "../log";

/** `host:port/database` of a URL, safe to print (no user, no password). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "(unparsable URL)";
  }
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, "")) || "postgres";
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function checkDatabaseUrl(command: string, flag: string, url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new JobError(`${command}: \`--${flag}\` is not a URL: use \`postgres://user:password@host:5432/database\``, 2);
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new JobError(`${command}: \`--${flag}\` has scheme \`${u.protocol}\`: use \`postgres://user:password@host:5432/database\``, 2);
  }
}

/**
 * Arguments for pg_dump/pg_restore: the URL without its password (argv is visible in `ps`), the
 * password in PGPASSWORD.
 */
export function libpqConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = "";
  return { dbname: u.toString(), env: password ? { PGPASSWORD: password } : {} };
}

export async function connect(url: string, role: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => undefined); // a dropped connection surfaces on the next query
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new JobError(`cannot connect to the ${role} at ${describeUrl(url)}: ${(error as Error).message || (error as Error).name}`);
  }
  return client;
}

export interface ServerVersion {
  readonly text: string;
  readonly major: number;
}

export async function serverVersion(client: Client): Promise<ServerVersion> {
  const { rows } = await client.query<{ num: string; text: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text",
  );
  return { text: rows[0].text, major: Math.floor(Number(rows[0].num) / 10000) };
}

export interface ToolVersion {
  readonly text: string;
  readonly major: number;
}

/** Runs `<tool> --version`: `pg_dump (PostgreSQL) 15.14 (Debian ...)` -> 15. */
export async function toolVersion(path: string): Promise<ToolVersion> {
  let out: string;
  try {
    out = (await promisify(execFile)(path, ["--version"], { encoding: "utf8" })).stdout.trim();
  } catch (error) {
    throw new JobError(`cannot run \`${path} --version\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; install the PostgreSQL client tools or pass its path`);
  }
  return { text: out, major: majorOf(out) ?? Number.NaN };
}

export function majorOf(versionText: string): number | undefined {
  const match = /(?:\(PostgreSQL\)\s*|^)(\d+)(?:\.\d+)?/.exec(versionText);
  return match ? Number(match[1]) : undefined;
}

/** Ordinary tables outside the system schemas, as `"schema"."table"`, in a stable order. */
export async function listTables(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(`
    SELECT format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
    ORDER BY 1`);
  return rows.map((r) => r.name);
}

export async function countRows(client: Client, tables: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    // `table` comes from format('%I.%I'), so it is already quoted.
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(rows[0].n);
  }
  return counts;
}

/** Relations (tables, views, sequences, ...) outside the system schemas: a non-empty database has some. */
export async function userRelationCount(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`
    SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`);
  return Number(rows[0].n);
}

/** A query that fails with "Query read timeout" when no answer came within `ms` (pg takes this per query). */
export async function queryWithin(client: Client, text: string, ms: number): Promise<void> {
  await client.query({ text, query_timeout: ms } as QueryConfig);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
