/**
 * `npm run bench:notify`: what the notices cost a stack under the real engine. Two stacks of the
 * same one-service app on the cluster in KUBECONFIG, one without a `notify` section (the baseline)
 * and one whose webhook is a receiver on loopback that answers at once; each BENCH_RUNS times (5),
 * taking turns so that both see the same load:
 *   - `pulumi preview --expect-no-changes` (the program with its notice resources),
 *   - `npx bluegreen rollback --apply`: from Enter to the live Service's flip, and to its end.
 * Medians printed as a table, with the ratio to the baseline of the same run. Needs `pulumi` and
 * `kubectl` on PATH and a cluster (see README, End-to-end tests).
 */
import { execFileSync } from "node:child_process";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as path from "node:path";
import { E2eStack, median, releaseCli } from "../e2e/harness";
import { pulumi } from "./pulumiRun";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Series {
  readonly previews: number[];
  readonly flips: number[];
  readonly ends: number[];
}

async function main(): Promise<void> {
  let notices = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      notices++;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const config = {
    colors: { blue: { image: "ghcr.io/acme/web:1.0.0", replicas: 1 }, green: { image: "ghcr.io/acme/web:1.1.0", replicas: 1 } },
    jobsImage: "ghcr.io/acme/web-jobs:1.0.0",
  };
  const made: E2eStack[] = [];
  try {
    const plain = await E2eStack.create(`bench-notify-off-${process.pid}`, { namespace: `bench-notify-off-${process.pid}`, config, secrets: {} });
    made.push(plain);
    const notifying = await E2eStack.create(`bench-notify-on-${process.pid}`, {
      namespace: `bench-notify-on-${process.pid}`,
      config: { ...config, notify: { webhookSecret: "releaseWebhook" } },
      secrets: { releaseWebhook: hook },
    });
    made.push(notifying);
    const series = new Map<E2eStack, Series>(made.map((s) => [s, { previews: [], flips: [], ends: [] }]));
    for (const stack of made) await pulumi(["up", "--stack", stack.name, "--yes", "--skip-preview"]);
    for (let run = 0; run < RUNS; run++) {
      for (const stack of made) {
        const s = series.get(stack)!;
        s.previews.push(await pulumi(["preview", "--stack", stack.name, "--expect-no-changes"]));
        const to = (await stack.outputs()).activeColor === "blue" ? "green" : "blue";
        const rollback = await releaseCli(["rollback", "--apply", "--stack", stack.name], { namespace: stack.namespace, color: to });
        if (rollback.code !== 0 || rollback.conditionAfter === undefined) throw new Error(`rollback --apply failed: ${rollback.stderr}`);
        s.flips.push(rollback.conditionAfter);
        s.ends.push(rollback.seconds);
      }
    }
    if (notices !== RUNS) throw new Error(`the receiver got ${notices} notices for ${RUNS} switches`);
    const rows = made.map((stack, i) => ({ label: i === 0 ? "no `notify`" : "`notify` (webhook)", ...series.get(stack)! }));
    for (const r of rows) {
      const list = (values: number[]) => values.map((v) => v.toFixed(2)).join(" ");
      process.stdout.write(`[bench] ${r.label}: preview ${list(r.previews)}; flip ${list(r.flips)}; end ${list(r.ends)}\n`);
    }
    const base = rows[0];
    const cell = (values: number[], baseline: number[]) => `${median(values).toFixed(2)} s (${(median(values) / median(baseline)).toFixed(2)}x)`;
    process.stdout.write(`\nmedians of ${RUNS}, ratio to the stack without \`notify\` in the same run; ${notices} notices received\n\n`);
    process.stdout.write("| stack | preview (no change) | rollback --apply: Enter → flip | rollback --apply: Enter → end |\n|---|---|---|---|\n");
    for (const r of rows) process.stdout.write(`| ${r.label} | ${cell(r.previews, base.previews)} | ${cell(r.flips, base.flips)} | ${cell(r.ends, base.ends)} |\n`);
  } finally {
    for (const stack of made) {
      await stack.destroy();
      execFileSync("kubectl", ["wait", "--for=delete", `namespace/${stack.namespace}`, "--timeout=180s"], { stdio: "ignore", timeout: 200_000 });
    }
    receiver.close();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:notify: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
