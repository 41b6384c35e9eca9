import { describe, expect, it } from "vitest";
import { parseMigration } from "../../jobs/migrate/files";
import { RULES, lintFile } from "../../jobs/migrate/lint";
import { splitStatements } from "../../jobs/migrate/sql";
import { CASES } from "./lintCases";

/** Findings of one file as `line rule`. */
const lint = (sql: string, name = "005_change.sql") => lintFile(parseMigration(name, sql)).map((f) => `${f.line} ${f.rule}`);

describe("migrate lint", () => {
  it("has a test case for every rule", () => {
    expect(Object.keys(CASES).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  for (const [rule, { unsafe, line, safe }] of Object.entries(CASES)) {
    it(`${rule}: reports file, line and rule, and accepts the safe alternative`, () => {
      const findings = lintFile(parseMigration("005_change.sql", unsafe));
      expect(findings.map((f) => `${f.file}:${f.line} ${f.rule}`)).toContain(`005_change.sql:${line} ${rule}`);
      expect(findings.find((f) => f.rule === rule)!.message.length).toBeGreaterThan(40);
      expect(lint(safe)).toEqual([]);
    });
  }

  it("names the safe alternative in the message", () => {
    const [finding] = lintFile(parseMigration("007_idx.sql", "CREATE INDEX orders_user_idx ON orders (user_id);"));
    expect(finding).toEqual({
      file: "007_idx.sql",
      line: 1,
      rule: "create-index-not-concurrently",
      message: "CREATE INDEX on existing table `orders` blocks its writes while the index builds; use `CREATE INDEX CONCURRENTLY` alone in a `-- migrate:no-transaction` file",
    });
  });

  it("lets a table created in the same file get indexes, constraints and NOT NULL columns", () => {
    const sql = [
      "CREATE TABLE IF NOT EXISTS public.invoices (id bigint, order_id bigint, total integer);",
      "CREATE INDEX invoices_order_idx ON invoices (order_id);",
      "ALTER TABLE invoices ADD CONSTRAINT invoices_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);",
      "ALTER TABLE invoices ADD COLUMN number text NOT NULL, ALTER COLUMN total SET NOT NULL;",
    ].join("\n");
    expect(lint(sql)).toEqual([]);
  });

  it("finds every problem of a multi-action ALTER TABLE on its own line", () => {
    const sql = "ALTER TABLE users\n  ADD COLUMN bio text,\n  DROP COLUMN legacy,\n  ALTER COLUMN age TYPE bigint;";
    expect(lint(sql)).toEqual(["3 drop-column", "4 alter-column-type"]);
  });

  it("ignores SQL inside comments, string literals and function bodies", () => {
    const sql = [
      "-- DROP TABLE users;",
      "/* ALTER TABLE users DROP COLUMN email; */",
      "INSERT INTO audit (note) VALUES ('DROP TABLE users; TRUNCATE x');",
      "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN TRUNCATE scratch; RETURN NEW; END $$;",
    ].join("\n");
    expect(lint(sql)).toEqual([]);
  });

  it("lets a reviewed statement pass one rule with `-- migrate:allow <rule>`", () => {
    const sql = "-- migrate:allow drop-table (scratch table no color reads)\nDROP TABLE import_scratch;\nDROP TABLE users;";
    expect(lint(sql)).toEqual(["3 drop-table"]);
  });

  it("set-not-null: a SET DEFAULT in the same file does not count, since it fills no existing row", () => {
    const sql = "ALTER TABLE users ALTER COLUMN email SET DEFAULT '';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;";
    const [finding] = lintFile(parseMigration("005_change.sql", sql));
    expect(finding).toMatchObject({ line: 2, rule: "set-not-null" });
    expect(finding.message).toMatch(/^SET DEFAULT only applies to rows inserted later: existing rows where `users.email` is NULL stay NULL/);
    // A column added with a DEFAULT has it in every existing row.
    expect(lint("ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';\nALTER TABLE orders ALTER COLUMN status SET NOT NULL;")).toEqual([]);
    expect(lint("ALTER TABLE orders ADD COLUMN total numeric(12,2) DEFAULT 0, ALTER COLUMN total SET NOT NULL;")).toEqual([]);
  });

  it("add-constraint-not-valid: an inline REFERENCES on ADD COLUMN is flagged, checked against every row or not", () => {
    expect(lint("ALTER TABLE orders ADD COLUMN user_id bigint DEFAULT 0 REFERENCES users (id);")).toEqual(["1 add-constraint-not-valid"]);
    expect(lint("ALTER TABLE orders ADD COLUMN ref bigint GENERATED ALWAYS AS (legacy_ref) STORED REFERENCES refs (id);")).toEqual(["1 add-constraint-not-valid"]);
    expect(lint("ALTER TABLE orders\n  ADD COLUMN seq bigserial REFERENCES seqs (id);")).toEqual(["2 add-column-volatile-default", "2 add-constraint-not-valid"]);
    const [finding] = lintFile(parseMigration("005_change.sql", "ALTER TABLE orders ADD COLUMN user_id bigint DEFAULT 0 REFERENCES users (id);"));
    expect(finding.message).toMatch(/then `ADD CONSTRAINT \.\.\. FOREIGN KEY \(user_id\) REFERENCES users \(\.\.\.\) NOT VALID` in a later file/);
    // NULL in every existing row: PostgreSQL checks nothing, but the statement holds the table while
    // it waits for the referenced one (the migrate test measures both).
    const [inline] = lintFile(parseMigration("005_change.sql", "ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);"));
    expect(inline).toEqual({
      file: "005_change.sql",
      line: 1,
      rule: "add-constraint-not-valid",
      message:
        "the inline REFERENCES makes this statement hold `orders` ACCESS EXCLUSIVE (no reads, no writes) while it waits for a lock on `coupons` that any open transaction writing `coupons` holds up; add the column without REFERENCES, then `ADD CONSTRAINT ... FOREIGN KEY (coupon_id) REFERENCES coupons (...) NOT VALID` in a later file and VALIDATE CONSTRAINT it in one after that",
    });
    expect(lint("ALTER TABLE orders ADD COLUMN n int DEFAULT 0,\n  ADD COLUMN user_id bigint REFERENCES public.users (id) ON DELETE SET NULL;")).toEqual(["2 add-constraint-not-valid"]);
    // The safe form, one file each.
    expect(lint("ALTER TABLE orders ADD COLUMN coupon_id bigint;")).toEqual([]);
    expect(lint("ALTER TABLE orders ADD CONSTRAINT orders_coupon_fk FOREIGN KEY (coupon_id) REFERENCES coupons (id) NOT VALID;")).toEqual([]);
    expect(lint("ALTER TABLE orders VALIDATE CONSTRAINT orders_coupon_fk;")).toEqual([]);
    // A table created in the same file: no other transaction can hold a lock on it.
    expect(lint("CREATE TABLE coupons (id bigint PRIMARY KEY);\nALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);")).toEqual([]);
  });

  it("add-constraint-not-valid: an inline CHECK on ADD COLUMN is flagged, a NOT VALID one added after the column is not", () => {
    expect(lint("ALTER TABLE orders ADD COLUMN qty int CHECK (qty > 0);")).toEqual(["1 add-constraint-not-valid"]);
    expect(lint("ALTER TABLE orders ADD COLUMN qty int;\nALTER TABLE orders ADD CONSTRAINT orders_qty_positive CHECK (qty > 0) NOT VALID;")).toEqual([]);
  });

  it("validate-constraint-same-file: flags VALIDATE of a constraint added NOT VALID earlier in the file or statement, only that one", () => {
    expect(lint('ALTER TABLE orders ADD CONSTRAINT "Orders_user_fk" FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID,\n  VALIDATE CONSTRAINT "Orders_user_fk";')).toEqual([
      "2 validate-constraint-same-file",
    ]);
    expect(lint("ALTER TABLE orders ADD CONSTRAINT orders_qty_positive CHECK (qty > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;")).toEqual([]);
    expect(lint("ALTER TABLE orders ADD CONSTRAINT c CHECK (qty > 0) NOT VALID;\nALTER TABLE invoices VALIDATE CONSTRAINT c;")).toEqual([]);
  });

  it("add-column-volatile-default: flags defaults computed per row, not stable ones like now()", () => {
    for (const value of ["random()", "clock_timestamp()", "public.uuid_generate_v4()", "timeofday()::timestamptz", "nextval('orders_seq')"]) {
      expect(lint(`ALTER TABLE orders ADD COLUMN x text DEFAULT ${value};`), value).toEqual(["1 add-column-volatile-default"]);
    }
    expect(lint("ALTER TABLE orders ADD COLUMN n bigserial;")).toEqual(["1 add-column-volatile-default"]);
    for (const value of ["now()", "current_timestamp", "statement_timestamp()", "'random()'", "random_code()", "0"]) {
      expect(lint(`ALTER TABLE orders ADD COLUMN x text DEFAULT ${value};`), value).toEqual([]);
    }
    expect(lint("CREATE TABLE fresh (id uuid DEFAULT gen_random_uuid());\nALTER TABLE fresh ADD COLUMN n bigserial;")).toEqual([]);
  });

  it("checks contract files only against the runner rules", () => {
    expect(lint("-- migrate:contract\nALTER TABLE users DROP COLUMN legacy;\nDROP TABLE old;")).toEqual([]);
    expect(lint("-- migrate:contract\nDROP INDEX CONCURRENTLY old_idx;")).toEqual(["2 concurrently-in-transaction"]);
  });
});

describe("statement splitting", () => {
  it("splits on semicolons outside literals and dollar quotes, keeping each statement's line", () => {
    const sql = "SELECT 'a;b';\n\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n-- trailing comment";
    expect(splitStatements(sql).map((s) => [s.line, s.text.trim()])).toEqual([
      [1, "SELECT 'a;b'"],
      [3, "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql"],
    ]);
  });

  it("does not split inside an escape string, where a backslash escapes the quote", () => {
    const sql = String.raw`INSERT INTO notes VALUES (E'it\'s; fine', e'\\');` + "\nSELECT 2;";
    expect(splitStatements(sql).map((s) => s.text.trim())).toEqual([String.raw`INSERT INTO notes VALUES (E'it\'s; fine', e'\\')`, "SELECT 2"]);
    expect(lint(String.raw`INSERT INTO audit (note) VALUES (E'it\'s; DROP TABLE users');`)).toEqual([]);
  });

  it("keeps a backslash literal in a standard string, so the string ends at the next quote", () => {
    expect(splitStatements(String.raw`SELECT 'C:\'; SELECT 2;`).map((s) => s.text.trim())).toEqual([String.raw`SELECT 'C:\'`, "SELECT 2"]);
    expect(splitStatements(String.raw`SELECT type'x\'; SELECT 2;`).map((s) => s.text.trim())).toEqual([String.raw`SELECT type'x\'`, "SELECT 2"]);
  });
});

describe("migration file names and headers", () => {
  it("reads the no-transaction and contract headers", () => {
    expect(parseMigration("010_x.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);")).toMatchObject({ version: "010", transactional: false, phase: "expand" });
    expect(parseMigration("011_x.sql", "-- drop the old column\n-- migrate:contract\nALTER TABLE t DROP COLUMN c;")).toMatchObject({ transactional: true, phase: "contract" });
    // A header after the first statement is only a comment.
    expect(parseMigration("012_x.sql", "SELECT 1;\n-- migrate:contract\n")).toMatchObject({ phase: "expand" });
  });

  it("rejects bad names and unknown headers, naming the file", () => {
    expect(() => parseMigration("4_add.sql", "")).toThrow("`4_add.sql` is not a migration file name");
    expect(() => parseMigration("004_x.sql", "-- migrate:notransaction\nSELECT 1;")).toThrow(
      "004_x.sql:1: unknown header `-- migrate:notransaction`; known headers: `-- migrate:no-transaction`, `-- migrate:contract`",
    );
  });
});
