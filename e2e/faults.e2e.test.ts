/**
 * The switch path under faults, on the real engine and a real Kubernetes API: `rollback --apply`
 * killed half-way, two switches at once, the API away or slow, the state file unreadable, corrupt
 * or locked by a dead process. Each case runs 3 times on one deployed stack (one service), and
 * asserts the outcome where it lives: the live Service's selector in the cluster, the stack's state
 * (`pulumi stack export`) and the stack file. Every recovery command is timed.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FaultProxy } from "./faultProxy";
import { exportState, killTree, lockFiles, pulumiCli, startRelease, stateFile, waitUntil, watchMoment } from "./faultKit";
import { E2eStack, kubectlJson, median, ROOT } from "./harness";

const NS = `e2e-faults-${process.pid}`;
const STACK = `e2e-faults-${process.pid}`;
const ROLLBACK = ["rollback", "--apply", "--stack", STACK];
const RERUN = `npx bluegreen rollback -s ${STACK} --apply`;
const REPEAT = 3;
const RECORD = `${ROOT}/.release-switch.${STACK}.json`;

let stack: E2eStack;
let proxy: FaultProxy;
let viaProxy: Record<string, string>;
/** Per fault: the recovery's wall time of each run, for the summary. */
const recoveries = new Map<string, { command: string; seconds: number[] }>();

const other = (color: string) => (color === "blue" ? "green" : "blue");
const liveColor = () => kubectlJson("get", "service", "web", "-n", NS).spec.selector.color as string;
const fileColor = () => parse(stack.read()).config["bluegreen:activeColor"] as string;
const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

function recovered(fault: string, command: string, seconds: number): void {
  const entry = recoveries.get(fault) ?? { command, seconds: [] };
  entry.seconds.push(seconds);
  recoveries.set(fault, entry);
}

function note(text: string): void {
  process.stdout.write(`[faults] ${text}\n`);
}

/** What a fault left behind, printed for the record. */
function aftermath(label: string): { file: string; cluster: string; locks: number; record: boolean } {
  let state: string;
  try {
    const exported = exportState(STACK);
    state = `state ${exported.serviceColor.outputs}, pending [${exported.pending.join(", ")}]`;
  } catch (error) {
    state = `state unreadable (${String((error as Error).message).split("\n").find((l) => l.startsWith("error:")) ?? "export failed"})`;
  }
  const seen = { file: fileColor(), cluster: liveColor(), locks: lockFiles().length, record: fs.existsSync(RECORD) };
  const temp = fs.readdirSync(path.dirname(stateFile(STACK))).filter((name) => name.endsWith(".tmp")).length;
  note(`${label}: stack file ${seen.file}, cluster ${seen.cluster}, ${state}, ${seen.locks} lock file(s), ${temp} temp file(s) beside the state, switch record ${seen.record ? "kept" : "none"}`);
  return seen;
}

/** The switch landed on `color` everywhere, and nothing of it is left over. */
function expectSettledOn(color: string): void {
  expect(liveColor()).toBe(color);
  expect(fileColor()).toBe(color);
  const state = exportState(STACK);
  expect(state.pending).toEqual([]);
  expect(state.serviceColor).toEqual({ inputs: color, outputs: color });
  expect(lockFiles()).toEqual([]);
  expect(fs.existsSync(RECORD)).toBe(false);
}

/** A full `pulumi preview` of the stack finds nothing to change: the next full `pulumi up` has nothing to fight. */
async function expectNoDrift(): Promise<void> {
  const preview = await pulumiCli(["preview", "--stack", STACK, "--expect-no-changes", "--suppress-progress"]).done;
  expect(preview.code, preview.stdout + preview.stderr).toBe(0);
}

async function rollback(env: Record<string, string> = {}, prefix: readonly string[] = []) {
  return startRelease(ROLLBACK, env, prefix).done;
}

