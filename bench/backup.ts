/**
 * `npm run bench:backup`: how the backup and the restore check compare with the baselines, measured
 * in the same run on the same database, for two kinds of data:
 *
 *   pgbench     `pgbench -i -s N`: compresses about 50:1, so any backup is bound by pg_dump's gzip
 *   realistic   bench/realisticData.ts: text, UUIDs, JSON, timestamps, wide rows, large objects;
 *               compresses about 3:1, like an application's database
 *
 * For each database:
 *   (a) backup        our `backup` job: pg_dump -Fc -Z0 | zstd -T0 -1, streamed into a multipart
 *                     upload to s3rver (the default)
 *   (a) no counts     the same with `--no-row-counts`: what the exact per-table row counts cost
 *   (a) zstd -3       the same with `--compress 3`: zstd's default level, slower and a little smaller
 *   (a) gzip          the same with `--compression gzip`: pg_dump's own gzip streamed (the format
 *                     before zstd)
 *   (b) file+upload   the runbook's way: pg_dump -Fc to a file, then upload the file
 *   (c) dump only     pg_dump -Fc > /dev/null: the limit pg_dump's own compression sets
 *   restore-check     our job: download, zstd -d, pg_restore into a fresh scratch database, row
 *                     counts, drop
 *   restore-check, no counts  the same on the `--no-row-counts` backup (no counts after restore)
 *   pg_restore        raw pg_restore of (b)'s dump file into a fresh database
 *   pg_restore -Z0    raw pg_restore of pg_dump's uncompressed custom format (the contents of (a)'s
 *                     object, with nothing to decompress) from a file
 *   start-up          `cli backup --help` / `cli restore-check --help`: node plus the modules a command
 *                     loads before it starts working (backup loads the AWS SDK only after pg_dump started)
 *
 * Columns: uploaded MB is the object's size (the dump file's for (b) and (c)); ratio is the size of
 * pg_dump's uncompressed custom format (`-Z0`, measured once per database) over it; MB/s is that
 * uncompressed size over the median time. Peak RSS: the measured process's own VmHWM (node for the
 * jobs, pg_dump or the uploader for the others) and, after the slash, the largest sum of VmRSS over
 * it and its children (pg_dump, zstd, pg_restore), both sampled every 50 ms.
 *
 * After the table, a breakdown of (a) and restore-check by phase, from the jobs' own log lines:
 * median seconds from process start to the first line, and between named lines.
 *
 * Sizes: BENCH_SCALES (pgbench scale factors, default "14,70": about 200 MB and 1 GB of tables) and
 * BENCH_REALISTIC_MB (default "200,1000"); either may be empty. Runs per measurement: BENCH_RUNS
 * (default 3); the table shows medians.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PostgresServer, startPostgres } from "../test/helpers/postgres";
import { startS3 } from "../test/helpers/s3";
import { realisticSql } from "./realisticData";
// bench/ compiles to dist/bench/, two levels under the project root.
const ROOT = path.resolve(__dirname, "../..");

const CLI = path.join(ROOT, "dist/jobs/cli.js");
const UPLOADER = path.join(ROOT, "dist/bench/uploadFile.js");

interface Sample {
  readonly seconds: number;
  readonly peakRssMb: number;
  /** Largest sum of VmRSS over the process and its descendants. */
  readonly treeRssMb: number;
  /** Seconds from the process start to each JSON log line's `time`, by event (jobs only). */
  readonly events: Readonly<Record<string, number>>;
  /** The first JSON log line of each event. */
  readonly lines: Readonly<Record<string, any>>;
}

