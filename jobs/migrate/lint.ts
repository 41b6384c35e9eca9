/**
 * The expand lint: while a release migrates, the old color is still live on the same database, so an
 * expand file may only add. Each rule finds a statement that would break the old color's queries or
 * lock a live table for a long time, and names the safe way to do it instead.
 *
 * A statement the author has checked can carry `-- migrate:allow <rule-id>` (inside it or on the
 * lines just before it) to pass one rule.
 * Tables created in the same file are new: nothing live reads them, so most rules skip them.
 */
import { MigrationFile } from "./files";
import { IDENT, Statement, bareName, lineAt, splitStatements, splitTopLevel } from "./sql";

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  /** What is wrong and the safe alternative. */
  readonly message: string;
}

export interface Rule {
  readonly id: string;
  /** `expand`: only expand files are checked; `all`: a runner rule every file must follow. */
  readonly appliesTo: "expand" | "all";
  readonly summary: string;
}

export const RULES: readonly Rule[] = [
  { id: "drop-table", appliesTo: "expand", summary: "DROP TABLE: the old color still reads it" },
  { id: "drop-column", appliesTo: "expand", summary: "ALTER TABLE ... DROP COLUMN: the old color still selects it" },
  { id: "rename-table", appliesTo: "expand", summary: "ALTER TABLE ... RENAME TO: the old color uses the old name" },
  { id: "rename-column", appliesTo: "expand", summary: "ALTER TABLE ... RENAME COLUMN: the old color uses the old name" },
  { id: "alter-column-type", appliesTo: "expand", summary: "ALTER COLUMN ... TYPE: rewrites the table under an exclusive lock and changes what the old color reads" },
  { id: "set-not-null", appliesTo: "expand", summary: "ALTER COLUMN ... SET NOT NULL on a column not added with a DEFAULT in the file: the old color's inserts or existing rows leave it NULL" },
  { id: "add-column-not-null", appliesTo: "expand", summary: "ADD COLUMN ... NOT NULL without DEFAULT: the old color's inserts do not set it" },
  { id: "add-column-volatile-default", appliesTo: "expand", summary: "ADD COLUMN with a volatile DEFAULT (gen_random_uuid(), random(), clock_timestamp(), serial): rewrites the table under an exclusive lock" },
  { id: "create-index-not-concurrently", appliesTo: "expand", summary: "CREATE INDEX without CONCURRENTLY on an existing table: blocks writes while it builds" },
  { id: "drop-index-not-concurrently", appliesTo: "expand", summary: "DROP INDEX without CONCURRENTLY: waits for and blocks every query on the table" },
  { id: "add-constraint-not-valid", appliesTo: "expand", summary: "ADD CONSTRAINT CHECK/FOREIGN KEY without NOT VALID, or an inline CHECK/REFERENCES on ADD COLUMN: scans the table, or waits for the referenced table, under lock" },
  { id: "validate-constraint-same-file", appliesTo: "expand", summary: "VALIDATE CONSTRAINT of a constraint added NOT VALID in the same file: the lock is held through the scan" },
  { id: "add-unique-constraint", appliesTo: "expand", summary: "ADD CONSTRAINT UNIQUE/PRIMARY KEY without USING INDEX: builds an index under an exclusive lock" },
  { id: "truncate", appliesTo: "expand", summary: "TRUNCATE: deletes the data the old color serves" },
  { id: "concurrently-in-transaction", appliesTo: "all", summary: "CONCURRENTLY in a transactional file: PostgreSQL refuses it inside a transaction" },
  { id: "no-transaction-single-statement", appliesTo: "all", summary: "more than one statement in a `-- migrate:no-transaction` file: a failure would leave it half applied" },
  { id: "transaction-control", appliesTo: "all", summary: "BEGIN/COMMIT/ROLLBACK in a file: the runner owns the transaction" },
];

