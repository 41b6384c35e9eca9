/**
 * The backup, restore-check and restore jobs against a real PostgreSQL and an in-process s3rver.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Manifest, findLatestManifestKey, manifestSchema } from "../../jobs/backup/manifest";
import { s3Client, s3SettingsFrom } from "../../jobs/backup/s3";
import { PostgresServer, startPostgres } from "../helpers/postgres";
import { S3RVER_CREDENTIALS, S3Server, startS3 } from "../helpers/s3";
import { contentsOf, jobEnv, requireZstd, runCli, seedSource } from "./backupFixture";

let pg: PostgresServer;
let s3: S3Server;
let sourceUrl: string;

beforeAll(async () => {
  requireZstd();
  [pg, s3] = await Promise.all([startPostgres(), startS3()]);
  sourceUrl = await seedSource(pg, "app");
});

afterAll(async () => {
  await Promise.all([pg?.stop(), s3?.stop()]);
});

const backup = (prefix: string, extra: string[] = [], env: Record<string, string> = {}) =>
  runCli(["backup", "--database-url", sourceUrl, ...extra], jobEnv(pg, s3, prefix, env));
const restoreCheck = (prefix: string, extra: string[] = []) =>
  runCli(["restore-check", "--scratch-database-url", pg.url("postgres"), ...extra], jobEnv(pg, s3, prefix));

async function manifestOf(key: string) {
  const response = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return manifestSchema.parse(JSON.parse(await response.Body!.transformToString()));
}

async function scratchDatabases(): Promise<string[]> {
  const rows = await pg.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'restore_check_%'");
  return rows.map((r) => r.datname);
}

describe("backup -> restore-check round trip", () => {
  it("uploads the dump, writes a manifest with sizes, checksum, versions and row counts, and restore-check proves it", async () => {
    // With SSE-KMS parameters, as the CronJob passes them (an S3-compatible server ignores the key).
    const result = await backup("round-trip", ["--name", "scheduled"], { BACKUP_KMS_KEY_ID: "arn:aws:kms:eu-west-1:123456789012:key/test" });
    expect(result.error).toBeUndefined();
    expect(result.code).toBe(0);
    // Only the job's own lines, on stdout: no SDK notices on stderr (such as its Node version warning).
    expect(result.stderr).toBe("");

    const keys = await s3.keys("round-trip/");
    expect(keys).toHaveLength(2);
    const manifestKey = keys.find((k) => k.startsWith("round-trip/manifests/"))!;
    const dumpKey = keys.find((k) => k.startsWith("round-trip/dumps/"))!;
    expect(manifestKey).toMatch(/^round-trip\/manifests\/\d{8}T\d{6}\.\d{3}Z-scheduled\.json$/);
    const manifest = await manifestOf(manifestKey);
    const dump = Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: dumpKey }))).Body!.transformToByteArray());
    expect(manifest.key).toBe(dumpKey);
    expect(manifest.bytes).toBe(dump.length);
    expect(manifest.sha256).toBe(require("node:crypto").createHash("sha256").update(dump).digest("hex"));
    // zstd around pg_dump's uncompressed custom format.
    expect(manifest.compression).toBe("zstd");
    expect(dump.subarray(0, 4).toString("hex")).toBe("28b52ffd"); // zstd's frame magic
    const inner = execFileSync("zstd", ["-d", "-c"], { input: dump, maxBuffer: 64 * 1024 * 1024 });
    expect(inner.subarray(0, 5).toString()).toBe("PGDMP");
    const listing = execFileSync(path.join(pg.binaries.binDir, "pg_restore"), ["--list"], { input: inner }).toString();
    expect(listing).toMatch(/^;\s+Compression: 0$/m);
    expect(result.lines.find((l) => l.event === "backup.versions").zstd).toMatch(/^\*\*\* Zstandard CLI .*v1\.\d+\.\d+/);
    expect(manifest.database).toBe("app");
    expect(manifest.serverVersion).toMatch(new RegExp(`^${pg.binaries.major}\\.`));
    expect(manifest.pgDumpVersion).toMatch(new RegExp(`^pg_dump \\(PostgreSQL\\) ${pg.binaries.major}\\.`));
    expect(manifest.tables).toEqual({ "billing.invoices": 1500, "public.empty_table": 0, "public.users": 500 });
    expect(JSON.stringify(manifest)).not.toContain("postgres://");

    const succeeded = result.lines.find((l) => l.event === "backup.succeeded");
    expect(succeeded).toMatchObject({ manifest: manifestKey, key: dumpKey, bytes: dump.length, sha256: manifest.sha256, tables: 3 });

    // restore-check compares row counts and runs verify queries on the restored scratch copy; these
    // compare whole table contents against the source's fingerprints.
    const source = await contentsOf(pg, "app");
    const verify = Object.entries(source).map(([table, fingerprint]) => ({
      name: `contents of ${table}`,
      sql: `SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) = '${fingerprint}' FROM ${table} t`,
    }));
    verify.push({ name: "view works", sql: "SELECT count(*) = 500 FROM user_totals" });
    const check = await restoreCheck("round-trip", ["--verify", JSON.stringify(verify)]);
    expect(check.error).toBeUndefined();
    expect(check.code).toBe(0);
    expect(check.lines.find((l) => l.event === "restore-check.verified")).toMatchObject({ tables: 3, rows: 2000, checks: 4 });
    expect(check.lines.find((l) => l.event === "restore-check.succeeded")).toMatchObject({ manifest: manifestKey });
    expect(check.stderr).toBe("");
    expect(await scratchDatabases()).toEqual([]);
  });

  it("writes progress lines with bytes and MB/s while it streams", async () => {
    const result = await backup("progress", ["--progress-bytes", "5000", "--compress", "1"]);
    expect(result.code).toBe(0);
    const progress = result.lines.filter((l) => l.event === "backup.progress");
    expect(progress.length).toBeGreaterThanOrEqual(3);
    for (const line of progress) {
      expect(Object.keys(line).sort()).toEqual(["bytes", "event", "level", "mb", "mbPerSecond", "seconds", "time"]);
      expect(line.mbPerSecond).toBeGreaterThanOrEqual(0);
    }
    expect(progress.map((l) => l.bytes)).toEqual([...progress.map((l) => l.bytes)].sort((a, b) => a - b));
  });

  it("a complete backup whose CloudWatch metrics cannot be published still succeeds, with a warning", async () => {
    const result = await backup("metrics-down", ["--metrics-namespace", "Bluegreen/Backups", "--cloudwatch-endpoint", "http://127.0.0.1:9"]);
    expect(result.code, result.error).toBe(0);
    const warning = result.lines.find((l) => l.event === "backup.metrics-failed");
    expect(warning).toMatchObject({ level: "warn", namespace: "Bluegreen/Backups" });
    expect(warning.error).toMatch(/^the backup metrics-down\/manifests\/\S+\.json is complete, but publishing CloudWatch metrics failed: .+; the backup-age alarm fires if no later run publishes them$/);
    expect(result.lines.some((l) => l.event === "backup.succeeded")).toBe(true);
    expect((await s3.keys("metrics-down/manifests/")).length).toBe(1);
  });

  it("fails restore-check when a verify query does not hold, and drops the scratch database", async () => {
    await backup("verify-fails");
    const check = await restoreCheck("verify-fails", ["--verify", JSON.stringify([{ name: "no users", sql: "SELECT count(*) = 0 FROM users" }])]);
    expect(check.code).toBe(1);
    expect(check.error).toMatch(/^restore check of verify-fails\/manifests\/.+ failed: verify check `no users` returned \[\[false\]\], expected one row with true$/);
    expect(await scratchDatabases()).toEqual([]);
  });
});

describe("--no-row-counts", () => {
  it("skips the counts: the manifest has none, restore-check and restore say they skipped the comparison and still prove the dump", async () => {
    const result = await backup("no-counts", ["--no-row-counts"]);
    expect(result.error).toBeUndefined();
    expect(result.code).toBe(0);
    expect(result.lines.find((l) => l.event === "backup.snapshot")).toBeUndefined();
    expect(result.lines.find((l) => l.event === "backup.row-counts-skipped")).toMatchObject({ reason: expect.stringMatching(/^--no-row-counts: /) });
    const manifestKey = (await s3.keys("no-counts/manifests/"))[0];
    const manifest = await manifestOf(manifestKey);
    expect(manifest.tables).toBeNull();
    expect(result.lines.find((l) => l.event === "backup.succeeded")).toMatchObject({ manifest: manifestKey, bytes: manifest.bytes, tables: null });

    const check = await restoreCheck("no-counts", ["--verify", JSON.stringify([{ name: "users restored", sql: "SELECT count(*) = 500 FROM users" }])]);
    expect(check.error).toBeUndefined();
    expect(check.code).toBe(0);
    expect(check.lines.find((l) => l.event === "restore-check.row-counts-skipped")).toMatchObject({
      reason: "the backup was made with --no-row-counts: its manifest has no row counts to compare",
    });
    expect(check.lines.find((l) => l.event === "restore-check.verified")).toMatchObject({ tables: 3, rows: null, checks: 1 });
    expect(await scratchDatabases()).toEqual([]);

    // The verify queries still run and still fail the check.
    const failing = await restoreCheck("no-counts", ["--verify", JSON.stringify([{ name: "no users", sql: "SELECT count(*) = 0 FROM users" }])]);
    expect(failing.code).toBe(1);
    expect(failing.error).toMatch(/verify check `no users` returned \[\[false\]\], expected one row with true$/);

    const target = await pg.createDatabase("restored_no_counts");
    const restored = await runCli(["restore", "--target-database-url", target], jobEnv(pg, s3, "no-counts"));
    expect(restored.error).toBeUndefined();
    expect(restored.lines.find((l) => l.event === "restore.row-counts-skipped")).toBeDefined();
    expect(await contentsOf(pg, "restored_no_counts")).toEqual(await contentsOf(pg, "app"));
  });

  it("is also read from BACKUP_NO_ROW_COUNTS, and the counts stay on by default", async () => {
    const fromEnv = await backup("no-counts-env", [], { BACKUP_NO_ROW_COUNTS: "true" });
    expect(fromEnv.code).toBe(0);
    expect((await manifestOf((await s3.keys("no-counts-env/manifests/"))[0])).tables).toBeNull();
    const byDefault = await backup("counts-default", [], { BACKUP_NO_ROW_COUNTS: "" });
    expect(byDefault.code).toBe(0);
    expect((await manifestOf((await s3.keys("counts-default/manifests/"))[0])).tables).toEqual({ "billing.invoices": 1500, "public.empty_table": 0, "public.users": 500 });
    const bad = await backup("no-counts-bad", ["--no-row-counts=maybe"]);
    expect(bad.code).toBe(2);
    expect(bad.error).toBe("backup: `--no-row-counts` is `maybe`: a switch takes no value (or `=true`/`=false`)");
  });
});

describe("damaged dumps are caught", () => {
  async function damage(prefix: string, change: (dump: Buffer) => Buffer) {
    await backup(prefix);
    const dumpKey = (await s3.keys(`${prefix}/dumps/`))[0];
    const bytes = Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: dumpKey }))).Body!.transformToByteArray());
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: dumpKey, Body: change(bytes) }));
    return { dumpKey, size: bytes.length };
  }

  it("a truncated dump fails restore-check with its size", async () => {
    const { dumpKey, size } = await damage("truncated", (b) => b.subarray(0, b.length - 1000));
    const check = await restoreCheck("truncated");
    expect(check.code).toBe(1);
    expect(check.error).toContain(`dump ${dumpKey} is ${size - 1000} bytes but its manifest says ${size} (truncated or replaced)`);
    expect(await scratchDatabases()).toEqual([]);
  });

  it("a dump with one flipped byte fails restore-check with its checksum", async () => {
    const { dumpKey } = await damage("flipped", (b) => {
      const copy = Buffer.from(b);
      copy[Math.floor(copy.length / 2)] ^= 0x01;
      return copy;
    });
    const check = await restoreCheck("flipped");
    expect(check.code).toBe(1);
    expect(check.error).toMatch(new RegExp(`dump ${dumpKey} has SHA-256 [a-f0-9]{64} but its manifest says [a-f0-9]{64} \\(corrupted or replaced\\)`));
    expect(check.error).not.toContain("bytes but its manifest");
    expect(await scratchDatabases()).toEqual([]);
  });

  it("restore refuses a damaged dump before touching the target", async () => {
    await damage("restore-damaged", (b) => b.subarray(0, b.length - 1));
    const target = await pg.createDatabase("restore_damaged_target");
    const result = await runCli(["restore", "--target-database-url", target], jobEnv(pg, s3, "restore-damaged"));
    expect(result.code).toBe(1);
    expect(result.error).toMatch(/^not restoring, the target is untouched: dump .+ is \d+ bytes but its manifest says \d+/);
    expect(await contentsOf(pg, "restore_damaged_target")).toEqual({});
  });
});

describe("backup refuses or fails cleanly", () => {
  it("database unreachable: one clear line, non-zero, nothing uploaded", async () => {
    const url = `postgres://app:s3cret-pw@127.0.0.1:1/app`;
    const result = await runCli(["backup", "--database-url", url], jobEnv(pg, s3, "unreachable"));
    expect(result.code).toBe(1);
    expect(result.lines.filter((l) => l.level === "error")).toHaveLength(1);
    expect(result.error).toMatch(/^cannot connect to the database to back up at 127\.0\.0\.1:1\/app: .*ECONNREFUSED/);
    expect(result.stdout + result.stderr).not.toContain("s3cret-pw");
    expect(await s3.keys("unreachable/")).toEqual([]);
    expect(s3.pendingUploads("unreachable/")).toEqual([]);
  });

  it("pg_dump older than the server: refused, nothing uploaded", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "old-pg-dump-"));
    const fake = path.join(dir, "pg_dump");
    const older = pg.binaries.major - 1;
    // Reports an older version; would otherwise run the real pg_dump, so only the check refuses.
    fs.writeFileSync(fake, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) ${older}.9"; exit 0; fi\nexec "${pg.binaries.binDir}/pg_dump" "$@"\n`, { mode: 0o755 });
    for (const how of [["--pg-dump", fake], []]) {
      const env: Record<string, string> = how.length === 0 ? { PATH: `${dir}${path.delimiter}${pg.binaries.binDir}${path.delimiter}${process.env.PATH}` } : {};
      const result = await backup("old-pg-dump", how, env);
      expect(result.code).toBe(1);
      expect(result.error).toMatch(
        new RegExp(`^refusing to back up: .*pg_dump is \`pg_dump \\(PostgreSQL\\) ${older}\\.9\` \\(major ${older}\\) but the server is PostgreSQL ${pg.binaries.major}\\..+ \\(major ${pg.binaries.major}\\); a pg_dump older than the server cannot dump it: use a jobs image with PostgreSQL ${pg.binaries.major} client tools or newer$`),
      );
    }
    expect(await s3.keys("old-pg-dump/")).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("bad flags are refused before anything is touched", async () => {
    const noBucket = await runCli(["backup", "--database-url", sourceUrl], { ...S3RVER_CREDENTIALS, BACKUP_PREFIX: "x" });
    expect(noBucket.code).toBe(2);
    expect(noBucket.error).toBe("backup: `--bucket` is not set: pass `--bucket acme-web-backups` or set BACKUP_BUCKET");
    const badPart = await backup("flags", ["--part-size-mb", "2"]);
    expect(badPart.code).toBe(2);
    expect(badPart.error).toBe("backup: `--part-size-mb` is `2`: must be a whole number from 5 to 512");
    const unknown = await backup("flags", ["--bukket", "x"]);
    expect(unknown.error).toMatch(/^backup: unknown flag `--bukket`; known flags: --bucket, /);
    expect(await s3.keys("flags/")).toEqual([]);
  });
});

describe("finding the latest backup", () => {
  it("pages past 1000 manifests to find the newest, and restore-check uses it", async () => {
    const prefix = "many";
    const result = await backup(prefix, ["--name", "newest"]);
    expect(result.code).toBe(0);
    const [realKey] = await s3.keys(`${prefix}/manifests/`);
    const real = await manifestOf(realKey);
    // 1001 older manifests pointing at a dump that does not exist: picking any of them fails.
    const older = Array.from({ length: 1001 }, (_, i) => {
      const stamp = new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString().replace(/[-:]/g, "");
      return { key: `${prefix}/manifests/${stamp}-scheduled.json`, body: JSON.stringify({ ...real, key: `${prefix}/dumps/missing-${i}.dump` }) };
    });
    for (let i = 0; i < older.length; i += 250) {
      await Promise.all(older.slice(i, i + 250).map((o) => s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: o.key, Body: o.body }))));
    }
    const client = s3Client(s3SettingsFrom("test", { bucket: s3.bucket, prefix, endpoint: s3.endpoint }));
    Object.assign(process.env, S3RVER_CREDENTIALS);
    const found = await findLatestManifestKey(client, s3SettingsFrom("test", { bucket: s3.bucket, prefix, endpoint: s3.endpoint }));
    client.destroy();
    expect(found).toEqual({ key: realKey, pages: 2, manifests: 1002 });

    const check = await restoreCheck(prefix);
    expect(check.error).toBeUndefined();
    expect(check.lines.find((l) => l.event === "restore-check.started")).toMatchObject({ manifest: realKey });
  });
});

describe("restore", () => {
  it("restores the chosen backup into an empty database with identical contents", async () => {
    await backup("restore-ok");
    const manifestKey = (await s3.keys("restore-ok/manifests/"))[0];
    const target = await pg.createDatabase("restored");
    const result = await runCli(["restore", "--target-database-url", target, "--manifest", path.basename(manifestKey)], jobEnv(pg, s3, "restore-ok"));
    expect(result.error).toBeUndefined();
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(await contentsOf(pg, "restored")).toEqual(await contentsOf(pg, "app"));
  });

  it("refuses a non-empty target unless told otherwise, leaving it as it was", async () => {
    await backup("restore-non-empty");
    const target = await pg.createDatabase("busy");
    await pg.query("CREATE TABLE users (id int); INSERT INTO users VALUES (42); CREATE TABLE keep_me (x int)", "busy");
    const before = await contentsOf(pg, "busy");

    const refused = await runCli(["restore", "--target-database-url", target], jobEnv(pg, s3, "restore-non-empty"));
    expect(refused.code).toBe(3);
    expect(refused.error).toBe(
      `refusing to restore into 127.0.0.1:${pg.port}/busy: it is not empty (2 relations outside the system schemas); restore into a new database (\`createdb\`), or pass \`--allow-non-empty\` to replace the objects the dump contains`,
    );
    expect(await contentsOf(pg, "busy")).toEqual(before);

    const forced = await runCli(["restore", "--target-database-url", target, "--allow-non-empty"], jobEnv(pg, s3, "restore-non-empty"));
    expect(forced.error).toBeUndefined();
    const after = await contentsOf(pg, "busy");
    const source = await contentsOf(pg, "app");
    expect(after).toEqual({ ...source, "public.keep_me": before["public.keep_me"] });
  });

  /** A real backup, then its manifest rewritten by `change`; returns the manifest's key. */
  async function withManifest(prefix: string, change: (manifest: Manifest) => Manifest): Promise<string> {
    expect((await backup(prefix)).code).toBe(0);
    const key = (await s3.keys(`${prefix}/manifests/`))[0];
    const manifest = change(await manifestOf(key));
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: JSON.stringify(manifest) }));
    return key;
  }

  it("refuses before touching the target a dump that holds no data for a table its manifest counts rows in", async () => {
    // A dump made without the users' rows, uploaded with a manifest that matches its bytes.
    const dump = execFileSync(path.join(pg.binaries.binDir, "pg_dump"), ["--format=custom", "--exclude-table-data=users", `--dbname=${sourceUrl}`]);
    const dumpKey = "no-data/dumps/20250101T000000.000Z-scheduled.dump";
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: dumpKey, Body: dump }));
    await withManifest("no-data", (m) => ({ ...m, compression: undefined, key: dumpKey, bytes: dump.length, sha256: createHash("sha256").update(dump).digest("hex") }));
    const target = await pg.createDatabase("no_data_target");
    const result = await runCli(["restore", "--target-database-url", target], jobEnv(pg, s3, "no-data"));
    expect(result.code).toBe(1);
    expect(result.error).toBe("not restoring, the target is untouched: the manifest counts 500 rows in public.users but the dump holds no data for it");
    expect(await contentsOf(pg, "no_data_target")).toEqual({});
  });

  it("refuses before touching the target a dump pg_restore cannot read, though it matches its manifest", async () => {
    const notADump = Buffer.from("-- a plain SQL script, not a pg_dump archive\nSELECT 1;\n");
    const dumpKey = "not-archive/dumps/20250101T000000.000Z-scheduled.dump";
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: dumpKey, Body: notADump }));
    await withManifest("not-archive", (m) => ({ ...m, compression: undefined, key: dumpKey, bytes: notADump.length, sha256: createHash("sha256").update(notADump).digest("hex") }));
    const target = await pg.createDatabase("not_archive_target");
    const result = await runCli(["restore", "--target-database-url", target], jobEnv(pg, s3, "not-archive"));
    expect(result.code).toBe(1);
    expect(result.error).toMatch(/^not restoring, the target is untouched: pg_restore cannot read the dump: pg_restore exit 1: pg_restore: error: input file does not appear to be a valid archive/);
    expect(await contentsOf(pg, "not_archive_target")).toEqual({});
  });

  it("row counts that differ after the restore committed: says what stays in the target and how to remove it, and that works", async () => {
    const key = await withManifest("count-mismatch", (m) => ({ ...m, tables: { ...m.tables!, "public.users": 501 } }));
    const target = await pg.createDatabase("count_mismatch_target");
    const result = await runCli(["restore", "--target-database-url", target], jobEnv(pg, s3, "count-mismatch"));
    expect(result.code).toBe(1);
    expect(result.lines.filter((l) => l.level === "error")).toHaveLength(1);
    expect(result.error).toBe(
      `restore of ${key} committed but row counts differ: table public.users has 500 rows after restore but 501 in the manifest. ` +
        `The restored objects stay in 127.0.0.1:${pg.port}/count_mismatch_target (the dump's 3 tables; it held no relations before, so everything in it came from this restore): ` +
        `to remove them, drop and recreate that database from another database on the server (\`DROP DATABASE "count_mismatch_target"; CREATE DATABASE "count_mismatch_target";\`), or keep it to investigate`,
    );
    // What it says stays is there...
    expect(await contentsOf(pg, "count_mismatch_target")).toEqual(await contentsOf(pg, "app"));
    // ...and what it says to run removes it.
    await pg.query('DROP DATABASE "count_mismatch_target"');
    await pg.query('CREATE DATABASE "count_mismatch_target"');
    expect(await contentsOf(pg, "count_mismatch_target")).toEqual({});

    // Into a non-empty target (--allow-non-empty) there is nothing to drop: it says what was replaced.
    const busy = await pg.createDatabase("count_mismatch_busy");
    await pg.query("CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (7)", "count_mismatch_busy");
    const forced = await runCli(["restore", "--target-database-url", busy, "--allow-non-empty"], jobEnv(pg, s3, "count-mismatch"));
    expect(forced.code).toBe(1);
    expect(forced.error).toBe(
      `restore of ${key} committed but row counts differ: table public.users has 500 rows after restore but 501 in the manifest. ` +
        `The dump's 3 tables and other objects now stand in 127.0.0.1:${pg.port}/count_mismatch_busy in place of those of the same names, whose previous contents this restore did not keep; ` +
        "the target's other objects are unchanged. To go back, restore the target from a backup taken before this restore",
    );
    expect(await contentsOf(pg, "count_mismatch_busy")).toEqual({ ...(await contentsOf(pg, "app")), "public.keep_me": expect.stringMatching(/^1:/) });
  });
});

