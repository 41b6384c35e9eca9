import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeType } from "../../jobs/verify/checks";
import { parseSpec } from "../../jobs/verify/spec";
import { PostgresServer, startPostgres } from "../helpers/postgres";
import { ROOT } from "../helpers/program";
import { runCli } from "./cli";
import { imageCli } from "./imageTree";

let pg: PostgresServer;
let url: string;
let tmp: string;

beforeAll(async () => {
  pg = await startPostgres();
  url = await pg.createDatabase("app");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
  const migrated = await runCli(["migrate", "--dir", path.join(ROOT, "migrations")], { DATABASE_URL: url });
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.error}`);
});
afterAll(async () => {
  await pg?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function specFile(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

describe("verify", () => {
  it("passes the repository's expected-schema spec after its migrations, printing every check", async () => {
    const result = await runCli(["verify", "--spec", path.join(ROOT, "migrations/schema.yaml")], { DATABASE_URL: url });
    expect(result.error).toBeUndefined();
    expect(result.code).toBe(0);
    const checks = result.events("verify.check");
    expect(checks.length).toBeGreaterThan(40);
    expect(checks.filter((c) => c.status !== "pass")).toEqual([]);
    expect(checks.map((c) => c.check)).toEqual(
      expect.arrayContaining([
        "table public.users exists",
        "column public.users.created_at type",
        "index public.orders.orders_created_at_idx valid",
        "constraint public.orders.orders_user_id_fkey validated",
      ]),
    );
    expect(result.events("verify.passed")).toEqual([expect.objectContaining({ checks: checks.length, optionalFailed: 0 })]);
  });

  it("reports each failed check with expected and actual, and exits 1 on a required failure (JSON spec)", async () => {
    const file = specFile(
      "wrong.json",
      JSON.stringify({
        tables: [
          {
            name: "users",
            columns: [
              { name: "email", type: "varchar(255)", nullable: false },
              { name: "display_name", nullable: false },
              { name: "phone", type: "text" },
            ],
            indexes: [{ name: "users_email_key", columns: ["email", "id"], unique: true }],
          },
          { name: "invoices" },
        ],
        absent: { columns: ["users.display_name"] },
      }),
    );
    const result = await runCli(["verify", "--spec", file], { DATABASE_URL: url });
    expect(result.code).toBe(1);
    const failed = result.events("verify.check").filter((c) => c.status === "fail");
    expect(failed.map((c) => [c.check, c.expected, c.actual])).toEqual([
      ["column public.users.email type", "varchar(255)", "text"],
      ["column public.users.display_name nullable", false, true],
      ["column public.users.phone exists", true, false],
      ["index public.users.users_email_key columns", ["email", "id"], ["email"]],
      ["table public.invoices exists", true, false],
      ["column public.users.display_name absent", false, true],
    ]);
    expect(result.error).toBe('6 of 13 required schema check(s) failed, first: column public.users.email type (expected "varchar(255)", found "text")');
  });

  it("warns about optional failures without failing the run (YAML spec)", async () => {
    const file = specFile(
      "optional.yaml",
      "tables:\n  - name: users\n    columns:\n      - { name: email, type: text }\n      - { name: nickname, required: false }\nabsent:\n  tables: [legacy_sessions]\n",
    );
    const result = await runCli(["verify", "--spec", file], { DATABASE_URL: url });
    expect(result.code).toBe(0);
    expect(result.lines.filter((l) => l.level === "warn").map((l) => [l.check, l.status, l.required])).toEqual([["column public.users.nickname exists", "fail", false]]);
    expect(result.events("verify.passed")).toEqual([expect.objectContaining({ checks: 5, optionalFailed: 1 })]);
  });

  it("flags an INVALID index left by a failed CREATE INDEX CONCURRENTLY", async () => {
    await pg.query("INSERT INTO users (email) VALUES ('one@example.com'), ('two@example.com')", "app");
    await pg.query("ALTER TABLE users ADD COLUMN handle text DEFAULT 'same'", "app");
    await expect(pg.query("CREATE UNIQUE INDEX CONCURRENTLY users_handle_key ON users (handle)", "app")).rejects.toThrow(/could not create unique index/);
    try {
      const file = specFile("handle.yaml", "tables:\n  - name: users\n    indexes:\n      - { name: users_handle_key, unique: true }\n");
      const result = await runCli(["verify", "--spec", file], { DATABASE_URL: url });
      expect(result.code).toBe(1);
      expect(result.events("verify.check").map((c) => [c.check, c.status])).toEqual([
        ["table public.users exists", "pass"],
        ["index public.users.users_handle_key exists", "pass"],
        ["index public.users.users_handle_key valid", "fail"],
        ["index public.users.users_handle_key unique", "pass"],
      ]);
    } finally {
      await pg.query("DROP INDEX IF EXISTS users_handle_key; ALTER TABLE users DROP COLUMN handle; DELETE FROM users", "app");
    }
  });

  it("rejects a bad spec before connecting, naming the entry", async () => {
    const file = specFile("bad.yaml", "tables:\n  - name: users\n    columns:\n      - { name: email, nulable: true }\n");
    const result = await runCli(["verify", "--spec", file], { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    expect(result.code).toBe(2);
    expect(result.error).toBe(`${file}: \`tables.0.columns.0\`: Unrecognized key: "nulable"`);
  });
});

describe("verify --help", () => {
  it("prints its usage and exits 0, without a database or a spec", () => {
    for (const flag of ["--help", "-h"]) {
      const help = spawnSync(process.execPath, [imageCli(), "verify", flag], { env: { PATH: process.env.PATH ?? "" }, encoding: "utf8" });
      expect(help.status, flag).toBe(0);
      expect(help.stderr).toBe("");
      expect(help.stdout).toMatch(/^usage: cli verify --spec FILE\n/);
      expect(help.stdout).toContain("exit codes: 0 every required check passed, 1 a required check failed or the database could not be read, 2 bad argument");
    }
  });
});

describe("spec parsing", () => {
  it("fills defaults and accepts JSON as YAML", () => {
    expect(parseSpec('{"tables":[{"name":"t"}]}', "s.json")).toEqual({
      schema: "public",
      tables: [{ name: "t", columns: [], indexes: [], constraints: [] }],
      absent: { tables: [], columns: [] },
    });
  });

  it("normalizes common type spellings to PostgreSQL's names", () => {
    expect(normalizeType("timestamptz")).toBe("timestamp with time zone");
    expect(normalizeType("VARCHAR( 255 )")).toBe("character varying(255)");
    expect(normalizeType("int[]")).toBe("integer[]");
    expect(normalizeType("numeric(12, 2)")).toBe("numeric(12,2)");
  });
});
