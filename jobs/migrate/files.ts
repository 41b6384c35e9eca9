/**
 * The migration set: `NNN_name.sql` files of one directory, in version order, with the header flags
 * that change how they run and the SHA-256 that pins an applied file's content.
 *
 * Header comments (leading `--` lines of the file):
 *   -- migrate:no-transaction   run outside a transaction (CREATE INDEX CONCURRENTLY); one statement per file
 *   -- migrate:contract         a contract step: runs only with `--phase contract`, after the old color is retired
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export type Phase = "expand" | "contract";
export const PHASES: readonly Phase[] = ["expand", "contract"];

export interface MigrationFile {
  /** Version as written in the name, e.g. `003`; ordered numerically. */
  readonly version: string;
  /** File name, e.g. `003_add_users_email.sql`. */
  readonly name: string;
  readonly sql: string;
  /** Hex SHA-256 of the file's bytes. */
  readonly checksum: string;
  readonly transactional: boolean;
  readonly phase: Phase;
}

/** `NNN_name.sql`: at least three digits, then a lowercase name. */
export const MIGRATION_FILE = /^(\d{3,})_([a-z0-9][a-z0-9_]*)\.sql$/;
const HEADER = /^--\s*migrate:([a-z-]+)\s*$/;
const KNOWN_HEADERS = ["no-transaction", "contract"];

export class MigrationSetError extends Error {}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Parses one file's name and header; throws MigrationSetError naming the file on a bad one. */
export function parseMigration(name: string, sql: string): MigrationFile {
  const match = MIGRATION_FILE.exec(name);
  if (!match) {
    throw new MigrationSetError(
      `\`${name}\` is not a migration file name: use \`NNN_name.sql\` (three or more digits, lowercase letters, digits and \`_\`), such as \`004_add_orders_status.sql\``,
    );
  }
  let transactional = true;
  let phase: Phase = "expand";
  for (const [index, line] of sql.split("\n").entries()) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (!trimmed.startsWith("--")) break;
    const header = HEADER.exec(trimmed);
    if (!header) continue;
    if (header[1] === "no-transaction") transactional = false;
    else if (header[1] === "contract") phase = "contract";
    else {
      throw new MigrationSetError(
        `${name}:${index + 1}: unknown header \`-- migrate:${header[1]}\`; known headers: ${KNOWN_HEADERS.map((h) => `\`-- migrate:${h}\``).join(", ")}`,
      );
    }
  }
  return { version: match[1], name, sql, checksum: sha256(sql), transactional, phase };
}

/**
 * Reads the migration files of a directory in version order. Other files (README, the verify spec,
 * the `..data` entries of a mounted ConfigMap) are ignored; a `.sql` file with a bad name is an error.
 */
export function readMigrations(dir: string): MigrationFile[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (error) {
    throw new MigrationSetError(`cannot read migrations directory \`${dir}\`: ${(error as Error).message}`);
  }
  const files = entries
    .filter((name) => !name.startsWith(".") && name.endsWith(".sql"))
    .map((name) => parseMigration(name, fs.readFileSync(path.join(dir, name), "utf8")));
  return sortMigrations(files);
}

/** Orders by numeric version and rejects two files with one version. */
export function sortMigrations(files: readonly MigrationFile[]): MigrationFile[] {
  const sorted = [...files].sort((a, b) => compareVersions(a.version, b.version));
  for (let i = 1; i < sorted.length; i++) {
    if (compareVersions(sorted[i - 1].version, sorted[i].version) === 0) {
      throw new MigrationSetError(
        `\`${sorted[i - 1].name}\` and \`${sorted[i].name}\` have the same version ${Number(sorted[i].version)}: renumber one of them`,
      );
    }
  }
  return sorted;
}

export function compareVersions(a: string, b: string): number {
  const diff = BigInt(a) - BigInt(b);
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}
