/**
 * `npm run bench:backup`: how the streaming backup and the restore check compare with the baselines,
 * measured in the same run on the same database.
 *
 *   (a) backup      our `backup` job: pg_dump -Fc streamed into a multipart upload to s3rver
 *   (a) no counts   the same with `--no-row-counts`: what the exact per-table row counts cost
 *   (b) file+upload the runbook's way: pg_dump -Fc to a file, then upload the file
 *   (c) dump only   pg_dump -Fc > /dev/null: the limit
 *   restore-check   our job: download, pg_restore into a fresh scratch database, row counts, drop
 *   restore-check, no counts  the same on the `--no-row-counts` backup (no counts after restore)
 *   pg_restore      raw pg_restore of the same dump file into a fresh database
 *   start-up        `cli backup --help` / `cli restore-check --help`: node plus the modules a command
 *                   loads before it starts working (backup loads the AWS SDK only after pg_dump started)
 *
 * After the table, a breakdown of (a) and restore-check by phase, from the jobs' own log lines:
 * median seconds from process start to the first line, and between named lines.
 *
 * Sizes: BENCH_SCALES (pgbench scale factors, default "14,70": about 200 MB and 1 GB of tables).
 * Runs per measurement: BENCH_RUNS (default 3); the table shows medians. Peak RSS is the largest
 * VmHWM seen for the measured process (the node process for (a) and restore-check, pg_dump or the
 * uploader for the others), sampled every 50 ms.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startPostgres } from "../test/helpers/postgres";
// bench/ compiles to dist/bench/, two levels under the project root.
const ROOT = path.resolve(__dirname, "../..");
import { startS3 } from "../test/helpers/s3";

const CLI = path.join(ROOT, "dist/jobs/cli.js");
const UPLOADER = path.join(ROOT, "dist/bench/uploadFile.js");

interface Sample {
  readonly seconds: number;
  readonly peakRssMb: number;
  /** Seconds from the process start to each JSON log line's `time`, by event (jobs only). */
  readonly events: Readonly<Record<string, number>>;
}

