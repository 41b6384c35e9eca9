/**
 * Connecting to DATABASE_URL, for `migrate` and `verify`. A malformed URL is an argument error
 * (exit 2); a server that cannot be reached or refuses the login gets one line naming host:port and
 * what to check, never a stack trace. The password is never printed.
 */
import { Client, DatabaseError } from "pg";
import { JobError } from "../log";

/** How long connecting (DNS, TCP, TLS, login) may take, unless the URL sets `connect_timeout`. */
export const CONNECT_TIMEOUT_SECONDS = 15;

const EXAMPLE = "`postgres://user:password@host:5432/database`";

export interface DatabaseTarget {
  readonly host: string;
  readonly port: string;
  readonly connectTimeoutSeconds: number;
}

/** What a URL points at; throws an exit-2 JobError naming what is wrong with it. */
export function databaseTarget(url: string): DatabaseTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new JobError(`DATABASE_URL is \`${redact(url)}\`, not a URL: use ${EXAMPLE}`, 2);
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new JobError(`DATABASE_URL has scheme \`${u.protocol}\`: use ${EXAMPLE}`, 2);
  }
  const timeout = u.searchParams.get("connect_timeout");
  if (timeout !== null && !(/^\d+$/.test(timeout) && Number(timeout) >= 1)) {
    throw new JobError(`DATABASE_URL has connect_timeout=\`${timeout}\`: must be a whole number of seconds ≥ 1, such as ${CONNECT_TIMEOUT_SECONDS}`, 2);
  }
  return {
    host: u.hostname || u.searchParams.get("host") || "localhost",
    port: u.port || u.searchParams.get("port") || "5432",
    connectTimeoutSeconds: timeout === null ? CONNECT_TIMEOUT_SECONDS : Number(timeout),
  };
}

/** The value with whatever looks like a password (`:secret@`, `password=secret`) masked. */
function redact(value: string): string {
  return value.replace(/:[^:@/]*@/, ":***@").replace(/(password\s*=\s*)\S+/gi, "$1***");
}

/** A connected client, or a JobError saying why not. */
export async function connectDatabase(url: string, applicationName: string, options: { queryTimeoutMs?: number } = {}): Promise<Client> {
  const target = databaseTarget(url);
  let client: Client | undefined;
  try {
    // Inside the try: the constructor parses the URL with pg's own parser, whose errors belong here too.
    client = new Client({
      connectionString: url,
      application_name: applicationName,
      keepAlive: true,
      connectionTimeoutMillis: target.connectTimeoutSeconds * 1000,
      query_timeout: options.queryTimeoutMs,
    });
    // A dropped connection is reported by the query that needed it.
    client.on("error", () => undefined);
    await client.connect();
    return client;
  } catch (error) {
    await client?.end().catch(() => undefined);
    throw new JobError(`cannot connect to PostgreSQL at ${target.host}:${target.port} (DATABASE_URL): ${whyNot(error, target)}`);
  }
}

function whyNot(error: unknown, target: DatabaseTarget): string {
  if (error instanceof DatabaseError) {
    switch (error.code) {
      case "28P01":
      case "28000":
        return `${error.message} (SQLSTATE ${error.code}); check the user and password in DATABASE_URL`;
      case "3D000":
        return `${error.message} (SQLSTATE ${error.code}); check the database name in DATABASE_URL`;
      default:
        return `${error.message} (SQLSTATE ${error.code}); check the server's log`;
    }
  }
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return `the host name \`${target.host}\` does not resolve (${code}); check the host in DATABASE_URL`;
  }
  if (code === "ECONNREFUSED") {
    return `connection refused (ECONNREFUSED); check the port in DATABASE_URL and that PostgreSQL is running and listening on that address`;
  }
  if (/timeout/i.test(message) || code === "ETIMEDOUT") {
    return `no answer within ${target.connectTimeoutSeconds} s; check the host and port in DATABASE_URL, and that the network (firewall, security group, network policy) lets this pod reach it`;
  }
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return `the host is unreachable (${code}); check the host in DATABASE_URL and the network between this pod and it`;
  }
  return `${message}${code ? ` (${code})` : ""}; check DATABASE_URL and that the server accepts connections`;
}