const ALTER_TABLE = new RegExp(String.raw`^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(${IDENT})\s*\*?`, "i");
const CREATE_TABLE = new RegExp(String.raw`^\s*CREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${IDENT})`, "i");
const CREATE_INDEX = new RegExp(String.raw`^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?[\s\S]*?\bON\s+(?:ONLY\s+)?(${IDENT})`, "i");
/** Actions of an ALTER TABLE (after splitTopLevel). */
const ADD_COLUMN = new RegExp(String.raw`^\s*ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?!CONSTRAINT\b|CHECK\b|FOREIGN\b|UNIQUE\b|PRIMARY\b|EXCLUDE\b)(${IDENT})\s+(\S+)`, "i");
const SET_DEFAULT = new RegExp(String.raw`^\s*ALTER\s+(?:COLUMN\s+)?(${IDENT})\s+SET\s+DEFAULT\b`, "i");
const ADD_CONSTRAINT = new RegExp(String.raw`^\s*ADD\s+(?:CONSTRAINT\s+(${IDENT})\s+)?(CHECK|FOREIGN\s+KEY|UNIQUE|PRIMARY\s+KEY)\b`, "i");
const VALIDATE_CONSTRAINT = new RegExp(String.raw`^\s*VALIDATE\s+CONSTRAINT\s+(${IDENT})`, "i");
/** Volatile functions a DEFAULT is commonly written with; now() and current_timestamp are stable, so not listed. */
const VOLATILE_DEFAULT = /\bDEFAULT\b[\s\S]*?\b(gen_random_uuid|uuid_generate_v1mc|uuid_generate_v1|uuid_generate_v4|random|clock_timestamp|timeofday|nextval)\s*\(/i;
/** Serial types are shorthand for a `nextval()` default. */
const SERIAL_TYPE = /^(?:small|big)?serial[248]?$/i;

interface Context {
  readonly file: MigrationFile;
  readonly newTables: ReadonlySet<string>;
  /** Columns added with a DEFAULT in this file (so existing rows have a value), as `table.column`. */
  readonly addedWithDefault: ReadonlySet<string>;
  /** Columns given a default by `ALTER COLUMN ... SET DEFAULT` in this file, as `table.column`. */
  readonly setDefault: ReadonlySet<string>;
  /** Constraints added NOT VALID by the statements checked so far, as `table.constraint`. */
  readonly notValid: Set<string>;
  readonly findings: Finding[];
}

function allowed(statement: Statement, rule: string, before: string): boolean {
  const pattern = new RegExp(String.raw`--\s*migrate:allow\s+[\w\s,-]*\b${rule}\b`);
  return pattern.test(statement.text) || pattern.test(before);
}

/** Lints one file; returns its findings in line order. */
export function lintFile(file: MigrationFile): Finding[] {
  const statements = splitStatements(file.sql);
  const newTables = new Set<string>();
  const addedWithDefault = new Set<string>();
  const setDefault = new Set<string>();
  for (const s of statements) {
    const created = CREATE_TABLE.exec(s.masked);
    if (created) newTables.add(bareName(created[1]));
    const altered = ALTER_TABLE.exec(s.masked);
    if (!altered) continue;
    const table = bareName(altered[1]);
    for (const action of splitTopLevel(s.masked, altered.index + altered[0].length)) {
      const added = ADD_COLUMN.exec(action.text);
      if (added && /\bDEFAULT\b/i.test(action.text)) addedWithDefault.add(`${table}.${bareName(added[1])}`);
      const defaulted = SET_DEFAULT.exec(action.text);
      if (defaulted) setDefault.add(`${table}.${bareName(defaulted[1])}`);
    }
  }

  const findings: Finding[] = [];
  const context: Context = { file, newTables, addedWithDefault, setDefault, notValid: new Set(), findings };
  let previousEnd = 0;
  for (const [index, statement] of statements.entries()) {
    const before = file.sql.slice(previousEnd, statement.offset);
    previousEnd = statement.offset + statement.text.length;
    const report = (rule: string, offsetInStatement: number, message: string) => {
      if (!allowed(statement, rule, before)) {
        const line = lineAt(file.sql, statement.offset + offsetInStatement + leadingSpace(statement.masked.slice(offsetInStatement)));
        findings.push({ file: file.name, line, rule, message });
      }
    };
    runnerRules(context, statement, index, report);
    if (file.phase === "expand") expandRules(context, statement, report);
  }
  return findings.sort((a, b) => a.line - b.line);
}

/** Lints every file; contract files get only the runner rules. */
export function lintMigrations(files: readonly MigrationFile[]): Finding[] {
  return files.flatMap(lintFile);
}

function leadingSpace(text: string): number {
  const first = text.search(/\S/);
  return first < 0 ? 0 : first;
}

type Report = (rule: string, offset: number, message: string) => void;

function runnerRules(context: Context, statement: Statement, index: number, report: Report): void {
  const { file } = context;
  const concurrently = /\bCONCURRENTLY\b/i.exec(statement.masked);
  if (file.transactional && concurrently) {
    report(
      "concurrently-in-transaction",
      concurrently.index,
      "CONCURRENTLY cannot run inside a transaction; put this statement alone in its own file whose first line is `-- migrate:no-transaction`",
    );
  }
  if (!file.transactional && index > 0) {
    report(
      "no-transaction-single-statement",
      0,
      "a `-- migrate:no-transaction` file runs statement by statement, so a failure after the first leaves it half applied; give each statement its own file",
    );
  }
  const control = /^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END)\b/i.exec(statement.masked);
  if (control) {
    report(
      "transaction-control",
      control.index,
      `\`${control[1].toUpperCase()}\` ends or opens the runner's transaction, so the file and its history row would no longer commit together; remove it (each file already runs in its own transaction, or none with \`-- migrate:no-transaction\`)`,
    );
  }
}

