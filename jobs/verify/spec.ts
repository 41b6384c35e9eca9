/**
 * The expected-schema spec `verify` checks, as JSON or YAML:
 *
 *   schema: public                 # optional, default public
 *   tables:
 *     - name: users
 *       columns:
 *         - { name: id, type: bigint, nullable: false }
 *         - { name: display_name, type: text, nullable: true, required: false }
 *       indexes:
 *         - { name: users_email_key, columns: [email], unique: true }
 *       constraints:
 *         - { name: users_pkey, type: primary key }
 *   absent:                        # what a finished contract phase removed
 *     tables: [legacy_sessions]
 *     columns: [users.legacy_name]
 *
 * Every entry is required unless it says `required: false` (reported, but does not fail the run).
 */
import * as fs from "node:fs";
import { parse } from "yaml";
import { z } from "zod";

const required = z.boolean().optional();
const name = z.string().min(1);

const columnSchema = z.strictObject({ name, type: z.string().min(1).optional(), nullable: z.boolean().optional(), required });
const indexSchema = z.strictObject({ name, columns: z.array(name).min(1).optional(), unique: z.boolean().optional(), required });
export const CONSTRAINT_TYPES = ["primary key", "unique", "foreign key", "check", "exclusion"] as const;
const constraintSchema = z.strictObject({ name, type: z.enum(CONSTRAINT_TYPES).optional(), required });
const tableSchema = z.strictObject({
  name,
  required,
  columns: z.array(columnSchema).default([]),
  indexes: z.array(indexSchema).default([]),
  constraints: z.array(constraintSchema).default([]),
});

export const schemaSpecSchema = z.strictObject({
  schema: name.default("public"),
  tables: z.array(tableSchema).default([]),
  absent: z
    .strictObject({
      tables: z.array(name).default([]),
      columns: z.array(z.string().regex(/^[^.]+\.[^.]+$/, "must be `table.column`")).default([]),
    })
    .default({ tables: [], columns: [] }),
});

export type SchemaSpec = z.infer<typeof schemaSpecSchema>;

export class SpecError extends Error {}

/** Parses spec text (YAML is a superset of JSON); errors name the entry's path. */
export function parseSpec(text: string, source: string): SchemaSpec {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new SpecError(`${source}: not valid JSON or YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const result = schemaSpecSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = issue.path.length > 0 ? `\`${issue.path.join(".")}\`` : "the spec";
    throw new SpecError(`${source}: ${at}: ${issue.message}`);
  }
  return result.data;
}

export function readSpec(file: string): SchemaSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new SpecError(`cannot read spec \`${file}\`: ${(error as Error).message}`);
  }
  return parseSpec(text, file);
}