describe("compression formats", () => {
  it("--compression gzip makes the older format (pg_dump's own gzip, no `compression` in the manifest), and restore-check and restore still read it", async () => {
    const result = await backup("gzip-format", ["--compression", "gzip"]);
    expect(result.error).toBeUndefined();
    const manifestKey = (await s3.keys("gzip-format/manifests/"))[0];
    const raw = JSON.parse((await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: manifestKey }))).Body!.transformToString()));
    expect("compression" in raw).toBe(false);
    const dump = Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: raw.key }))).Body!.transformToByteArray());
    expect(dump.subarray(0, 5).toString()).toBe("PGDMP");

    const check = await restoreCheck("gzip-format");
    expect(check.error).toBeUndefined();
    expect(check.lines.find((l) => l.event === "restore-check.verified")).toMatchObject({ tables: 3, rows: 2000 });
    const target = await pg.createDatabase("restored_gzip");
    const restored = await runCli(["restore", "--target-database-url", target], jobEnv(pg, s3, "gzip-format"));
    expect(restored.error).toBeUndefined();
    expect(await contentsOf(pg, "restored_gzip")).toEqual(await contentsOf(pg, "app"));
  });

  it("a zstd frame that does not check out fails restore-check and restore with zstd's own line, though its manifest matches", async () => {
    expect((await backup("bad-frame")).code).toBe(0);
    const manifestKey = (await s3.keys("bad-frame/manifests/"))[0];
    const manifest = await manifestOf(manifestKey);
    const dump = Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: manifest.key }))).Body!.transformToByteArray());
    const damaged = Buffer.from(dump);
    damaged[Math.floor(damaged.length / 2)] ^= 0xff;
    // Size and SHA-256 match the damaged bytes: only zstd's checks can notice.
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: manifest.key, Body: damaged }));
    const matching = { ...manifest, sha256: createHash("sha256").update(damaged).digest("hex") };
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: manifestKey, Body: JSON.stringify(matching) }));

    const check = await restoreCheck("bad-frame");
    expect(check.code).toBe(1);
    expect(check.lines.filter((l) => l.level === "error")).toHaveLength(1);
    expect(check.error).toMatch(/^restore check of .+ failed: pg_restore into the scratch database failed: zstd -d failed \(exit 1\): .*(corrupt|checksum)/i);
    expect(await scratchDatabases()).toEqual([]);

    const target = await pg.createDatabase("bad_frame_target");
    const restored = await runCli(["restore", "--target-database-url", target], jobEnv(pg, s3, "bad-frame"));
    expect(restored.code).toBe(1);
    // Here the damage is in the frame's only block, which the first read already decompresses.
    expect(restored.error).toMatch(/^not restoring, the target is untouched: pg_restore cannot read the dump: zstd -d failed \(exit 1\): .*(corrupt|checksum)/i);
    expect(await contentsOf(pg, "bad_frame_target")).toEqual({});
  });

  it("pg_restore failing mid-stream is reported as its own failure, not as zstd's broken pipe", async () => {
    // Several MB uncompressed, far more than a pipe holds: zstd is still writing when pg_restore exits.
    const bigger = await seedSource(pg, "pg_restore_fails_source", 20_000);
    const made = await runCli(["backup", "--database-url", bigger], jobEnv(pg, s3, "pg-restore-fails"));
    expect(made.code).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "failing-pg-restore-"));
    const fake = path.join(dir, "pg_restore");
    // Reads the first bytes, then fails: zstd -d is left writing into a closed pipe.
    fs.writeFileSync(
      fake,
      `#!/bin/sh\nif [ "$1" = "--version" ]; then exec "${pg.binaries.binDir}/pg_restore" --version; fi\nhead -c 100 > /dev/null\necho "pg_restore: error: simulated failure" >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    const check = await restoreCheck("pg-restore-fails", ["--pg-restore", fake]);
    expect(check.code).toBe(1);
    expect(check.error).toMatch(/^restore check of \S+ failed: pg_restore into the scratch database failed: pg_restore exit 1: pg_restore: error: simulated failure$/);
    expect(await scratchDatabases()).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("zstd failing mid-stream fails the backup with zstd's line: the upload is aborted and no manifest written", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "failing-zstd-"));
    const fake = path.join(dir, "zstd");
    const real = execFileSync("sh", ["-c", "command -v zstd"]).toString().trim();
    // Compresses the first 64 kB, then fails as a full disk or a crash would.
    fs.writeFileSync(fake, `#!/bin/sh\nif [ "$1" = "--version" ]; then exec "${real}" --version; fi\nhead -c 65536 | "${real}" "$@"\necho "zstd: simulated failure" >&2\nexit 1\n`, { mode: 0o755 });
    const result = await backup("zstd-fails", ["--zstd", fake]);
    expect(result.code).toBe(1);
    expect(result.lines.filter((l) => l.level === "error")).toHaveLength(1);
    expect(result.error).toBe("zstd failed (exit 1): zstd: simulated failure; the multipart upload was aborted and no manifest was written");
    expect(await s3.keys("zstd-fails/")).toEqual([]);
    expect(s3.pendingUploads("zstd-fails/")).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a missing zstd is one clear line before anything is touched, for backup and for restore-check", async () => {
    const missing = "/nonexistent/zstd";
    const result = await backup("no-zstd", ["--zstd", missing]);
    expect(result.code).toBe(1);
    expect(result.error).toBe(`cannot run \`${missing} --version\`: install zstd (Debian package \`zstd\`) or pass its path with \`--zstd\``);
    expect(await s3.keys("no-zstd/")).toEqual([]);
    expect(result.lines.some((l) => l.event === "backup.snapshot")).toBe(false);

    expect((await backup("no-zstd-check")).code).toBe(0);
    const check = await restoreCheck("no-zstd-check", ["--zstd", missing]);
    expect(check.code).toBe(1);
    expect(check.error).toBe(`cannot run \`${missing} --version\`: install zstd (Debian package \`zstd\`) or pass its path with \`--zstd\``);
    expect(check.lines.some((l) => l.event === "restore-check.scratch-created")).toBe(false);
  });

  it("bad compression flags are refused with the flag, the value and the fix", async () => {
    const format = await backup("bad-compression", ["--compression", "lz4"]);
    expect(format.code).toBe(2);
    expect(format.error).toBe("backup: `--compression` is `lz4`: use `zstd` (the default) or `gzip` (pg_dump's own, slower)");
    const level = await backup("bad-compression", ["--compress", "0"]);
    expect(level.code).toBe(2);
    expect(level.error).toBe("backup: `--compress` is `0`: must be a whole number from 1 to 19");
    const gzipLevel = await backup("bad-compression", ["--compression", "gzip", "--compress", "10"]);
    expect(gzipLevel.error).toBe("backup: `--compress` is `10`: must be a whole number from 0 to 9");
    expect(await s3.keys("bad-compression/")).toEqual([]);
  });
});
