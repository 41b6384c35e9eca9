/**
 * One runner at a time, with a session advisory lock: PostgreSQL frees it when the session ends, so
 * a killed runner never leaves the database locked (unlike a lock row in a table).
 */
import { Client, DatabaseError } from "pg";
import { JobError } from "../log";

/** Two-key advisory lock: class "bg" (0x6267), id 1 = migrations. Visible in pg_locks as classid/objid. */
const LOCK_CLASS = 0x6267;
const LOCK_ID = 1;

interface Holder {
  pid: number;
  application_name: string;
  client_addr: string | null;
  backend_start: Date;
}

/** Waits up to `timeoutSeconds` for the lock; on timeout says who holds it. */
export async function acquireMigrationLock(client: Client, timeoutSeconds: number): Promise<void> {
  await client.query(`SET lock_timeout = '${Math.max(1, Math.round(timeoutSeconds * 1000))}ms'`);
  try {
    await client.query("SELECT pg_advisory_lock($1, $2)", [LOCK_CLASS, LOCK_ID]);
  } catch (error) {
    if (error instanceof DatabaseError && error.code === "55P03") {
      const holders = await client.query<Holder>(
        `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.backend_start
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2`,
        [LOCK_CLASS, LOCK_ID],
      );
      const who = holders.rows
        .map((h) => `pid ${h.pid} (${h.application_name || "no application name"}${h.client_addr ? ` from ${h.client_addr}` : ""}, connected since ${h.backend_start.toISOString()})`)
        .join(", ");
      throw new JobError(
        `waited ${timeoutSeconds} s for the migration lock, which another runner holds${who ? `: ${who}` : ""}; let it finish and retry, or raise --lock-timeout (config \`migrations.lockTimeoutSeconds\`)`,
      );
    }
    throw error;
  } finally {
    await client.query("RESET lock_timeout").catch(() => undefined);
  }
}

export async function releaseMigrationLock(client: Client): Promise<void> {
  await client.query("SELECT pg_advisory_unlock($1, $2)", [LOCK_CLASS, LOCK_ID]);
}
