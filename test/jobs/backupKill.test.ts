/**
 * The backup killed at many points (SIGTERM and SIGKILL) leaves no manifest and no completed object:
 * the dump's multipart upload only completes after pg_dump succeeded, and the manifest comes last.
 * SIGTERM also aborts the multipart upload; after SIGKILL the parts stay until the bucket's
 * lifecycle rule aborts incomplete uploads (1 day), but nothing under a final key. Either way
 * pg_dump and zstd die with the job.
 */
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresServer, startPostgres } from "../helpers/postgres";
import { S3Server, startS3 } from "../helpers/s3";
import { jobEnv, requireZstd, startCli } from "./backupFixture";

let pg: PostgresServer;
let s3: S3Server;
let sourceUrl: string;

const MB = 1024 * 1024;

beforeAll(async () => {
  requireZstd();
  [pg, s3] = await Promise.all([startPostgres(), startS3()]);
  sourceUrl = await pg.createDatabase("big");
  // Random hex, which zstd compresses only about 2:1: about 33 MB of dump, 7 parts of 5 MB, 30
  // progress lines of 1 MB.
  await pg.query(
    `CREATE TABLE events AS SELECT i AS id, ${Array.from({ length: 8 }, () => "md5(random()::text)").join(" || ")} AS body FROM generate_series(1, 240000) i`,
    "big",
  );
});

afterAll(async () => {
  await Promise.all([pg?.stop(), s3?.stop()]);
});

type KillPoint = { name: string; match: (line: any) => boolean };

const afterEvent = (event: string): KillPoint => ({ name: `after ${event}`, match: (l) => l.event === event });
const afterMegabytes = (mb: number): KillPoint => ({
  name: `after ${mb} MB streamed`,
  match: (l) => l.event === "backup.progress" && l.bytes >= mb * MB,
});

const POINTS: KillPoint[] = [
  afterEvent("backup.started"),
  afterEvent("backup.versions"),
  afterEvent("backup.snapshot"),
  afterMegabytes(1),
  afterMegabytes(4),
  afterMegabytes(6),
  afterMegabytes(9),
  afterMegabytes(12),
  afterMegabytes(16),
  afterMegabytes(20),
  afterMegabytes(24),
];

async function connectionsTo(database: string): Promise<number> {
  const [row] = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '${database}'`);
  return Number(row.n);
}

/** The pg_dump and zstd processes a job started: they inherit its BACKUP_PREFIX. */
function childrenOf(prefix: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const environ = fs.readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
      const comm = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (environ.includes(`BACKUP_PREFIX=${prefix}`) && (comm === "pg_dump" || comm === "zstd")) found.push(`${comm} ${pid}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

async function killAt(signal: "SIGTERM" | "SIGKILL", point: KillPoint, index: number) {
  const prefix = `kill-${signal.toLowerCase()}-${index}`;
  const run = startCli(
    ["backup", "--database-url", sourceUrl, "--part-size-mb", "5", "--queue-size", "1", "--progress-bytes", String(MB)],
    jobEnv(pg, s3, prefix),
  );
  const line = await run.waitForLine(point.match);
  expect(line, `${signal} ${point.name}: the backup ended before reaching the point`).toBeDefined();
  run.child.kill(signal);
  const result = await run.done;
  return { prefix, result };
}

describe.each(["SIGTERM", "SIGKILL"] as const)("backup killed with %s", (signal) => {
  it(`at ${POINTS.length} points leaves no manifest and no completed object`, async () => {
    // A few at a time: each run is its own process and prefix.
    const outcomes: Awaited<ReturnType<typeof killAt>>[] = [];
    for (let i = 0; i < POINTS.length; i += 4) {
      outcomes.push(...(await Promise.all(POINTS.slice(i, i + 4).map((point, j) => killAt(signal, point, i + j)))));
    }
    for (const [i, { prefix, result }] of outcomes.entries()) {
      const where = `${signal} ${POINTS[i].name}`;
      expect(await s3.keys(`${prefix}/`), where).toEqual([]);
      // A pipe's reader or writer notices a dead end at once; the poll only covers scheduling.
      for (let attempt = 0; childrenOf(prefix).length > 0 && attempt < 100; attempt++) await new Promise((r) => setTimeout(r, 50));
      expect(childrenOf(prefix), where).toEqual([]);
      if (signal === "SIGTERM") {
        expect(result.code, where).toBe(143);
        const errors = result.lines.filter((l) => l.level === "error");
        expect(errors, where).toHaveLength(1);
        expect(errors[0].error, where).toMatch(/^interrupted by SIGTERM (before|after \d+ bytes; the multipart upload was aborted and no manifest was written)/);
        expect(s3.pendingUploads(`${prefix}/`), where).toEqual([]);
      } else {
        expect(result.signal, where).toBe("SIGKILL");
        expect(result.lines.some((l) => l.event === "backup.succeeded"), where).toBe(false);
      }
    }
    // The streamed kill points really were mid-upload: parts had been sent for the later ones.
    if (signal === "SIGKILL") {
      const pending = outcomes.filter(({ prefix }) => s3.pendingUploads(`${prefix}/`).length > 0).length;
      expect(pending).toBeGreaterThanOrEqual(5);
    }
    // pg_dump and the snapshot connection are gone too (the server notices closed sockets).
    for (let attempt = 0; (await connectionsTo("big")) > 0 && attempt < 100; attempt++) await new Promise((r) => setTimeout(r, 50));
    expect(await connectionsTo("big")).toBe(0);
  });
});

it("the same backup left alone completes, so the kill points were before the end", async () => {
  const run = startCli(
    ["backup", "--database-url", sourceUrl, "--part-size-mb", "5", "--queue-size", "1", "--progress-bytes", String(MB)],
    jobEnv(pg, s3, "kill-none"),
  );
  const result = await run.done;
  expect(result.code, `${result.error ?? ""}\n${result.stderr}`).toBe(0);
  // The whole dump is well past the last kill point (24 MB streamed).
  const succeeded = result.lines.find((l) => l.event === "backup.succeeded");
  expect(succeeded.bytes).toBeGreaterThan(30 * MB);
  expect(result.lines.filter((l) => l.event === "backup.progress").length).toBeGreaterThanOrEqual(24);
  expect((await s3.keys("kill-none/")).length).toBe(2);
  expect(s3.pendingUploads("kill-none/")).toEqual([]);
});
