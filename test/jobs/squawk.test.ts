/**
 * The two migration linters side by side, as `npm run lint:migrations` (.ci/lint-migrations) runs
 * them in CI and the PR preview: our `migrate lint` and squawk. Every rule's unsafe and safe example
 * goes through both; the expected table records where they disagree and which one the project follows.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/program";
import { CASES } from "./lintCases";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

interface Run {
  readonly status: number | null;
  readonly output: string;
  /** file name -> rules found by `migrate lint` and by squawk. */
  readonly findings: Map<string, { ours: string[]; squawk: string[] }>;
}

/** Runs .ci/lint-migrations on a folder holding these files (name -> SQL). */
function lintMigrations(files: Record<string, string>): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lint-migrations-"));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
  const result = spawnSync("bash", [path.join(ROOT, ".ci/lint-migrations"), dir], { encoding: "utf8", timeout: 60_000 });
  const findings = new Map(Object.keys(files).map((name) => [name, { ours: [] as string[], squawk: [] as string[] }]));
  for (const line of result.stdout.split("\n")) {
    if (line.startsWith("{")) {
      const entry = JSON.parse(line);
      if (entry.event === "migrate.lint.finding") findings.get(entry.file)!.ours.push(entry.rule);
      continue;
    }
    const squawk = /^(.+?):\d+:\d+: (?:warning|error): (\S+) /.exec(line);
    if (squawk) findings.get(path.basename(squawk[1]))!.squawk.push(squawk[2]);
  }
  return { status: result.status, output: result.stdout + result.stderr, findings };
}

// squawk's rules on each example of ours (the unsafe one, then the safe one), with .ci/lint-migrations'
// settings. Where they disagree:
//   - truncate, concurrently-in-transaction, no-transaction-single-statement: squawk has no plain
//     TRUNCATE rule, and knows neither that the runner's transaction refuses CONCURRENTLY nor what a
//     `-- migrate:no-transaction` file is; ours catch them.
//   - prefer-robust-stmts on a `-- migrate:no-transaction` CREATE INDEX CONCURRENTLY: squawk asks for
//     IF NOT EXISTS so a retry after a failure goes through; we follow it (the runner still refuses
//     an INVALID index a killed build left), as migrations/005 does.
//   - drops and renames in a contract file: the point of a contract file, so the script leaves
//     squawk's rules for clients of the old names out of contract files.
const SQUAWK: Record<string, { unsafe: string[]; safe: string[] }> = {
  "drop-table": { unsafe: ["ban-drop-table"], safe: [] },
  "drop-column": { unsafe: ["ban-drop-column"], safe: [] },
  "rename-table": { unsafe: ["renaming-table"], safe: [] },
  "rename-column": { unsafe: ["renaming-column"], safe: [] },
  "alter-column-type": { unsafe: ["changing-column-type"], safe: [] },
  "set-not-null": { unsafe: ["adding-not-nullable-field"], safe: [] },
  "add-column-not-null": { unsafe: ["adding-required-field"], safe: [] },
  "add-column-volatile-default": { unsafe: ["adding-field-with-default"], safe: [] },
  "create-index-not-concurrently": { unsafe: ["require-concurrent-index-creation"], safe: ["prefer-robust-stmts"] },
  "drop-index-not-concurrently": { unsafe: ["require-concurrent-index-deletion"], safe: [] },
  "add-constraint-not-valid": { unsafe: ["adding-foreign-key-constraint", "constraint-missing-not-valid"], safe: [] },
  "validate-constraint-same-file": { unsafe: ["constraint-missing-not-valid"], safe: [] },
  "add-unique-constraint": { unsafe: ["constraint-missing-not-valid", "disallowed-unique-constraint"], safe: [] },
  truncate: { unsafe: [], safe: [] },
  "concurrently-in-transaction": { unsafe: ["prefer-robust-stmts"], safe: ["prefer-robust-stmts"] },
  "no-transaction-single-statement": { unsafe: ["prefer-robust-stmts", "prefer-robust-stmts"], safe: ["prefer-robust-stmts"] },
  "transaction-control": { unsafe: ["transaction-nesting", "transaction-nesting"], safe: [] },
};

describe("the migration linters (.ci/lint-migrations)", () => {
  it("find nothing in migrations/", () => {
    const result = spawnSync("bash", [path.join(ROOT, ".ci/lint-migrations")], { encoding: "utf8", timeout: 60_000 });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('"event":"migrate.lint.clean"');
    expect(result.stdout).toContain("lint-migrations: migrate lint and squawk found nothing in migrations");
  });

  it("both flag the inline foreign key that locks orders while it waits for coupons, and fail", () => {
    const run = lintMigrations({
      "001_create.sql": "CREATE TABLE coupons (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\n",
      "002_add_orders_coupon.sql": "ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);\n",
    });
    expect(run.status, run.output).toBe(1);
    expect(run.findings.get("002_add_orders_coupon.sql")).toEqual({ ours: ["add-constraint-not-valid"], squawk: ["adding-foreign-key-constraint"] });
    expect(run.findings.get("001_create.sql")).toEqual({ ours: [], squawk: [] });
  });

  it("pass the safe form of it: the column, then ADD CONSTRAINT ... NOT VALID, then VALIDATE, one file each", () => {
    const run = lintMigrations({
      "001_create.sql": "CREATE TABLE coupons (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\n",
      "002_add_orders_coupon.sql": "ALTER TABLE orders ADD COLUMN coupon_id bigint;\n",
      "003_orders_coupon_fk.sql": "ALTER TABLE orders ADD CONSTRAINT orders_coupon_fk FOREIGN KEY (coupon_id) REFERENCES coupons (id) NOT VALID;\n",
      "004_validate_orders_coupon_fk.sql": "ALTER TABLE orders VALIDATE CONSTRAINT orders_coupon_fk;\n",
    });
    expect(run.status, run.output).toBe(0);
  });

  it("agree on every rule's examples but where the table above says why not", () => {
    expect(Object.keys(SQUAWK).sort()).toEqual(Object.keys(CASES).sort());
    const files: Record<string, string> = {};
    const names = Object.keys(CASES).map((rule, i) => {
      const base = `${String(i + 1).padStart(3, "0")}_${rule.replaceAll("-", "_")}`;
      files[`${base}_unsafe.sql`] = CASES[rule].unsafe;
      return { rule, unsafe: `${base}_unsafe.sql` };
    });
    // The safe examples in a second folder: version numbers are unique within one.
    const safeFiles: Record<string, string> = Object.fromEntries(Object.keys(CASES).map((rule, i) => [`${String(i + 1).padStart(3, "0")}_${rule.replaceAll("-", "_")}_safe.sql`, CASES[rule].safe]));
    const unsafe = lintMigrations(files);
    const safe = lintMigrations(safeFiles);
    expect(unsafe.status).toBe(1);
    expect(safe.status, safe.output).toBe(1); // squawk's prefer-robust-stmts, as the table says
    for (const { rule, unsafe: name } of names) {
      const found = unsafe.findings.get(name)!;
      expect(found.ours, `${rule}: migrate lint on the unsafe example`).toContain(rule);
      expect(found.squawk.sort(), `${rule}: squawk on the unsafe example`).toEqual(SQUAWK[rule].unsafe);
      const safeFound = safe.findings.get(name.replace("_unsafe", "_safe"))!;
      expect(safeFound.ours, `${rule}: migrate lint on the safe example`).toEqual([]);
      expect(safeFound.squawk.sort(), `${rule}: squawk on the safe example`).toEqual(SQUAWK[rule].safe);
    }
  });
});
