import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMigration } from "../../jobs/migrate/files";
import { lintFile } from "../../jobs/migrate/lint";
import { PostgresServer, startPostgres } from "../helpers/postgres";
import { ROOT } from "../helpers/program";
import { migrationDir, runCli, startCli } from "./cli";
import { imageCli } from "./imageTree";

let pg: PostgresServer;
let databases = 0;
const dirs: string[] = [];

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh database and its name. */
async function freshDatabase(): Promise<{ db: string; url: string }> {
  const db = `migrate_${++databases}`;
  return { db, url: await pg.createDatabase(db) };
}

function files(contents: Record<string, string>): string {
  const dir = migrationDir(contents);
  dirs.push(dir);
  return dir;
}

const migrate = (url: string, dir: string, ...flags: string[]) => runCli(["migrate", "--dir", dir, ...flags], { DATABASE_URL: url });

/** Everything a migration could touch in `public`: relations, columns, constraints, indexes, history rows. */
async function catalogSnapshot(db: string): Promise<string[]> {
  const rows = await pg.query<{ item: string }>(
    `SELECT 'relation ' || c.relname || ' ' || c.relkind::text AS item
       FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
     UNION ALL
     SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
     UNION ALL
     SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     UNION ALL
     SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
     ORDER BY 1`,
    db,
  );
  const history = await pg.query<{ present: boolean }>(`SELECT to_regclass('bluegreen_migrations') IS NOT NULL AS present`, db);
  const applied = history[0].present
    ? (await pg.query<{ item: string }>(`SELECT 'applied ' || name || ' ' || checksum AS item FROM bluegreen_migrations ORDER BY version`, db)).map((r) => r.item)
    : [];
  return [...rows.map((r) => r.item), ...applied];
}