function readHwmKb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs a command; wall time, the peak RSS of the process itself, and when its log lines came. */
function measure(command: string, args: string[], env: NodeJS.ProcessEnv, stdout?: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ["ignore", stdout ?? "pipe", "pipe"] });
    const events: Record<string, number> = {};
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      let nl: number;
      while ((nl = out.indexOf("\n")) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        try {
          const parsed = JSON.parse(line) as { event?: string; time?: string };
          if (parsed.event && parsed.time && !(parsed.event in events)) events[parsed.event] = (Date.parse(parsed.time) - startedAt) / 1000;
        } catch {
          // not a log line (usage text)
        }
      }
    });
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    let peakKb = 0;
    const timer = setInterval(() => (peakKb = Math.max(peakKb, readHwmKb(child.pid!))), 50);
    child.on("close", (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${command} ${args.slice(0, 2).join(" ")} exited ${code}: ${stderr}`));
      else resolve({ seconds, peakRssMb: peakKb / 1024, events });
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main(): Promise<void> {
  const scales = (process.env.BENCH_SCALES ?? "14,70").split(",").map(Number);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-backup-"));
  const [pg, s3] = await Promise.all([startPostgres(), startS3()]);
  const bin = (tool: string) => path.join(pg.binaries.binDir, tool);
  const env = { ...process.env, ...s3.env("bench"), PATH: `${pg.binaries.binDir}${path.delimiter}${process.env.PATH}` };
  const rows: string[][] = [];
  const breakdowns: string[] = [];
  const fmt = (n: number) => n.toFixed(2);
  try {
    const startup: Record<string, Sample[]> = { backup: [], "restore-check": [] };
    for (let run = 0; run < Math.max(runs, 5); run++) {
      for (const command of Object.keys(startup)) startup[command].push(await measure(process.execPath, [CLI, command, "--help"], env));
    }
    for (const [command, samples] of Object.entries(startup)) {
      rows.push(["-", `start-up: \`cli ${command} --help\``, fmt(median(samples.map((s) => s.seconds))), median(samples.map((s) => s.peakRssMb)).toFixed(0), "node + what loads before any work"]);
    }
    for (const scale of scales) {
      const database = `bench_s${scale}`;
      const url = await pg.createDatabase(database);
      await measure(bin("pgbench"), ["-i", "-q", "-s", String(scale), url], env);
      const [size] = await pg.query<{ mb: string }>(`SELECT round(pg_database_size('${database}') / 1e6) AS mb`);
      const dumpFile = path.join(work, `${database}.dump`);
      const results: Record<string, Sample[]> = { a: [], a0: [], b: [], c: [], check: [], check0: [], restore: [] };
      let dumpMb = 0;
      for (let run = 0; run < runs; run++) {
        const devNull = fs.openSync("/dev/null", "w");
        results.c.push(await measure(bin("pg_dump"), ["--format=custom", `--dbname=${url}`], env, devNull));
        fs.closeSync(devNull);

        const dumped = await measure(bin("pg_dump"), ["--format=custom", `--file=${dumpFile}`, `--dbname=${url}`], env);
        const uploaded = await measure(process.execPath, [UPLOADER, dumpFile, s3.bucket, `bench/file/${database}-${run}.dump`], env);
        results.b.push({ seconds: dumped.seconds + uploaded.seconds, peakRssMb: Math.max(dumped.peakRssMb, uploaded.peakRssMb), events: {} });
        dumpMb = fs.statSync(dumpFile).size / 1e6;

        results.a.push(await measure(process.execPath, [CLI, "backup", "--database-url", url, "--name", `${database}-${run}`], env));

        results.check.push(await measure(process.execPath, [CLI, "restore-check", "--scratch-database-url", pg.url("postgres")], env));

        results.a0.push(await measure(process.execPath, [CLI, "backup", "--database-url", url, "--name", `${database}-${run}-no-counts`, "--no-row-counts"], env));
        results.check0.push(await measure(process.execPath, [CLI, "restore-check", "--scratch-database-url", pg.url("postgres")], env));

        await pg.query(`CREATE DATABASE raw_restore`);
        results.restore.push(
          await measure(bin("pg_restore"), ["--exit-on-error", "--no-owner", "--no-privileges", `--dbname=${pg.url("raw_restore")}`, dumpFile], env),
        );
        await pg.query(`DROP DATABASE raw_restore`);
        await s3.clear("bench/");
        process.stderr.write(`scale ${scale}: run ${run + 1}/${runs} done\n`);
      }
      const t = (k: string) => median(results[k].map((s) => s.seconds));
      const m = (k: string) => median(results[k].map((s) => s.peakRssMb));
      const label = `s=${scale} (${size.mb} MB db, ${dumpMb.toFixed(0)} MB dump)`;
      rows.push([label, "(a) streaming backup", fmt(t("a")), m("a").toFixed(0), `${fmt(t("a") / t("c"))}x (c), ${fmt(t("a") / t("b"))}x (b)`]);
      rows.push([label, "(a) with --no-row-counts", fmt(t("a0")), m("a0").toFixed(0), `${fmt(t("a0") / t("c"))}x (c), ${fmt(t("a0") / t("b"))}x (b)`]);
      rows.push([label, "(b) dump to file + upload", fmt(t("b")), m("b").toFixed(0), `${fmt(t("b") / t("c"))}x (c)`]);
      rows.push([label, "(c) pg_dump -Fc > /dev/null", fmt(t("c")), m("c").toFixed(0), "1.00x (baseline)"]);
      rows.push([label, "restore-check", fmt(t("check")), m("check").toFixed(0), `${fmt(t("check") / t("restore"))}x raw pg_restore`]);
      rows.push([label, "restore-check, --no-row-counts backup", fmt(t("check0")), m("check0").toFixed(0), `${fmt(t("check0") / t("restore"))}x raw pg_restore`]);
      rows.push([label, "raw pg_restore", fmt(t("restore")), m("restore").toFixed(0), "1.00x (baseline)"]);
      // Phases from the jobs' log lines: [label, from event (or process start), to event].
      const phases = (key: string, steps: [string, string | undefined, string][]) =>
        steps.map(([name, from, to]) => `${name} ${fmt(median(results[key].map((s) => s.events[to] - (from ? s.events[from] : 0))))}`).join(", ");
      breakdowns.push(
        `s=${scale} (a): ${phases("a", [
          ["start-up", undefined, "backup.started"],
          ["connect+versions", "backup.started", "backup.versions"],
          ["dump+counts+upload", "backup.versions", "backup.uploaded"],
          ["manifest", "backup.uploaded", "backup.succeeded"],
        ])}; (a) --no-row-counts: ${phases("a0", [["dump+upload", "backup.versions", "backup.uploaded"]])}`,
      );
      breakdowns.push(
        `s=${scale} restore-check: ${phases("check", [
          ["start-up+manifest", undefined, "restore-check.started"],
          ["create scratch", "restore-check.started", "restore-check.scratch-created"],
          ["download+pg_restore", "restore-check.scratch-created", "restore-check.restored"],
          ["counts+verify", "restore-check.restored", "restore-check.verified"],
          ["drop scratch", "restore-check.verified", "restore-check.scratch-dropped"],
        ])}; without counts: ${phases("check0", [["counts+verify", "restore-check.restored", "restore-check.verified"]])}`,
      );
      await pg.query(`DROP DATABASE ${database}`);
      fs.rmSync(dumpFile, { force: true });
    }
  } finally {
    await Promise.all([pg.stop(), s3.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
  const header = ["size", "what", "median s", "peak RSS MB", "ratio"];
  const lines = [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`);
  process.stdout.write(
    `\nbackup benchmark: ${runs} runs each, medians, ${os.cpus().length} CPUs, node ${process.version}\n\n${lines.join("\n")}\n\nphases, median s:\n${breakdowns.join("\n")}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