beforeAll(async () => {
  stack = await E2eStack.create(STACK, {
    namespace: NS,
    config: {
      colors: { blue: { image: "ghcr.io/acme/web:2.0.0", replicas: 1 }, green: { image: "ghcr.io/acme/web:2.1.0", replicas: 1 } },
      jobsImage: "ghcr.io/acme/web-jobs:2.0.0",
    },
    secrets: {},
  });
  const up = await stack.up();
  expect(up.error).toBe("");
  const server = kubectlJson("config", "view", "--minify").clusters[0].cluster.server as string;
  proxy = await FaultProxy.start(server);
  viaProxy = { KUBECONFIG: proxy.writeKubeconfig(process.env.KUBECONFIG!) };
});

afterAll(async () => {
  const rows = [...recoveries].map(([fault, { command, seconds }]) => `${fault}: median ${median(seconds).toFixed(1)} s (runs ${seconds.map((s) => s.toFixed(1)).join(", ")}) by \`${command}\``);
  for (const row of rows) process.stdout.write(`[e2e timing] faults: ${row}\n`);
  await proxy?.stop();
  fs.rmSync(RECORD, { force: true });
  await stack?.destroy();
});

describe("rollback --apply killed half-way (SIGKILL of the CLI and everything under it)", () => {
  const moments = [
    ["before the patch (its `pulumi up` holds the lock)", "lock"],
    ["right after the selector flipped", "flip"],
    ["during the state write", "state-write"],
  ] as const;

  for (const [label, moment] of moments) {
    it(`killed ${label}: the next rollback --apply finishes the same switch, state and cluster agree`, async () => {
      for (let rep = 0; rep < REPEAT; rep++) {
        const from = liveColor();
        const to = other(from);
        expect(fileColor()).toBe(from);
        const watch = watchMoment(moment, STACK, NS, to);
        const run = startRelease(ROLLBACK);
        const first = await Promise.race([watch.fired, run.done.then(() => "exited")]);
        watch.stop();
        expect(first, `the run ended before the moment: ${run.output()}`).not.toBe("exited");
        killTree(run.child.pid!);
        await run.done;
        const left = aftermath(`killed at ${moment} (${first}), run ${rep + 1}`);
        expect(left.file).toBe(to); // the edit was written before any of these moments
        expect(left.record).toBe(true);

        if (rep === 0 && left.locks > 0) {
          // The plain path: the engine itself refuses a locked stack and does not recover.
          const plain = await pulumiCli(["up", "--stack", STACK, "--yes", "--skip-preview"]).done;
          expect(plain.code).not.toBe(0);
          expect(plain.stdout + plain.stderr).toContain("the stack is currently locked by 1 lock(s)");
        }

        const rerun = await rollback();
        expect(rerun.stderr).toBe("");
        expect(rerun.code).toBe(0);
        const out = lines(rerun.stdout);
        expect(out[0]).toMatch(new RegExp(`^An earlier \`rollback --apply\` \\(pid ${run.child.pid}, started \\d\\d:\\d\\d:\\d\\d\\) stopped before its switch to ${to} was confirmed; finishing it\\.$`));
        if (left.locks > 0) expect(out.some((line) => line.startsWith(`Removed the stale lock of stack \`${STACK}\``))).toBe(true);
        expect(out.some((line) => line.startsWith(`Traffic is on ${to}:`))).toBe(true);
        note(`  the rerun said: ${out.filter((line) => /^(Removed|The API already|An earlier|Note:)/.test(line)).join(" | ")}`);
        expectSettledOn(to);
        recovered(`killed ${label}`, RERUN, rerun.seconds);
      }
      await expectNoDrift();
    });
  }
});

describe("the state behind the cluster", () => {
  it("a selector flipped by hand and recorded in the stack file only: the no-op update is caught, the live Service refreshed, the switch applied", async () => {
    for (let rep = 0; rep < REPEAT; rep++) {
      const live = liveColor();
      const other_ = other(live);
      // An emergency flip outside Pulumi, then written down in the stack file without an update.
      execFileSync("kubectl", ["patch", "service", "web", "-n", NS, "--type", "merge", "-p", JSON.stringify({ spec: { selector: { color: other_ } } })]);
      stack.editConfig((c) => (c.activeColor = other_));
      expect(exportState(STACK).serviceColor.outputs).toBe(live);
      // Rolling back to `live`: the state already says it, so the engine's update changes nothing.
      const run = await rollback();
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(lines(run.stdout)).toContain(
        `\`pulumi up\` left Service \`web\` selecting \`${other_}\`, not \`${live}\`: the state did not match the cluster: reading the live Services from the cluster into the state first (\`pulumi refresh --target\`)...`,
      );
      expectSettledOn(live);
      recovered("selector flipped by hand, state behind (the rollback itself)", RERUN, run.seconds);
    }
  });
});

