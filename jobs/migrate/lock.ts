/**
 * One runner at a time, with a session advisory lock: PostgreSQL frees it when the session ends, so
 * a killed runner never leaves the database locked (unlike a lock row in a table).
 *
 * A waiting runner polls `pg_try_advisory_lock` between short sleeps instead of blocking in
 * `pg_advisory_lock`: a blocked statement holds a snapshot, and `CREATE INDEX CONCURRENTLY` in the
 * lock holder waits for every snapshot older than its own, so the two would wait for each other
 * until the deadlock detector killed one (leaving an INVALID index if it picked the index build).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "pg";
import { JobError, log } from "../log";

/** Two-key advisory lock: class "bg" (0x6267), id 1 = migrations. Visible in pg_locks as classid/objid. */
const LOCK_CLASS = 0x6267;
const LOCK_ID = 1;

/** Exit code of a runner that gave up waiting for the lock (EX_TEMPFAIL: retry later). */
export const LOCK_TIMEOUT_EXIT_CODE = 75;

/** Pause between tries; the random part keeps waiting runners from polling in step. */
const POLL_MS = 100;
const POLL_JITTER_MS = 150;

interface Holder {
  pid: number;
  application_name: string;
  client_addr: string | null;
  backend_start: Date;
}

/** Waits up to `timeoutSeconds` for the lock; on timeout says who holds it. */
export async function acquireMigrationLock(client: Client, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let loggedWait = false;
  for (;;) {
    const tried = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS locked", [LOCK_CLASS, LOCK_ID]);
    if (tried.rows[0].locked) return;
    if (!loggedWait) {
      log("migrate.lock.waiting", { holder: await describeHolders(client), timeoutSeconds });
      loggedWait = true;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(POLL_MS + Math.random() * POLL_JITTER_MS, Math.max(0, deadline - Date.now())));
  }
  const who = await describeHolders(client);
  throw new JobError(
    `waited ${timeoutSeconds} s for the migration lock, which another runner holds${who ? `: ${who}` : ""}; let it finish and retry, or raise --lock-timeout (config \`migrations.lockTimeoutSeconds\`)`,
    LOCK_TIMEOUT_EXIT_CODE,
  );
}

/** The sessions holding the lock, for the operator; empty if it was freed in the meantime. */
async function describeHolders(client: Client): Promise<string> {
  const holders = await client.query<Holder>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2`,
    [LOCK_CLASS, LOCK_ID],
  );
  return holders.rows
    .map((h) => `pid ${h.pid} (${h.application_name || "no application name"}${h.client_addr ? ` from ${h.client_addr}` : ""}, connected since ${h.backend_start.toISOString()})`)
    .join(", ");
}

export async function releaseMigrationLock(client: Client): Promise<void> {
  await client.query("SELECT pg_advisory_unlock($1, $2)", [LOCK_CLASS, LOCK_ID]);
}
