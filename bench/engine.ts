/**
 * `npm run bench:engine`: what an app's size costs under the real engine. For an app of 1, 2, 5 and
 * 10 services (BENCH_SERVICES), on a Kubernetes-only stack against the cluster in KUBECONFIG:
 *   - `pulumi preview` of a stack with no change,
 *   - `pulumi up` of a release (`release stage` of every service's image on the idle color, then up),
 *   - `release rollback --apply` with its last live Service's flip and its return,
 * each BENCH_RUNS times (3), medians printed as a table, with the ratio to the 1-service app
 * measured in the same run. Needs `pulumi` and `kubectl` on PATH and a cluster (see README, End-to-end tests).
 */
import { execFileSync } from "node:child_process";
import { E2eStack, median, releaseCli } from "../e2e/harness";
import { pulumi } from "./pulumiRun";

const SIZES = (process.env.BENCH_SERVICES ?? "1,2,5,10").split(",").map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Row {
  readonly services: number;
  readonly preview: number;
  readonly release: number;
  readonly flip: number;
  readonly rollback: number;
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `s${i + 1}`);
const images = (n: number, version: string) => Object.fromEntries(names(n).map((s) => [s, `ghcr.io/acme/${s}:${version}`]));

async function measure(n: number): Promise<Row> {
  const name = `bench-engine-${n}-${process.pid}`;
  const stack = await E2eStack.create(name, {
    namespace: name,
    config: {
      app: "bench",
      services: Object.fromEntries(names(n).map((s) => [s, {}])),
      colors: { blue: { images: images(n, "1.0.0"), replicas: 1 }, green: { images: images(n, "1.0.0"), replicas: 1 } },
      jobsImage: "ghcr.io/acme/bench-jobs:1.0.0",
      migrations: { mode: "sql", directory: "migrations" },
      secretEnv: { DATABASE_URL: "databaseUrl" },
    },
    secrets: { databaseUrl: "postgres://bench:bench@db.invalid:5432/bench" },
  });
  try {
    await pulumi(["up", "--stack", name, "--yes", "--skip-preview"]);
    const previews: number[] = [];
    const releases: number[] = [];
    const flips: number[] = [];
    const rollbacks: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      previews.push(await pulumi(["preview", "--stack", name, "--expect-no-changes"]));
      // The idle color is the one `stage` takes; promote nothing, release only.
      const live = (await stack.outputs()).activeColor as string;
      const idle = live === "blue" ? "green" : "blue";
      const staged = await releaseCli(["stage", idle, ...Object.entries(images(n, `1.${run + 1}.0`)).map(([s, image]) => `${s}=${image}`), "--stack", name]);
      if (staged.code !== 0) throw new Error(`release stage failed: ${staged.stderr}`);
      releases.push(await pulumi(["up", "--stack", name, "--yes"]));
      const rollback = await releaseCli(["rollback", "--apply", "--stack", name], { namespace: name, color: idle, services: names(n).map((s) => `bench-${s}`) });
      if (rollback.code !== 0 || rollback.conditionAfter === undefined) throw new Error(`rollback --apply failed: ${rollback.stderr}`);
      flips.push(rollback.conditionAfter);
      rollbacks.push(rollback.seconds);
    }
    const row = { services: n, preview: median(previews), release: median(releases), flip: median(flips), rollback: median(rollbacks) };
    process.stdout.write(
      `[bench] ${n} services: preview ${previews.map((v) => v.toFixed(2)).join(" ")}; release ${releases.map((v) => v.toFixed(2)).join(" ")}; ` +
        `rollback flip ${flips.map((v) => v.toFixed(2)).join(" ")}; return ${rollbacks.map((v) => v.toFixed(2)).join(" ")}\n`,
    );
    return row;
  } finally {
    await stack.destroy();
    // The next size starts on a settled cluster: the namespace's objects are gone, not still being deleted.
    execFileSync("kubectl", ["wait", "--for=delete", `namespace/${name}`, "--timeout=180s"], { stdio: "ignore", timeout: 200_000 });
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const n of SIZES) rows.push(await measure(n));
  const base = rows.find((r) => r.services === 1) ?? rows[0];
  const cell = (value: number, baseline: number) => `${value.toFixed(2)} s (${(value / baseline).toFixed(2)}x)`;
  process.stdout.write(`\nmedians of ${RUNS}, ratio to the ${base.services}-service app of the same run\n\n`);
  process.stdout.write("| services | preview (no change) | up of a release | rollback --apply: last flip | rollback --apply: return |\n|---|---|---|---|---|\n");
  for (const r of rows) {
    process.stdout.write(`| ${r.services} | ${cell(r.preview, base.preview)} | ${cell(r.release, base.release)} | ${cell(r.flip, base.flip)} | ${cell(r.rollback, base.rollback)} |\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`bench:engine: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
