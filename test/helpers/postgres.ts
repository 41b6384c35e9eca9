/**
 * A real, throwaway PostgreSQL server for integration tests: initdb into a temp dir, `postgres` on a
 * free loopback port, torn down by `stop()`. Binaries come from PATH or /usr/lib/postgresql/<v>/bin.
 * As root (CI containers), the server runs as the `postgres` user, since initdb refuses root.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";

export interface PostgresBinaries {
  /** Directory holding initdb, postgres, pg_dump, pg_restore. */
  readonly binDir: string;
  /** Major version, e.g. 15. */
  readonly major: number;
}

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly binaries: PostgresBinaries;
  /** Connection URL for a database (default `postgres`), as superuser `postgres`. */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs SQL on a database and returns the rows. */
  query<T = Record<string, unknown>>(sql: string, database?: string): Promise<T[]>;
  stop(): Promise<void>;
}

function majorOf(binDir: string): number | undefined {
  try {
    const out = execFileSync(path.join(binDir, "postgres"), ["--version"], { encoding: "utf8" });
    const match = /\(PostgreSQL\) (\d+)/.exec(out);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Finds the server binaries, preferring PATH, then the newest /usr/lib/postgresql/<v>/bin. */
export function findPostgresBinaries(): PostgresBinaries {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, "initdb")) && fs.existsSync(path.join(dir, "postgres"))) {
      candidates.push(path.dirname(fs.realpathSync(path.join(dir, "postgres"))));
    }
  }
  const root = "/usr/lib/postgresql";
  if (fs.existsSync(root)) {
    const versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(root, v, "bin"));
  }
  for (const binDir of candidates) {
    if (!fs.existsSync(path.join(binDir, "initdb"))) continue;
    const major = majorOf(binDir);
    if (major !== undefined) return { binDir, major };
  }
  throw new Error(
    "PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin: install them with `apt-get install postgresql`",
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** When running as root, the uid/gid to run the server as. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
      return { uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new Error("running as root and no `postgres` or `nobody` user exists to run the test PostgreSQL server");
}

export async function startPostgres(): Promise<PostgresServer> {
  const binaries = findPostgresBinaries();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgtest-"));
  const dataDir = path.join(dir, "data");
  const user = serverUser();
  if (user) fs.chownSync(dir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};

  execFileSync(
    path.join(binaries.binDir, "initdb"),
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"],
    { ...asUser, stdio: "pipe" },
  );

  const host = "127.0.0.1";
  const port = await freePort();
  let stderr = "";
  const child: ChildProcess = spawn(
    path.join(binaries.binDir, "postgres"),
    [
      "-D", dataDir,
      "-p", String(port),
      "-k", dir,
      "-c", `listen_addresses=${host}`,
      "-c", "fsync=off",
      "-c", "synchronous_commit=off",
      "-c", "full_page_writes=off",
      "-c", "max_connections=100",
    ],
    { ...asUser, stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr!.on("data", (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });

  const url = (database = "postgres") => `postgres://postgres@${host}:${port}/${database}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`test PostgreSQL exited during start-up:\n${stderr}`);
    const client = new Client({ connectionString: url() });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`test PostgreSQL did not accept connections within 20 s:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const query = async <T>(sql: string, database = "postgres"): Promise<T[]> => {
    const client = new Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };

  return {
    host,
    port,
    binaries,
    url,
    query,
    async createDatabase(name: string) {
      await query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      return url(name);
    },
    async stop() {
      if (!exited) {
        const done = new Promise((r) => child.once("exit", r));
        child.kill("SIGINT"); // fast shutdown: disconnect clients, then exit
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await done;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