async function history(db: string) {
  return pg.query<{ version: string; name: string; checksum: string; phase: string; transactional: boolean; duration_ms: number; applied_at: Date }>(
    "SELECT * FROM bluegreen_migrations ORDER BY version::numeric",
    db,
  );
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("migrate", () => {
  it("applies files in numeric version order, each recorded with checksum, duration and time", async () => {
    const { db, url } = await freshDatabase();
    const set = {
      "001_create_log.sql": "CREATE TABLE log (step text, at timestamptz DEFAULT clock_timestamp());\nINSERT INTO log (step) VALUES ('001');\n",
      "099_second.sql": "INSERT INTO log (step) VALUES ('099');\n",
      "0100_third.sql": "INSERT INTO log (step) VALUES ('0100');\n",
    };
    const result = await migrate(url, files(set));
    expect(result.error).toBeUndefined();
    expect(result.code).toBe(0);
    expect(result.events("migrate.file.applied").map((l) => l.name)).toEqual(["001_create_log.sql", "099_second.sql", "0100_third.sql"]);
    expect((await pg.query<{ step: string }>("SELECT step FROM log ORDER BY at", db)).map((r) => r.step)).toEqual(["001", "099", "0100"]);
    const rows = await history(db);
    expect(rows.map((r) => [r.version, r.name, r.checksum, r.phase, r.transactional])).toEqual(
      Object.entries(set).map(([name, sql]) => [name.split("_")[0], name, sha256(sql), "expand", true]),
    );
    for (const row of rows) {
      expect(row.duration_ms).toBeGreaterThanOrEqual(0);
      expect(row.applied_at).toBeInstanceOf(Date);
    }
  });

  it("does nothing on a re-run when up to date, and says so", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({ "001_create_t.sql": "CREATE TABLE t (id int);" });
    expect((await migrate(url, dir)).code).toBe(0);
    const before = await catalogSnapshot(db);
    const appliedAt = (await history(db))[0].applied_at;
    const again = await migrate(url, dir);
    expect(again.code).toBe(0);
    expect(again.events("migrate.file.applied")).toEqual([]);
    expect(again.events("migrate.up_to_date")).toHaveLength(1);
    expect(await catalogSnapshot(db)).toEqual(before);
    expect((await history(db))[0].applied_at).toEqual(appliedAt);
  });

  it("refuses to run when an applied file was edited, naming it and both checksums", async () => {
    const { db, url } = await freshDatabase();
    const original = "CREATE TABLE t (id int);\n";
    const dir = files({ "001_create_t.sql": original });
    expect((await migrate(url, dir)).code).toBe(0);
    const edited = "CREATE TABLE t (id bigint);\n";
    fs.writeFileSync(path.join(dir, "001_create_t.sql"), edited);
    fs.writeFileSync(path.join(dir, "002_more.sql"), "CREATE TABLE u (id int);\n");
    const before = await catalogSnapshot(db);
    const result = await migrate(url, dir);
    expect(result.code).toBe(1);
    expect(result.error).toBe(
      `\`001_create_t.sql\` was edited after it was applied: recorded sha256 ${sha256(original)}, file sha256 ${sha256(edited)}; restore the applied content (git checkout) and put the change in a new file`,
    );
    expect(await catalogSnapshot(db)).toEqual(before);
  });

  it("refuses to run when an applied file is missing from the directory", async () => {
    const { url } = await freshDatabase();
    const dir = files({ "001_a.sql": "CREATE TABLE a (id int);", "002_b.sql": "CREATE TABLE b (id int);" });
    expect((await migrate(url, dir)).code).toBe(0);
    fs.rmSync(path.join(dir, "001_a.sql"));
    const result = await migrate(url, dir);
    expect(result.code).toBe(1);
    expect(result.error).toMatch(/^`001_a\.sql` is recorded as applied \(version 001, at .+\) but is missing from the migrations directory: restore the file/);
  });

  it("leaves the schema exactly as before when a file fails, and names the failing line", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({ "001_users.sql": "CREATE TABLE users (id int PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a@example.com');\n" });
    expect((await migrate(url, dir)).code).toBe(0);
    const before = await catalogSnapshot(db);
    fs.writeFileSync(
      path.join(dir, "002_broken.sql"),
      [
        "CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users (id));",
        "CREATE INDEX orders_user_id_idx ON orders (user_id);",
        "ALTER TABLE users ADD COLUMN nickname text;",
        "UPDATE users SET nickname = 'x';",
        "INSERT INTO missing_table VALUES (1);",
        "",
      ].join("\n"),
    );
    const result = await migrate(url, dir);
    expect(result.code).toBe(1);
    expect(result.error).toBe(
      '002_broken.sql:5: relation "missing_table" does not exist (SQLSTATE 42P01); the file was rolled back, so none of it is applied; fix it and run migrate again',
    );
    expect(await catalogSnapshot(db)).toEqual(before);
    expect(await pg.query("SELECT * FROM users", db)).toEqual([{ id: 1, email: "a@example.com" }]);
  });

  it("leaves old-or-new, never half, when killed mid-file with SIGKILL, and the next run succeeds", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({
      "001_users.sql": "CREATE TABLE users (id int);\n",
      // Sleeps only when the test asks it to (through PGOPTIONS), so the second run goes straight through.
      "002_slow.sql": [
        "CREATE TABLE half_done (id int);",
        "ALTER TABLE users ADD COLUMN nickname text;",
        "SELECT pg_sleep(coalesce(nullif(current_setting('bluegreen.test_sleep', true), ''), '0')::float8);",
        "INSERT INTO half_done VALUES (1);",
        "",
      ].join("\n"),
    });
    const { child, done } = startCli(["migrate", "--dir", dir], { DATABASE_URL: url, PGOPTIONS: "-c bluegreen.test_sleep=60" });
    // Wait until the runner's backend is inside the sleeping file.
    for (let i = 0; ; i++) {
      const active = await pg.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'bluegreen-migrate' AND query LIKE '%pg_sleep%' AND state = 'active'`, db);
      if (active.length > 0) break;
      if (i > 200) throw new Error("the runner never reached the sleeping file");
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    const killed = await done;
    expect(killed.signal).toBe("SIGKILL");
    // The backend notices the vanished client (client_connection_check_interval) and rolls back.
    for (let i = 0; ; i++) {
      const sessions = await pg.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'bluegreen-migrate'`, db);
      if (sessions.length === 0) break;
      if (i > 200) throw new Error("the killed runner's backend is still running");
      await new Promise((r) => setTimeout(r, 50));
    }
    const old = await catalogSnapshot(db);
    expect(old.filter((item) => /half_done|nickname|002_slow/.test(item))).toEqual([]);
    expect(old.filter((item) => item.startsWith("applied "))).toEqual([`applied 001_users.sql ${sha256("CREATE TABLE users (id int);\n")}`]);
    expect(await pg.query("SELECT * FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", db)).toEqual([]);

    const rerun = await migrate(url, dir, "--lock-timeout", "5");
    expect(rerun.code).toBe(0);
    expect(rerun.events("migrate.file.applied").map((l) => l.name)).toEqual(["002_slow.sql"]);
    expect(await pg.query("SELECT * FROM half_done", db)).toEqual([{ id: 1 }]);
  });

  it("serializes 4 concurrent runners so each file is applied exactly once", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({
      "001_runs.sql": "CREATE TABLE runs (file text, backend int DEFAULT pg_backend_pid());\nINSERT INTO runs (file) VALUES ('001');\n",
      "002_slow.sql": "INSERT INTO runs (file) VALUES ('002');\nSELECT pg_sleep(0.3);\n",
      "003_last.sql": "INSERT INTO runs (file) VALUES ('003');\n",
    });
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(url, dir, "--lock-timeout", "20")));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const applied = results.flatMap((r) => r.events("migrate.file.applied").map((l) => l.name)).sort();
    expect(applied).toEqual(["001_runs.sql", "002_slow.sql", "003_last.sql"]);
    expect(await pg.query("SELECT file, count(*)::int AS n FROM runs GROUP BY file ORDER BY file", db)).toEqual([
      { file: "001", n: 1 },
      { file: "002", n: 1 },
      { file: "003", n: 1 },
    ]);
    expect(results.filter((r) => r.events("migrate.up_to_date").length === 1).length).toBeGreaterThanOrEqual(1);
  });

  it("gives up waiting for the lock after --lock-timeout with exit code 75 and says who holds it", async () => {
    const { db, url } = await freshDatabase();
    const holder = new Client({ connectionString: url, application_name: "other-runner" });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(25191, 1)");
      const pid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
      const before = await catalogSnapshot(db);
      const result = await migrate(url, files({ "001_t.sql": "CREATE TABLE t (id int);" }), "--lock-timeout", "1");
      expect(result.code).toBe(75);
      expect(result.error).toMatch(
        new RegExp(`^waited 1 s for the migration lock, which another runner holds: pid ${pid} \\(other-runner from 127\\.0\\.0\\.1, connected since .+\\); let it finish and retry, or raise --lock-timeout`),
      );
      expect(await catalogSnapshot(db)).toEqual(before);
    } finally {
      await holder.end();
    }
  });

  it("waits for the lock without holding a snapshot, so the holder's CREATE INDEX CONCURRENTLY does not wait for it", async () => {
    const { db, url } = await freshDatabase();
    await pg.query("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000);", db);
    const holder = new Client({ connectionString: url, application_name: "other-runner" });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(25191, 1)");
      const pid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
      const { done } = startCli(["migrate", "--dir", files({ "001_u.sql": "CREATE TABLE u (id int);" }), "--lock-timeout", "30"], { DATABASE_URL: url });
      for (let i = 0; ; i++) {
        const waiting = await pg.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'bluegreen-migrate' AND query LIKE '%advisory_lock%'`, db);
        if (waiting.length > 0) break;
        if (i > 200) throw new Error("the runner never started waiting for the lock");
        await new Promise((r) => setTimeout(r, 50));
      }
      // The index build waits for every older snapshot; a runner blocked in pg_advisory_lock would
      // hold one while waiting for this session: a deadlock.
      await holder.query("SET statement_timeout = '20s'");
      await holder.query("CREATE INDEX CONCURRENTLY t_id_idx ON t (id)");
      await holder.query("SELECT pg_advisory_unlock(25191, 1)");
      const result = await done;
      expect(result.error).toBeUndefined();
      expect(result.code).toBe(0);
      expect(result.events("migrate.lock.waiting")).toEqual([expect.objectContaining({ holder: expect.stringMatching(new RegExp(`^pid ${pid} \\(other-runner from 127\\.0\\.0\\.1, `)) })]);
      expect(result.events("migrate.file.applied").map((l) => l.name)).toEqual(["001_u.sql"]);
      expect(await pg.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id_idx'::regclass", db)).toEqual([{ indisvalid: true }]);
    } finally {
      await holder.end();
    }
  });

  it("fails fast instead of queueing the live color behind a DDL lock it cannot get (--ddl-lock-timeout)", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({ "001_t.sql": "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n" });
    expect((await migrate(url, dir)).code).toBe(0);
    fs.writeFileSync(path.join(dir, "002_add_note.sql"), "ALTER TABLE t ADD COLUMN note text;\n");
    // A long transaction of the live color holds a lock that ALTER TABLE must wait for.
    const live = new Client({ connectionString: url });
    await live.connect();
    try {
      await live.query("BEGIN");
      await live.query("SELECT * FROM t");
      const before = await catalogSnapshot(db);
      const result = await migrate(url, dir, "--ddl-lock-timeout", "1");
      expect(result.code).toBe(1);
      expect(result.error).toBe(
        "002_add_note.sql: canceling statement due to lock timeout (SQLSTATE 55P03); a table lock was not granted within 1 s (--ddl-lock-timeout) because a long query or transaction holds it; the file was rolled back and the live color was not kept waiting; run migrate again when it ends",
      );
      expect(await catalogSnapshot(db)).toEqual(before);
    } finally {
      await live.query("ROLLBACK");
      await live.end();
    }
    expect((await migrate(url, dir, "--ddl-lock-timeout", "1")).code).toBe(0);
  });

  it("--dry-run lists what would run and changes nothing", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({ "001_a.sql": "CREATE TABLE a (id int);", "002_b.sql": "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY a_id_idx ON a (id);" });
    const before = await catalogSnapshot(db);
    const result = await migrate(url, dir, "--dry-run");
    expect(result.code).toBe(0);
    expect(result.events("migrate.would_apply").map((l) => [l.name, l.transactional])).toEqual([
      ["001_a.sql", true],
      ["002_b.sql", false],
    ]);
    expect(await catalogSnapshot(db)).toEqual(before);
    expect(before).toEqual([]);
  });

  it("runs expand files with --phase expand and contract files only with --phase contract", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({
      "001_users.sql": "CREATE TABLE users (id int, legacy_name text);\n",
      "002_add_display_name.sql": "ALTER TABLE users ADD COLUMN display_name text;\n",
      "003_drop_legacy_name.sql": "-- migrate:contract\nALTER TABLE users DROP COLUMN legacy_name;\n",
      "004_add_email.sql": "ALTER TABLE users ADD COLUMN email text;\n",
    });
    const expand = await migrate(url, dir, "--phase", "expand");
    expect(expand.code).toBe(0);
    expect(expand.events("migrate.file.applied").map((l) => l.name)).toEqual(["001_users.sql", "002_add_display_name.sql", "004_add_email.sql"]);
    const columns = () => pg.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position", db);
    expect((await columns()).map((c) => c.column_name)).toEqual(["id", "legacy_name", "display_name", "email"]);
    const contract = await migrate(url, dir, "--phase", "contract");
    expect(contract.code).toBe(0);
    expect(contract.events("migrate.file.applied").map((l) => [l.name, l.phase])).toEqual([["003_drop_legacy_name.sql", "contract"]]);
    expect((await columns()).map((c) => c.column_name)).toEqual(["id", "display_name", "email"]);
    // The contract file ran after the expand file numbered above it, as every release does.
    expect((await history(db)).sort((a, b) => a.applied_at.getTime() - b.applied_at.getTime()).map((r) => r.name)).toEqual([
      "001_users.sql",
      "002_add_display_name.sql",
      "004_add_email.sql",
      "003_drop_legacy_name.sql",
    ]);
    expect((await migrate(url, dir, "--phase", "expand")).events("migrate.up_to_date")).toHaveLength(1);
  });

  it("refuses the contract phase while an earlier expand file is pending", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({ "001_t.sql": "CREATE TABLE t (id int, old text);\n", "002_drop.sql": "-- migrate:contract\nALTER TABLE t DROP COLUMN old;\n" });
    const result = await migrate(url, dir, "--phase", "contract");
    expect(result.code).toBe(1);
    expect(result.error).toBe("expand migration `001_t.sql` is not applied yet: run `migrate --phase expand` before the contract phase");
    // Only the (empty) history table exists: neither file ran.
    expect((await catalogSnapshot(db)).filter((item) => !item.includes("bluegreen_migrations"))).toEqual([]);
  });

  it("lints pending expand files first and applies nothing when one would break the live color", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({ "001_t.sql": "CREATE TABLE t (id int, old text);\n" });
    expect((await migrate(url, dir)).code).toBe(0);
    fs.writeFileSync(path.join(dir, "002_fine.sql"), "ALTER TABLE t ADD COLUMN fresh text;\n");
    fs.writeFileSync(path.join(dir, "003_drop.sql"), "-- removes a column\nALTER TABLE t\n  DROP COLUMN old;\n");
    const before = await catalogSnapshot(db);
    const result = await migrate(url, dir);
    expect(result.code).toBe(1);
    expect(result.events("migrate.lint.finding").map((l) => [l.file, l.line, l.rule])).toEqual([["003_drop.sql", 3, "drop-column"]]);
    expect(result.error).toMatch(/^lint found 1 problem\(s\) in pending migrations, nothing was applied; first: 003_drop\.sql:3 \[drop-column\]/);
    expect(await catalogSnapshot(db)).toEqual(before);
  });

  it("reports a failed no-transaction file as not rolled back, with what to do", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({
      "001_t.sql": "CREATE TABLE t (email text);\nINSERT INTO t VALUES ('a'), ('a');\n",
      "002_unique_email.sql": "-- migrate:no-transaction\n\nCREATE UNIQUE INDEX CONCURRENTLY t_email_key ON t (email);\n",
    });
    const result = await migrate(url, dir);
    expect(result.code).toBe(1);
    expect(result.error).toMatch(/^002_unique_email\.sql:3: could not create unique index "t_email_key" \(SQLSTATE 23505\); Key \(email\)=\(a\) is duplicated\.; this file runs without a transaction and cannot be rolled back: 0 of 1 statement\(s\) before it stay applied and the file is not recorded\. A failed CREATE INDEX CONCURRENTLY leaves an INVALID index: drop it with `DROP INDEX CONCURRENTLY IF EXISTS <name>`/);
    // What the message warns about is real: the index exists but is invalid, and the file is not recorded.
    expect(await pg.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_email_key'::regclass", db)).toEqual([{ indisvalid: false }]);
    expect((await history(db)).map((r) => r.name)).toEqual(["001_t.sql"]);
  });

  it("does not record a no-transaction file whose IF NOT EXISTS kept an INVALID index, and names the index and the fix", async () => {
    const { db, url } = await freshDatabase();
    const dir = files({
      "001_t.sql": 'CREATE SCHEMA app;\nCREATE TABLE app.t (email text);\nINSERT INTO app.t VALUES (\'a\'), (\'a\');\n',
      "002_unique_email.sql": '-- migrate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "T_email_key" ON app.t (email);\n',
    });
    const failed = await migrate(url, dir);
    expect(failed.error).toMatch(/^002_unique_email\.sql:2: could not create unique index "T_email_key"/);
    // The duplicate is gone, but the interrupted build left the index behind, INVALID.
    await pg.query("DELETE FROM app.t; INSERT INTO app.t VALUES ('a');", db);
    const rerun = await migrate(url, dir);
    expect(rerun.code).toBe(1);
    expect(rerun.error).toBe(
      '002_unique_email.sql:2: index app."T_email_key" exists but is INVALID (an earlier build of it was interrupted, and IF NOT EXISTS kept it), so the file is not recorded; run `DROP INDEX CONCURRENTLY IF EXISTS app."T_email_key";` then run migrate again',
    );
    expect((await history(db)).map((r) => r.name)).toEqual(["001_t.sql"]);

    await pg.query('DROP INDEX CONCURRENTLY IF EXISTS app."T_email_key"', db);
    const fixed = await migrate(url, dir);
    expect(fixed.code).toBe(0);
    expect(fixed.events("migrate.file.applied").map((l) => l.name)).toEqual(["002_unique_email.sql"]);
    expect(await pg.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'app."T_email_key"'::regclass`, db)).toEqual([{ indisvalid: true }]);
  });

  it("applies the repository's example migrations and lints them clean", async () => {
    const { url } = await freshDatabase();
    const dir = path.join(ROOT, "migrations");
    const lint = await runCli(["migrate", "lint", "--dir", dir], {});
    expect(lint.code).toBe(0);
    expect(lint.events("migrate.lint.clean")).toHaveLength(1);
    const result = await migrate(url, dir);
    expect(result.code).toBe(0);
    expect(result.events("migrate.file.applied")).toHaveLength(fs.readdirSync(dir).filter((f) => f.endsWith(".sql")).length);
  });

  it("rejects bad arguments with exit code 2 and names them", async () => {
    const bad = await runCli(["migrate", "--phase", "cleanup"], { DATABASE_URL: "postgres://unused" });
    expect(bad.code).toBe(2);
    expect(bad.error).toBe("--phase is `cleanup`: must be `expand` or `contract`");
    const noUrl = await runCli(["migrate"], {});
    expect(noUrl.code).toBe(2);
    expect(noUrl.error).toMatch(/^DATABASE_URL is not set/);
    const unknown = await runCli(["migrate", "--force"], {});
    expect(unknown.code).toBe(2);
    expect(unknown.error).toMatch(/--force/);
  });

  it("prints its usage with --help and exits 0, without a database", () => {
    const help = (args: string[]) => {
      const result = spawnSync(process.execPath, [imageCli(), ...args], { env: { PATH: process.env.PATH ?? "" }, encoding: "utf8" });
      expect(result.status, args.join(" ")).toBe(0);
      expect(result.stderr).toBe("");
      return result.stdout;
    };
    for (const args of [["migrate", "--help"], ["migrate", "-h"], ["migrate", "--phase", "cleanup", "--help"]]) {
      const usage = help(args);
      expect(usage).toMatch(/^usage: cli migrate \[--dir DIR\] \[--phase expand\|contract\]/);
      expect(usage).toContain("--ddl-lock-timeout SECONDS");
      expect(usage).toContain("--dir DIR                   directory of NNN_name.sql files (default `migrations`) (env MIGRATIONS_DIR)");
      expect(usage).toContain("exit codes: 0 done, 1 failed (one error line says why), 2 bad argument, 75 another runner held the lock for --lock-timeout");
    }
    for (const args of [["migrate", "lint", "--help"], ["migrate", "lint", "-h"]]) {
      const usage = help(args);
      expect(usage).toMatch(/^usage: cli migrate lint \[--dir DIR\]\n/);
      expect(usage).not.toContain("--phase");
    }
  });
});