function expandRules(context: Context, statement: Statement, report: Report): void {
  const { file, newTables, addedWithDefault, setDefault, notValid } = context;
  const masked = statement.masked;

  const dropTable = /^\s*DROP\s+TABLE\b/i.exec(masked);
  if (dropTable) {
    report("drop-table", 0, "the old color still reads this table; stop using it in the app, then drop it in a `-- migrate:contract` file once the old color is retired");
  }
  if (/^\s*TRUNCATE\b/i.test(masked)) {
    report("truncate", 0, "TRUNCATE deletes the rows the old color serves; clear data in a `-- migrate:contract` file after the old color is retired, or delete in batches with a WHERE clause");
  }

  const dropIndex = /^\s*DROP\s+INDEX\s+(CONCURRENTLY\b)?/i.exec(masked);
  if (dropIndex && !dropIndex[1]) {
    report("drop-index-not-concurrently", 0, "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table; use `DROP INDEX CONCURRENTLY IF EXISTS ...` alone in a `-- migrate:no-transaction` file");
  }

  const createIndex = CREATE_INDEX.exec(masked);
  if (createIndex && !createIndex[1] && !newTables.has(bareName(createIndex[2]))) {
    report(
      "create-index-not-concurrently",
      0,
      `CREATE INDEX on existing table \`${bareName(createIndex[2])}\` blocks its writes while the index builds; use \`CREATE INDEX CONCURRENTLY\` alone in a \`-- migrate:no-transaction\` file`,
    );
  }

  const alter = ALTER_TABLE.exec(masked);
  if (!alter) return;
  const table = bareName(alter[1]);
  const isNew = newTables.has(table);
  const actionsFrom = alter.index + alter[0].length;

  const renameTable = /^\s*RENAME\s+TO\b/i.exec(masked.slice(actionsFrom));
  if (renameTable) {
    report("rename-table", actionsFrom, `the old color still queries \`${table}\` by its name; create the new table (or a view under the new name), write to both from the app, and drop the old one in a \`-- migrate:contract\` file`);
    return;
  }
  const renameColumn = /^\s*RENAME\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|TO\b)(\S+)\s+TO\b/i.exec(masked.slice(actionsFrom));
  if (renameColumn) {
    report(
      "rename-column",
      actionsFrom,
      `the old color still uses \`${table}.${bareName(renameColumn[1])}\`; add the new column, backfill it and write both from the app, then drop the old one in a \`-- migrate:contract\` file`,
    );
    return;
  }

  for (const action of splitTopLevel(masked, actionsFrom)) {
    const text = action.text;
    const dropColumn = /^\s*DROP\s+(?:COLUMN\s+)?(?!CONSTRAINT\b)(?:IF\s+EXISTS\s+)?(\S+)/i.exec(text);
    if (dropColumn && !isNew) {
      report("drop-column", action.offset, `the old color still selects \`${table}.${bareName(dropColumn[1])}\`; stop using it in the app, then drop it in a \`-- migrate:contract\` file once the old color is retired`);
    }
    const alterColumn = new RegExp(String.raw`^\s*ALTER\s+(?:COLUMN\s+)?(${IDENT})\s+(SET\s+DATA\s+TYPE|TYPE|SET\s+NOT\s+NULL)\b`, "i").exec(text);
    if (alterColumn && !isNew) {
      const column = bareName(alterColumn[1]);
      if (/TYPE$/i.test(alterColumn[2])) {
        report(
          "alter-column-type",
          action.offset,
          `changing the type of \`${table}.${column}\` rewrites the table under an ACCESS EXCLUSIVE lock and changes what the old color reads; add a new column of the new type, backfill it, switch the app, and drop the old column in a \`-- migrate:contract\` file`,
        );
      } else if (setDefault.has(`${table}.${column}`) && !addedWithDefault.has(`${table}.${column}`)) {
        report(
          "set-not-null",
          action.offset,
          `SET DEFAULT only applies to rows inserted later: existing rows where \`${table}.${column}\` is NULL stay NULL, so SET NOT NULL fails on them, and scans the whole table under an ACCESS EXCLUSIVE lock to find out; backfill in batches, add \`CHECK (${column} IS NOT NULL) NOT VALID\`, \`VALIDATE CONSTRAINT\` it in a later file, and SET NOT NULL in a \`-- migrate:contract\` file`,
        );
      } else if (!addedWithDefault.has(`${table}.${column}`)) {
        report(
          "set-not-null",
          action.offset,
          `the old color may still insert rows without \`${table}.${column}\`; add \`CHECK (${column} IS NOT NULL) NOT VALID\`, \`VALIDATE CONSTRAINT\` it in a later file, and SET NOT NULL in a \`-- migrate:contract\` file`,
        );
      }
    }
    const addColumn = ADD_COLUMN.exec(text);
    if (addColumn && !isNew) addColumnRules(context, table, bareName(addColumn[1]), addColumn[2], text, (rule, message) => report(rule, action.offset, message));
    const addConstraint = ADD_CONSTRAINT.exec(text);
    if (addConstraint && addConstraint[1] && /\bNOT\s+VALID\b/i.test(text)) notValid.add(`${table}.${bareName(addConstraint[1])}`);
    const validate = VALIDATE_CONSTRAINT.exec(text);
    if (validate && !isNew && file.transactional && notValid.has(`${table}.${bareName(validate[1])}`)) {
      report(
        "validate-constraint-same-file",
        action.offset,
        `\`${bareName(validate[1])}\` was added NOT VALID earlier in this file, which runs in one transaction: the lock ADD CONSTRAINT took on \`${table}\` (ACCESS EXCLUSIVE for CHECK, SHARE ROW EXCLUSIVE for FOREIGN KEY) is held through the whole validating scan; move the VALIDATE CONSTRAINT to a later file`,
      );
    }
    if (addConstraint && !isNew) {
      const kind = addConstraint[2].toUpperCase().replace(/\s+/g, " ");
      if ((kind === "CHECK" || kind === "FOREIGN KEY") && !/\bNOT\s+VALID\b/i.test(text)) {
        report(
          "add-constraint-not-valid",
          action.offset,
          `adding a ${kind} constraint to \`${table}\` checks every row while holding a lock; add it with NOT VALID, then \`ALTER TABLE ${table} VALIDATE CONSTRAINT ...\` in a later file`,
        );
      } else if ((kind === "UNIQUE" || kind === "PRIMARY KEY") && !/\bUSING\s+INDEX\b/i.test(text)) {
        report(
          "add-unique-constraint",
          action.offset,
          `adding a ${kind} constraint to \`${table}\` builds its index under an ACCESS EXCLUSIVE lock; build it first with \`CREATE UNIQUE INDEX CONCURRENTLY\` in a \`-- migrate:no-transaction\` file, then \`ADD CONSTRAINT ... ${kind} USING INDEX ...\``,
        );
      }
    }
  }
}