function statusKb(pid: number | string, field: "VmHWM" | "VmRSS"): number {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function treeRssKb(pid: number | string): number {
  let children: string[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  } catch {
    // gone
  }
  return statusKb(pid, "VmRSS") + children.reduce((sum, child) => sum + treeRssKb(child), 0);
}

/** Runs a command; wall time, the peak RSS of the process (and its tree), and its log lines. */
function measure(command: string, args: string[], env: NodeJS.ProcessEnv, stdout?: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ["ignore", stdout ?? "pipe", "pipe"] });
    const events: Record<string, number> = {};
    const lines: Record<string, any> = {};
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      let nl: number;
      while ((nl = out.indexOf("\n")) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        try {
          const parsed = JSON.parse(line) as { event?: string; time?: string };
          if (parsed.event && parsed.time && !(parsed.event in events)) {
            events[parsed.event] = (Date.parse(parsed.time) - startedAt) / 1000;
            lines[parsed.event] = parsed;
          }
        } catch {
          // not a log line (usage text)
        }
      }
    });
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    let peakKb = 0;
    let treeKb = 0;
    const timer = setInterval(() => {
      peakKb = Math.max(peakKb, statusKb(child.pid!, "VmHWM"));
      treeKb = Math.max(treeKb, treeRssKb(child.pid!));
    }, 50);
    child.on("close", (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${command} ${args.slice(0, 2).join(" ")} exited ${code}: ${stderr}`));
      else resolve({ seconds, peakRssMb: peakKb / 1024, treeRssMb: Math.max(treeKb, peakKb) / 1024, events, lines });
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const list = (raw: string | undefined, fallback: string) => (raw ?? fallback).split(",").filter(Boolean).map(Number);

interface Dataset {
  /** Short name for the table, such as `pgbench s=70` or `realistic 1000`. */
  readonly label: string;
  readonly database: string;
  fill(pg: PostgresServer, url: string, env: NodeJS.ProcessEnv): Promise<unknown>;
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const datasets: Dataset[] = [
    ...list(process.env.BENCH_SCALES, "14,70").map((scale) => ({
      label: `pgbench s=${scale}`,
      database: `bench_s${scale}`,
      fill: (pg: PostgresServer, url: string, env: NodeJS.ProcessEnv) =>
        measure(path.join(pg.binaries.binDir, "pgbench"), ["-i", "-q", "-s", String(scale), url], env),
    })),
    ...list(process.env.BENCH_REALISTIC_MB, "200,1000").map((mb) => ({
      label: `realistic ${mb}`,
      database: `bench_r${mb}`,
      fill: async (pg: PostgresServer, _url: string) => {
        for (const sql of realisticSql(mb)) await pg.query(sql, `bench_r${mb}`);
      },
    })),
  ];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-backup-"));
  const [pg, s3] = await Promise.all([startPostgres(), startS3()]);
  const bin = (tool: string) => path.join(pg.binaries.binDir, tool);
  const env = { ...process.env, ...s3.env("bench"), PATH: `${pg.binaries.binDir}${path.delimiter}${process.env.PATH}` };
  const rows: string[][] = [];
  const breakdowns: string[] = [];
  const fmt = (n: number) => n.toFixed(2);
  const mb = (bytes: number) => (bytes / 1e6).toFixed(bytes < 10e6 ? 1 : 0);
  try {
    const startup: Record<string, Sample[]> = { backup: [], "restore-check": [] };
    for (let run = 0; run < Math.max(runs, 5); run++) {
      for (const command of Object.keys(startup)) startup[command].push(await measure(process.execPath, [CLI, command, "--help"], env));
    }
    for (const [command, samples] of Object.entries(startup)) {
      rows.push(["-", `start-up: \`cli ${command} --help\``, fmt(median(samples.map((s) => s.seconds))), median(samples.map((s) => s.peakRssMb)).toFixed(0), "-", "-", "-", "node + what loads before any work"]);
    }
    for (const dataset of datasets) {
      const { database } = dataset;
      const url = await pg.createDatabase(database);
      const filled = Date.now();
      await dataset.fill(pg, url, env);
      process.stderr.write(`${dataset.label}: filled in ${((Date.now() - filled) / 1000).toFixed(0)} s\n`);
      const [size] = await pg.query<{ mb: string }>(`SELECT round(pg_database_size('${database}') / 1e6) AS mb`);
      const dumpFile = path.join(work, `${database}.dump`);
      // The uncompressed custom format: what the compression ratios are against.
      const rawFile = path.join(work, `${database}-z0.dump`);
      await measure(bin("pg_dump"), ["--format=custom", "--compress=0", `--file=${rawFile}`, `--dbname=${url}`], env);
      const rawBytes = fs.statSync(rawFile).size;
      const results: Record<string, Sample[]> = { a: [], a0: [], a3: [], agz: [], b: [], c: [], check: [], check0: [], restore: [], restoreRaw: [] };
      let fileBytes = 0;
      const backup = async (key: string, name: string, extra: string[] = []) =>
        results[key].push(await measure(process.execPath, [CLI, "backup", "--database-url", url, "--name", name, ...extra], env));
      for (let run = 0; run < runs; run++) {
        const devNull = fs.openSync("/dev/null", "w");
        results.c.push(await measure(bin("pg_dump"), ["--format=custom", `--dbname=${url}`], env, devNull));
        fs.closeSync(devNull);

        const dumped = await measure(bin("pg_dump"), ["--format=custom", `--file=${dumpFile}`, `--dbname=${url}`], env);
        const uploaded = await measure(process.execPath, [UPLOADER, dumpFile, s3.bucket, `bench/file/${database}-${run}.dump`], env);
        results.b.push({
          seconds: dumped.seconds + uploaded.seconds,
          peakRssMb: Math.max(dumped.peakRssMb, uploaded.peakRssMb),
          treeRssMb: Math.max(dumped.treeRssMb, uploaded.treeRssMb),
          events: {},
          lines: {},
        });
        fileBytes = fs.statSync(dumpFile).size;

        await backup("a", `${database}-${run}`);
        results.check.push(await measure(process.execPath, [CLI, "restore-check", "--scratch-database-url", pg.url("postgres")], env));

        await backup("a0", `${database}-${run}-no-counts`, ["--no-row-counts"]);
        results.check0.push(await measure(process.execPath, [CLI, "restore-check", "--scratch-database-url", pg.url("postgres")], env));

        await backup("a3", `${database}-${run}-zstd3`, ["--compress", "3"]);
        await backup("agz", `${database}-${run}-gzip`, ["--compression", "gzip"]);

        await pg.query(`CREATE DATABASE raw_restore`);
        results.restore.push(
          await measure(bin("pg_restore"), ["--exit-on-error", "--no-owner", "--no-privileges", `--dbname=${pg.url("raw_restore")}`, dumpFile], env),
        );
        await pg.query(`DROP DATABASE raw_restore`);
        await pg.query(`CREATE DATABASE raw_restore`);
        results.restoreRaw.push(
          await measure(bin("pg_restore"), ["--exit-on-error", "--no-owner", "--no-privileges", `--dbname=${pg.url("raw_restore")}`, rawFile], env),
        );
        await pg.query(`DROP DATABASE raw_restore`);
        await s3.clear("bench/");
        process.stderr.write(`${dataset.label}: run ${run + 1}/${runs} done\n`);
      }
      const t = (k: string) => median(results[k].map((s) => s.seconds));
      const rss = (k: string) => `${median(results[k].map((s) => s.peakRssMb)).toFixed(0)} / ${median(results[k].map((s) => s.treeRssMb)).toFixed(0)}`;
      const uploadedBytes = (k: string) => median(results[k].map((s) => s.lines["backup.succeeded"].bytes));
      const label = `${dataset.label} (${size.mb} MB db, ${mb(rawBytes)} MB -Z0 dump)`;
      const speed = (k: string) => (rawBytes / 1e6 / t(k)).toFixed(0);
      const backupRow = (k: string, what: string) => {
        const bytes = uploadedBytes(k);
        rows.push([label, what, fmt(t(k)), rss(k), mb(bytes), `${(rawBytes / bytes).toFixed(1)}:1`, speed(k), `${fmt(t(k) / t("c"))}x (c), ${fmt(t(k) / t("b"))}x (b)`]);
      };
      backupRow("a", "(a) backup (zstd -1)");
      backupRow("a0", "(a) with --no-row-counts");
      backupRow("a3", "(a) with --compress 3 (zstd -3)");
      backupRow("agz", "(a) with --compression gzip (previous format)");
      const fileRatio = `${(rawBytes / fileBytes).toFixed(1)}:1`;
      rows.push([label, "(b) dump to file + upload", fmt(t("b")), rss("b"), mb(fileBytes), fileRatio, speed("b"), `${fmt(t("b") / t("c"))}x (c)`]);
      rows.push([label, "(c) pg_dump -Fc > /dev/null", fmt(t("c")), rss("c"), mb(fileBytes), fileRatio, speed("c"), "1.00x (baseline)"]);
      const vsRestore = (k: string) => `${fmt(t(k) / t("restore"))}x raw pg_restore, ${fmt(t(k) / t("restoreRaw"))}x of -Z0`;
      rows.push([label, "restore-check", fmt(t("check")), rss("check"), "-", "-", speed("check"), vsRestore("check")]);
      rows.push([label, "restore-check, --no-row-counts backup", fmt(t("check0")), rss("check0"), "-", "-", speed("check0"), vsRestore("check0")]);
      rows.push([label, "raw pg_restore of (b)'s file", fmt(t("restore")), rss("restore"), "-", "-", speed("restore"), "1.00x (baseline)"]);
      rows.push([label, "raw pg_restore of the -Z0 dump", fmt(t("restoreRaw")), rss("restoreRaw"), "-", "-", speed("restoreRaw"), "1.00x (baseline: same contents, nothing to decompress)"]);
      // Phases from the jobs' log lines: [label, from event (or process start), to event].
      const phases = (key: string, steps: [string, string | undefined, string][]) =>
        steps.map(([name, from, to]) => `${name} ${fmt(median(results[key].map((s) => s.events[to] - (from ? s.events[from] : 0))))}`).join(", ");
      breakdowns.push(
        `${dataset.label} (a): ${phases("a", [
          ["start-up", undefined, "backup.started"],
          ["connect+versions", "backup.started", "backup.versions"],
          ["dump+counts+upload", "backup.versions", "backup.uploaded"],
          ["manifest", "backup.uploaded", "backup.succeeded"],
        ])}; (a) --no-row-counts: ${phases("a0", [["dump+upload", "backup.versions", "backup.uploaded"]])}`,
      );
      breakdowns.push(
        `${dataset.label} restore-check: ${phases("check", [
          ["start-up+manifest", undefined, "restore-check.started"],
          ["create scratch", "restore-check.started", "restore-check.scratch-created"],
          ["download+zstd -d+pg_restore", "restore-check.scratch-created", "restore-check.restored"],
          ["counts+verify", "restore-check.restored", "restore-check.verified"],
          ["drop scratch", "restore-check.verified", "restore-check.scratch-dropped"],
        ])}; without counts: ${phases("check0", [["counts+verify", "restore-check.restored", "restore-check.verified"]])}`,
      );
      await pg.query(`DROP DATABASE ${database}`);
      fs.rmSync(dumpFile, { force: true });
      fs.rmSync(rawFile, { force: true });
    }
  } finally {
    await Promise.all([pg.stop(), s3.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
  const header = ["database", "what", "median s", "peak RSS MB (own / with children)", "uploaded MB", "ratio", "MB/s", "vs baselines"];
  const lines = [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`);
  process.stdout.write(
    `\nbackup benchmark: ${runs} runs each, medians, ${os.cpus().length} CPUs, node ${process.version}\n\n${lines.join("\n")}\n\nphases, median s:\n${breakdowns.join("\n")}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
