/**
 * The indexes a no-transaction file names in `CREATE INDEX`, and whether they are valid. An
 * interrupted `CREATE INDEX CONCURRENTLY` leaves an INVALID index that is never used yet still
 * exists, so a re-run with `IF NOT EXISTS` succeeds without building anything: only the catalog
 * tells the file did not do its job.
 */
import { Client } from "pg";
import { IDENT, Statement, bareName } from "./sql";

/** `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON [ONLY] table`. */
const CREATE_NAMED_INDEX = new RegExp(
  String.raw`^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?!ON\b)(${IDENT})\s+ON\s+(?:ONLY\s+)?(${IDENT})`,
  "i",
);

export interface InvalidIndex {
  /** Schema-qualified, quoted as needed: ready to paste into `DROP INDEX`. */
  readonly index: string;
  /** 1-based line of the statement that names it. */
  readonly line: number;
}

/**
 * The named indexes of these statements that exist but are INVALID. An unnamed index needs no check:
 * it cannot carry IF NOT EXISTS, so if its statement succeeded, it built a valid index.
 */
export async function invalidIndexes(client: Client, statements: readonly Statement[]): Promise<InvalidIndex[]> {
  const invalid: InvalidIndex[] = [];
  for (const statement of statements) {
    const match = CREATE_NAMED_INDEX.exec(statement.masked);
    if (!match) continue;
    // An index lives in its table's schema, whatever the search_path says.
    const { rows } = await client.query<{ index: string; valid: boolean }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS index, x.indisvalid AS valid
         FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE x.indrelid = to_regclass($1) AND c.relname = $2`,
      [match[2], bareName(match[1])],
    );
    for (const row of rows) if (!row.valid) invalid.push({ index: row.index, line: statement.line });
  }
  return invalid;
}
