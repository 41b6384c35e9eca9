/**
 * The history table: one row per applied file, written in the same transaction as the file itself
 * (for transactional files), so a row exists exactly when the file's changes do.
 */
import { Client } from "pg";
import { MigrationFile } from "./files";

export const HISTORY_TABLE = "bluegreen_migrations";

export interface AppliedMigration {
  readonly version: string;
  readonly name: string;
  readonly checksum: string;
  readonly phase: string;
  readonly appliedAt: Date;
}

export async function createHistoryTable(client: Client): Promise<void> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
      version       text PRIMARY KEY,
      name          text NOT NULL,
      checksum      text NOT NULL,
      phase         text NOT NULL,
      transactional boolean NOT NULL,
      duration_ms   integer NOT NULL,
      applied_at    timestamptz NOT NULL DEFAULT now()
    )`);
}

/** Applied rows in version order; none when the table does not exist yet (a dry run creates nothing). */
export async function readHistory(client: Client): Promise<AppliedMigration[]> {
  const exists = await client.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [HISTORY_TABLE]);
  if (!exists.rows[0].present) return [];
  const result = await client.query<{ version: string; name: string; checksum: string; phase: string; applied_at: Date }>(
    `SELECT version, name, checksum, phase, applied_at FROM ${HISTORY_TABLE} ORDER BY version::numeric`,
  );
  return result.rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, phase: r.phase, appliedAt: r.applied_at }));
}

export async function recordApplied(client: Client, file: MigrationFile, durationMs: number): Promise<void> {
  await client.query(
    `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, phase, transactional, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
    [file.version, file.name, file.checksum, file.phase, file.transactional, Math.round(durationMs)],
  );
}