describe("two switches at once", () => {
  it("two rollback --apply of one stack at the same moment: one switches; the other waits, then finds it done or refuses to undo it", async () => {
    for (let rep = 0; rep < REPEAT; rep++) {
      const to = other(liveColor());
      const [a, b] = await Promise.all([rollback(), rollback()]);
      const runs = [a, b];
      // Exactly one updated the stack; the other printed that it waited for it.
      const switched = runs.filter((run) => run.stdout.includes("Switching the live Service"));
      expect(switched, `${a.stdout}${a.stderr}\n${b.stdout}${b.stderr}`).toHaveLength(1);
      expect(switched[0].code).toBe(0);
      expect(switched[0].stdout).toContain(`Traffic is on ${to}:`);
      const waited = runs.find((run) => run !== switched[0])!;
      expect(waited.stdout).toMatch(new RegExp(`^Another \`rollback --apply\` of stack \`${STACK}\` \\(pid \\d+, started \\d\\d:\\d\\d:\\d\\d\\) is switching traffic to ${to}; waiting up to 180 s for it\\.\\.\\.\\n`));
      if (waited.code === 0) {
        // It started before the other wrote the stack file: same goal, already reached.
        expect(waited.stderr).toBe("");
        expect(lines(waited.stdout)).toContain(`Traffic is on ${to}: the other run switched it; nothing left to do.`);
      } else {
        // It read the stack file the other had just edited, so it was asked to switch back: it does not undo the other.
        expect(waited.code).toBe(1);
        expect(waited.stderr).toMatch(
          new RegExp(`^release rollback: refused: another \`rollback --apply\` pid \\d+ switched traffic to ${to} while this one waited; it stays there; to switch to ${other(to)}, run \`${RERUN}\` again\\n$`),
        );
      }
      note(`two at once, run ${rep + 1}: the one that waited ${waited.code === 0 ? "found it done" : "refused to undo it"} after ${waited.seconds.toFixed(1)} s`);
      expectSettledOn(to);
      recovered("two rollback --apply at once (the one that waited)", RERUN, waited.seconds);
    }
  });

  it("rollback --apply during a full pulumi up: it waits for the lock, printing progress, then switches; the later switch stands", async () => {
    for (let rep = 0; rep < REPEAT; rep++) {
      const live = liveColor();
      const to = other(live);
      // A hotfix of the live color by the full path: its `pulumi up` rolls a Deployment out and runs a smoke Job.
      stack.editConfig((c) => (c.colors[live].image = `ghcr.io/acme/web:3.${rep}.${live === "blue" ? 0 : 1}`));
      const full = pulumiCli(["up", "--stack", STACK, "--yes", "--skip-preview", "--suppress-progress"]);
      await waitUntil("the full update's lock", () => lockFiles().length > 0);
      const rb = await rollback();
      const fullDone = await full.done;
      expect(fullDone.code, fullDone.stdout + fullDone.stderr).toBe(0);
      expect(rb.stderr).toBe("");
      expect(rb.code).toBe(0);
      expect(rb.stdout).toMatch(new RegExp(`Stack \`${STACK}\` is locked by \`pulumi\` pid ${full.child.pid} \\(\\S+, since \\d\\d:\\d\\d:\\d\\d\\); waiting up to 60 s for that update to end\\.\\.\\.`));
      expect(rb.stdout).toContain(`Traffic is on ${to}:`);
      expectSettledOn(to);
      recovered("rollback --apply during a full pulumi up (its whole run, waiting included)", RERUN, rb.seconds);
    }
    await expectNoDrift();
  });

  it("a full pulumi up during a rollback --apply: the engine refuses it at once (locked); the rollback completes", async () => {
    for (let rep = 0; rep < REPEAT; rep++) {
      const to = other(liveColor());
      const rb = startRelease(ROLLBACK);
      await waitUntil("the rollback's lock", () => lockFiles().length > 0);
      const full = await pulumiCli(["up", "--stack", STACK, "--yes", "--skip-preview"]).done;
      expect(full.code).not.toBe(0);
      expect(full.stdout + full.stderr).toContain("the stack is currently locked by 1 lock(s)");
      const done = await rb.done;
      expect(done.stderr).toBe("");
      expect(done.code).toBe(0);
      expectSettledOn(to);
      // The refused full update, run again now, has nothing left to change.
      const again = await pulumiCli(["up", "--stack", STACK, "--yes", "--skip-preview", "--suppress-progress"]).done;
      expect(again.code, again.stdout + again.stderr).toBe(0);
      recovered("full pulumi up refused during a rollback (its rerun)", "pulumi up", again.seconds);
    }
  });
});

