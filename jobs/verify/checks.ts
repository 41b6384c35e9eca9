/**
 * Runs a schema spec against the catalog: one check per expectation, each with what was expected and
 * what the database has, so a failure needs no second query to understand.
 */
import { Client } from "pg";
import { SchemaSpec } from "./spec";

export interface CheckResult {
  /** What was checked, e.g. `column public.users.email type`. */
  readonly check: string;
  readonly ok: boolean;
  readonly required: boolean;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** Common spellings -> the names `format_type` prints. */
const TYPE_ALIASES: Record<string, string> = {
  int: "integer",
  int4: "integer",
  int8: "bigint",
  int2: "smallint",
  serial: "integer",
  bigserial: "bigint",
  bool: "boolean",
  float8: "double precision",
  float4: "real",
  timestamptz: "timestamp with time zone",
  timestamp: "timestamp without time zone",
  timetz: "time with time zone",
  time: "time without time zone",
  varchar: "character varying",
  char: "character",
  decimal: "numeric",
};

export function normalizeType(type: string): string {
  const compact = type.trim().toLowerCase().replace(/\s+/g, " ").replace(/\s*\(\s*/g, "(").replace(/\s*,\s*/g, ",").replace(/\s*\)/g, ")");
  const match = /^([a-z0-9_ ]+?)(\(.*\))?(\[\])?$/.exec(compact);
  if (!match) return compact;
  const base = TYPE_ALIASES[match[1]] ?? match[1];
  return `${base}${match[2] ?? ""}${match[3] ?? ""}`;
}

const CONSTRAINT_KINDS: Record<string, string> = { p: "primary key", u: "unique", f: "foreign key", c: "check", x: "exclusion" };

export async function runChecks(client: Client, spec: SchemaSpec): Promise<CheckResult[]> {
  const schema = spec.schema;
  const results: CheckResult[] = [];
  const add = (check: string, required: boolean | undefined, expected: unknown, actual: unknown, ok: boolean) =>
    results.push({ check, ok, required: required ?? true, expected, actual });

  const tables = new Set(
    (await client.query<{ name: string }>(`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`, [schema])).rows.map((r) => r.name),
  );
  const columns = await client.query<{ table: string; name: string; type: string; nullable: boolean }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema],
  );
  const columnMap = new Map(columns.rows.map((r) => [`${r.table}.${r.name}`, r]));
  const indexes = await client.query<{ table: string; name: string; unique: boolean; valid: boolean; columns: string[] }>(
    `SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisvalid AS valid,
            array(SELECT coalesce(a.attname::text, '(expression)') FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                    LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1`,
    [schema],
  );
  const indexMap = new Map(indexes.rows.map((r) => [`${r.table}.${r.name}`, r]));
  const constraints = await client.query<{ table: string; name: string; kind: string; validated: boolean }>(
    `SELECT t.relname AS table, k.conname AS name, k.contype AS kind, k.convalidated AS validated
       FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1`,
    [schema],
  );
  const constraintMap = new Map(constraints.rows.map((r) => [`${r.table}.${r.name}`, r]));

  for (const table of spec.tables) {
    const at = `${schema}.${table.name}`;
    const exists = tables.has(table.name);
    add(`table ${at} exists`, table.required, true, exists, exists);
    if (!exists) continue;
    for (const column of table.columns) {
      const required = column.required ?? table.required;
      const actual = columnMap.get(`${table.name}.${column.name}`);
      add(`column ${at}.${column.name} exists`, required, true, actual !== undefined, actual !== undefined);
      if (!actual) continue;
      if (column.type !== undefined) {
        add(`column ${at}.${column.name} type`, required, column.type, actual.type, normalizeType(column.type) === normalizeType(actual.type));
      }
      if (column.nullable !== undefined) {
        add(`column ${at}.${column.name} nullable`, required, column.nullable, actual.nullable, column.nullable === actual.nullable);
      }
    }
    for (const index of table.indexes) {
      const required = index.required ?? table.required;
      const actual = indexMap.get(`${table.name}.${index.name}`);
      add(`index ${at}.${index.name} exists`, required, true, actual !== undefined, actual !== undefined);
      if (!actual) continue;
      // A failed CREATE INDEX CONCURRENTLY leaves an index that exists but is never used.
      add(`index ${at}.${index.name} valid`, required, true, actual.valid, actual.valid);
      if (index.unique !== undefined) add(`index ${at}.${index.name} unique`, required, index.unique, actual.unique, index.unique === actual.unique);
      if (index.columns !== undefined) {
        add(`index ${at}.${index.name} columns`, required, index.columns, actual.columns, JSON.stringify(index.columns) === JSON.stringify(actual.columns));
      }
    }
    for (const constraint of table.constraints) {
      const required = constraint.required ?? table.required;
      const actual = constraintMap.get(`${table.name}.${constraint.name}`);
      add(`constraint ${at}.${constraint.name} exists`, required, true, actual !== undefined, actual !== undefined);
      if (!actual) continue;
      const kind = CONSTRAINT_KINDS[actual.kind] ?? actual.kind;
      if (constraint.type !== undefined) add(`constraint ${at}.${constraint.name} type`, required, constraint.type, kind, constraint.type === kind);
      // NOT VALID constraints are not enforced on existing rows until VALIDATE CONSTRAINT runs.
      add(`constraint ${at}.${constraint.name} validated`, required, true, actual.validated, actual.validated);
    }
  }
  for (const table of spec.absent.tables) {
    const exists = tables.has(table);
    add(`table ${schema}.${table} absent`, true, false, exists, !exists);
  }
  for (const column of spec.absent.columns) {
    const exists = columnMap.has(column);
    add(`column ${schema}.${column} absent`, true, false, exists, !exists);
  }
  return results;
}