/** The rules for one `ADD COLUMN` action on an existing table. */
function addColumnRules(context: Context, table: string, column: string, type: string, text: string, report: (rule: string, message: string) => void): void {
  const serial = SERIAL_TYPE.test(type);
  if (/\bNOT\s+NULL\b/i.test(text) && !/\bDEFAULT\b/i.test(text) && !/\bGENERATED\b/i.test(text) && !serial) {
    report(
      "add-column-not-null",
      `the old color's inserts do not set \`${table}.${column}\` and would fail; add it nullable or with a DEFAULT, and tighten it in a \`-- migrate:contract\` file`,
    );
  }
  const volatile = VOLATILE_DEFAULT.exec(text);
  if (volatile || serial) {
    const what = volatile ? `the volatile default \`${volatile[1]}()\`` : `\`${type}\` (a \`nextval()\` default)`;
    report(
      "add-column-volatile-default",
      `${what} is computed for every existing row of \`${table}\`, which rewrites the table under an ACCESS EXCLUSIVE lock; add \`${column}\` without a default, give it the default for new rows with \`ALTER COLUMN ${column} SET DEFAULT ...\`, and backfill existing rows in batches`,
    );
  }
  if (/\bCHECK\b/i.test(text)) {
    report(
      "add-constraint-not-valid",
      `the inline CHECK on new column \`${table}.${column}\` is checked against every row while the table is locked; add the column without it, then \`ADD CONSTRAINT ... CHECK (...) NOT VALID\` and VALIDATE CONSTRAINT it in a later file`,
    );
  }
  // An inline REFERENCES checks every existing row when the new column gets values (a DEFAULT,
  // GENERATED, serial). Without one PostgreSQL checks nothing, but the one statement still holds the
  // table ACCESS EXCLUSIVE while it waits for SHARE ROW EXCLUSIVE on the referenced table, which any
  // open transaction writing that table delays (both measured in test/jobs/migrate.test.ts).
  const references = new RegExp(String.raw`\bREFERENCES\s+(${IDENT})`, "i").exec(text);
  if (!references) return;
  const referenced = bareName(references[1]);
  const safeForm = `add the column without REFERENCES, then \`ADD CONSTRAINT ... FOREIGN KEY (${column}) REFERENCES ${referenced} (...) NOT VALID\` in a later file and VALIDATE CONSTRAINT it in one after that`;
  if (/\bDEFAULT\b|\bGENERATED\b/i.test(text) || serial) {
    report(
      "add-constraint-not-valid",
      `new column \`${table}.${column}\` gets a value in every existing row, so its inline REFERENCES is checked against every row while the table is locked; ${safeForm}`,
    );
  } else if (!context.newTables.has(referenced)) {
    report(
      "add-constraint-not-valid",
      `the inline REFERENCES makes this statement hold \`${table}\` ACCESS EXCLUSIVE (no reads, no writes) while it waits for a lock on \`${referenced}\` that any open transaction writing \`${referenced}\` holds up; ${safeForm}`,
    );
  }
}