describe("the Kubernetes API away or slow (through a TCP proxy)", () => {
  it("API away before the switch: refused in one line, nothing changed; the rerun after it returns switches", async () => {
    for (let rep = 0; rep < REPEAT; rep++) {
      const from = liveColor();
      await proxy.set("refuse");
      const failed = await rollback(viaProxy);
      expect(failed.code).toBe(1);
      expect(lines(failed.stderr)).toHaveLength(1);
      expect(failed.stderr).toMatch(/^bluegreen: cannot read the Deployments and smoke Jobs of namespace `.*`: kubectl .*; nothing was switched: rerun `npx bluegreen rollback -s .* --apply` once `kubectl get nodes` answers\n$/);
      expect(failed.seconds).toBeLessThan(15);
      note(`API away before the switch, run ${rep + 1}: refused after ${failed.seconds.toFixed(1)} s`);
      expectSettledOn(from);
      await proxy.set("pass");
      const rerun = await rollback(viaProxy);
      expect(rerun.stderr).toBe("");
      expect(rerun.code).toBe(0);
      expectSettledOn(other(from));
      recovered("API away before the switch (the rerun once it answers)", RERUN, rerun.seconds);
    }
  });

  it("API away during the switch: fails within seconds in one line; traffic stays where the API says; the rerun finishes it", async () => {
    for (let rep = 0; rep < REPEAT; rep++) {
      const from = liveColor();
      const to = other(from);
      const watch = watchMoment("lock", STACK, NS, to);
      const run = startRelease(ROLLBACK, viaProxy);
      const first = await Promise.race([watch.fired, run.done.then(() => "exited")]);
      watch.stop();
      expect(first, `the run ended before its update started: ${run.output()}`).not.toBe("exited");
      await proxy.set("refuse");
      const failed = await run.done;
      expect(failed.code).toBe(1);
      expect(lines(failed.stderr)).toHaveLength(1);
      expect(failed.stderr).toMatch(
        new RegExp(`^bluegreen: the switch to ${to} did not finish \\(the API could not be read to tell where traffic is\\): the Kubernetes API did not answer \`pulumi up\` of stack \`${STACK}\` \\(.*\\); rerun \`${RERUN}\` once \`kubectl get nodes\` answers\\n$`),
      );
      expect(failed.seconds).toBeLessThan(60);
      const left = aftermath(`API away during the switch, run ${rep + 1}: failed after ${failed.seconds.toFixed(1)} s`);
      expect(left.cluster).toBe(from);
      expect(left.file).toBe(to);
      expect(left.record).toBe(true);
      await proxy.set("pass");
      const rerun = await rollback(viaProxy);
      expect(rerun.stderr).toBe("");
      expect(rerun.code).toBe(0);
      expect(rerun.stdout).toContain("finishing it.");
      expectSettledOn(to);
      recovered("API away during the switch (the rerun once it answers)", RERUN, rerun.seconds);
    }
  });

  it("API hanging during the switch (connections accepted, never answered): fails within its bound in one line; the rerun finishes it", async () => {
    for (let rep = 0; rep < REPEAT; rep++) {
      const from = liveColor();
      const to = other(from);
      const watch = watchMoment("lock", STACK, NS, to);
      const run = startRelease(ROLLBACK, viaProxy);
      const first = await Promise.race([watch.fired, run.done.then(() => "exited")]);
      watch.stop();
      expect(first, `the run ended before its update started: ${run.output()}`).not.toBe("exited");
      await proxy.set("hang");
      const failed = await run.done;
      expect(failed.code).toBe(1);
      expect(lines(failed.stderr)).toHaveLength(1);
      expect(failed.stderr).toMatch(new RegExp(`^bluegreen: the switch to ${to} did not finish \\(the API could not be read to tell where traffic is\\): the Kubernetes API did not answer .*; rerun \`${RERUN}\` once \`kubectl get nodes\` answers\\n$`));
      // The kubernetes provider gives up on a TLS handshake after 10 s, and the whole command within 60 s.
      expect(failed.seconds).toBeLessThan(60);
      note(`API hanging during the switch, run ${rep + 1}: failed after ${failed.seconds.toFixed(1)} s`);
      expect(liveColor()).toBe(from);
      await proxy.set("pass");
      const rerun = await rollback(viaProxy);
      expect(rerun.stderr).toBe("");
      expect(rerun.code).toBe(0);
      expectSettledOn(to);
      recovered("API hanging during the switch (the rerun once it answers)", RERUN, rerun.seconds);
    }
  });

  it("API slow (every packet held 50 ms each way): the switch completes, slower", async () => {
    for (let rep = 0; rep < REPEAT; rep++) {
      const to = other(liveColor());
      await proxy.set("delay", 50);
      const run = await rollback(viaProxy);
      await proxy.set("pass");
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expectSettledOn(to);
      recovered("API slow, 50 ms per packet (the switch itself)", RERUN, run.seconds);
    }
  });
});