describe("what the lint assumes of PostgreSQL", () => {
  it("flags an ADD COLUMN when PostgreSQL reads or rewrites every row for it, and an inline REFERENCES that does not", async () => {
    const { url } = await freshDatabase();
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("CREATE TABLE users (id bigint PRIMARY KEY); INSERT INTO users VALUES (0); CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 1000);");
      /** Whether one statement scanned or rewrote `orders`; rolled back, so each starts from the same table. */
      const touchesEveryRow = async (sql: string): Promise<boolean> => {
        await client.query("BEGIN");
        try {
          // Not-yet-flushed scans of earlier transactions count here too: compare before and after.
          const state = async () =>
            (await client.query<{ node: number; scans: string }>("SELECT pg_relation_filenode('orders') AS node, seq_scan AS scans FROM pg_stat_xact_user_tables WHERE relname = 'orders'")).rows[0];
          const before = await state();
          await client.query(sql);
          const after = await state();
          return after.scans !== before.scans || after.node !== before.node;
        } finally {
          await client.query("ROLLBACK");
        }
      };
      // [statement, reads or rewrites every row, flagged]
      const cases: [string, boolean, boolean][] = [
        ["ALTER TABLE orders ADD COLUMN note text", false, false],
        // Checks no row, but waits for the referenced table while holding this one: see the next test.
        ["ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id)", false, true],
        ["ALTER TABLE orders ADD COLUMN user_id bigint DEFAULT 0 REFERENCES users (id)", true, true],
        ["ALTER TABLE orders ADD COLUMN qty int CHECK (qty > 0)", true, true],
        ["ALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT now()", false, false],
        ["ALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT current_timestamp", false, false],
        ["ALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT clock_timestamp()", true, true],
        ["ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid()", true, true],
        ["ALTER TABLE orders ADD COLUMN n bigserial", true, true],
      ];
      for (const [sql, everyRow, flagged] of cases) {
        expect(await touchesEveryRow(sql), sql).toBe(everyRow);
        expect(lintFile(parseMigration("005_change.sql", `${sql};`)).length > 0, sql).toBe(flagged);
      }
    } finally {
      await client.end();
    }
  });

  it("an inline REFERENCES holds its table ACCESS EXCLUSIVE while it waits for the referenced one; ADD CONSTRAINT ... NOT VALID lets reads through", async () => {
    const { url } = await freshDatabase();
    const connect = async () => {
      const c = new Client({ connectionString: url });
      await c.connect();
      return c;
    };
    const [setup, writer, migration, app] = await Promise.all([connect(), connect(), connect(), connect()]);
    try {
      await setup.query("CREATE TABLE coupons (id bigint PRIMARY KEY); CREATE TABLE orders (id int, coupon_id bigint); INSERT INTO orders VALUES (1, NULL);");
      await app.query("SET statement_timeout = '300ms'");
      /** While `sql` waits for the lock the open write on coupons holds: its locks, and what the app can still do with orders. */
      const whileWaiting = async (sql: string) => {
        await writer.query("BEGIN; INSERT INTO coupons VALUES (1)");
        const running = migration.query(`SET lock_timeout = '5s'; ${sql}`).then(
          () => "done",
          (error: Error) => error.message,
        );
        let locks: string[] = [];
        for (let i = 0; i < 100 && !locks.some((l) => l.endsWith("waiting")); i++) {
          await new Promise((r) => setTimeout(r, 20));
          const { rows } = await setup.query<{ lock: string }>(
            `SELECT relation::regclass || ' ' || mode || CASE WHEN granted THEN ' granted' ELSE ' waiting' END AS lock FROM pg_locks
              WHERE pid = $1 AND relation::regclass::text IN ('orders', 'coupons') ORDER BY 1`,
            [(migration as unknown as { processID: number }).processID],
          );
          locks = rows.map((r) => r.lock);
        }
        const attempt = (q: string) => app.query(q).then(() => "ok", (error: Error) => error.message);
        const read = await attempt("SELECT * FROM orders");
        const write = await attempt("INSERT INTO orders VALUES (2, NULL)");
        await writer.query("ROLLBACK");
        return { locks, read, write, migration: await running };
      };
      expect(await whileWaiting("ALTER TABLE orders ADD COLUMN other_id bigint REFERENCES coupons (id)")).toEqual({
        locks: ["coupons ShareRowExclusiveLock waiting", "orders AccessExclusiveLock granted"],
        read: "canceling statement due to statement timeout",
        write: "canceling statement due to statement timeout",
        migration: "done",
      });
      expect(await whileWaiting("ALTER TABLE orders ADD CONSTRAINT orders_coupon_fk FOREIGN KEY (coupon_id) REFERENCES coupons (id) NOT VALID")).toEqual({
        locks: ["coupons ShareRowExclusiveLock waiting", "orders ShareRowExclusiveLock granted"],
        read: "ok",
        write: "canceling statement due to statement timeout",
        migration: "done",
      });
    } finally {
      await Promise.all([setup, writer, migration, app].map((c) => c.end()));
    }
  });
});