describe("state backend trouble", () => {
  it("state file unreadable (no permission): one line naming the file and the fix; after the fix the rerun finishes the switch", async () => {
    // Root reads any file: drop the capabilities that let it, so the file's mode counts.
    const asUser = process.getuid?.() === 0 ? ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search", "--"] : [];
    const file = stateFile(STACK);
    for (let rep = 0; rep < REPEAT; rep++) {
      const from = liveColor();
      const to = other(from);
      const mode = fs.statSync(file).mode & 0o777;
      fs.chmodSync(file, 0o000);
      const failed = await rollback({}, asUser);
      fs.chmodSync(file, mode);
      note(`state file unreadable, run ${rep + 1}: refused after ${failed.seconds.toFixed(1)} s`);
      expect(failed.code).toBe(1);
      expect(lines(failed.stderr)).toHaveLength(1);
      expect(failed.stderr).toBe(
        `bluegreen: the switch to ${to} did not finish (traffic is on ${from}, as the API says): cannot read the state of stack \`${STACK}\` (${file}: permission denied): give this user read and write access to it (\`ls -l ${file}\`) or run as its owner, then rerun \`${RERUN}\`\n`,
      );
      const rerun = await rollback({}, asUser);
      expect(rerun.stderr).toBe("");
      expect(rerun.code).toBe(0);
      expectSettledOn(to);
      recovered("state file unreadable (the rerun after `chmod`)", RERUN, rerun.seconds);
    }
  });

  it("state file corrupt (truncated JSON): one line with the command that restores the previous checkpoint; after it the rerun finishes the switch", async () => {
    const file = stateFile(STACK);
    for (let rep = 0; rep < REPEAT; rep++) {
      const from = liveColor();
      const to = other(from);
      const text = fs.readFileSync(file, "utf8");
      fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
      const failed = await rollback();
      note(`state file corrupt, run ${rep + 1}: refused after ${failed.seconds.toFixed(1)} s`);
      expect(failed.code).toBe(1);
      expect(lines(failed.stderr)).toHaveLength(1);
      const restore = `cp ${file}.bak ${file}`;
      expect(failed.stderr).toMatch(/^bluegreen: the switch to \S+ did not finish \(traffic is on \S+, as the API says\): the state of stack `.*` cannot be loaded \(failed to load checkpoint: .*\)/);
      expect(failed.stderr).toContain(`restore the previous checkpoint with \`${restore}\`, then rerun \`${RERUN}\``);
      expect(liveColor()).toBe(from);
      execFileSync("bash", ["-c", restore]);
      const rerun = await rollback();
      expect(rerun.stderr).toBe("");
      expect(rerun.code).toBe(0);
      expectSettledOn(to);
      recovered("state file corrupt (the rerun after the printed `cp`)", RERUN, rerun.seconds);
    }
    await expectNoDrift();
  });

  it("state metadata left empty by a pulumi killed while writing it: rollback --apply removes it, saying so, and switches", async () => {
    // Seen when a switch was killed during its state write: `<stack>.json.attrs` empty, the checkpoint whole,
    // and every command of the stack failing "failed to load checkpoint: EOF".
    const sidecar = `${stateFile(STACK)}.attrs`;
    for (let rep = 0; rep < REPEAT; rep++) {
      const to = other(liveColor());
      fs.writeFileSync(sidecar, "");
      const plain = await pulumiCli(["stack", "export", "--stack", STACK]).done;
      expect(plain.stderr).toContain("failed to load checkpoint: EOF");
      const run = await rollback();
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(lines(run.stdout)).toContain(
        `Removed ${sidecar}: the backend's metadata of ${STACK}.json, left unreadable by a \`pulumi\` stopped while writing it (${STACK}.json itself is whole).`,
      );
      expectSettledOn(to);
      recovered("state metadata left empty (the rollback itself)", RERUN, run.seconds);
    }
  });

  it("stack locked by a pulumi up killed mid-update: rollback --apply removes the stale lock, refreshes the live Service, names the other pending operations, and switches", async () => {
    for (let rep = 0; rep < REPEAT; rep++) {
      const live = liveColor();
      const to = other(live);
      // A hotfix of the live color by the full path, killed while its Deployment rolls out.
      const hotfix = `ghcr.io/acme/web:4.${rep}.${live === "blue" ? 0 : 1}`;
      stack.editConfig((c) => (c.colors[live].image = hotfix));
      const full = pulumiCli(["up", "--stack", STACK, "--yes", "--skip-preview"]);
      const image = () => kubectlJson("get", "deployment", `web-${live}`, "-n", NS).spec.template.spec.containers[0].image;
      await waitUntil("the hotfix's Deployment patch", () => image() === hotfix, 60_000, 100);
      killTree(full.child.pid!);
      await full.done;
      const [lock] = lockFiles();
      expect(lock).toBeDefined();
      const owner = JSON.parse(fs.readFileSync(lock, "utf8"));
      const pending = exportState(STACK).pending;
      note(`full pulumi up killed during its rollout, run ${rep + 1}: pending [${pending.join(", ")}]`);
      expect(pending).toContain(`updating web-${live}`);

      const run = await rollback();
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const out = lines(run.stdout);
      const since = new Date(owner.timestamp).toTimeString().slice(0, 8);
      expect(out).toContain(`Removed the stale lock of stack \`${STACK}\` left by \`pulumi\` pid ${full.child.pid} (${owner.username}@${os.hostname()}, since ${since}), which no longer runs: ${lock}`);
      expect(out).toContain("The stack's last update was killed (it left its lock behind): reading the live Services from the cluster into the state first (`pulumi refresh --target`)...");
      const others = out.find((line) => line.startsWith("Note: the state also holds"));
      expect(others).toMatch(new RegExp(`\\(.*Deployment web-${live}: updating.*\\); the switch does not touch them, but the engine forgets unfinished updates at its next write: after the switch, run \`pulumi refresh -s ${STACK} --yes\` so the state matches the cluster\\.$`));
      expect(liveColor()).toBe(to);
      expect(fileColor()).toBe(to);
      // What the note says to do, then the full update the kill interrupted: it completes and changes nothing of the switch.
      const refresh = await pulumiCli(["refresh", "--stack", STACK, "--yes", "--skip-preview", "--suppress-progress", ...(others!.includes("interactively") ? ["--clear-pending-creates"] : [])]).done;
      expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
      const again = await pulumiCli(["up", "--stack", STACK, "--yes", "--skip-preview", "--suppress-progress"]).done;
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expectSettledOn(to);
      recovered("stack locked by a pulumi up killed mid-update (the rollback itself)", RERUN, run.seconds);
    }
    await expectNoDrift();
  });
});
