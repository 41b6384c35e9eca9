/**
 * The switch record of `rollback --apply`, on real files with real processes as owners: a second
 * switch waits for a running one, an interrupted switch is finished rather than flipped back, and
 * (in-process, with the kubectl and pulumi stand-ins) a rerun after a failed `pulumi up` finishes
 * the rollback the first run wrote.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SECRET_CONFIG_KEYS, validateStackConfig } from "../../config";
import { mergeStackConfig, withoutSecrets } from "../../lib/stackFile";
import { createRecord, newRecord, readRecord, recordOwner, recordPath, removeStaleRecord, SwitchRecord } from "../../release/switchRecord";
import { openSwitch, OpenOptions } from "../../release/switchSession";
import { switchTarget } from "../../release/switchTarget";
import { targetedUpArgs } from "../../release/targetedSwitch";
import { targetedRefreshArgs } from "../../release/stateRecovery";
import { ROOT } from "../helpers/program";
import { COMPLETE_JOB, fakeCluster, readyDeployment } from "./fakeCluster";
import { copyStacks, original, release, replaceOnce } from "./harness";

let running: ReturnType<typeof spawn>;
let endedPid: number;

beforeAll(() => {
  running = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  endedPid = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
});

afterAll(() => {
  running.kill("SIGKILL");
});

function tempStackFile(activeColor = "green"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "switch-record-"));
  const file = path.join(dir, "Pulumi.prod.yaml");
  fs.writeFileSync(file, `config:\n  bluegreen:activeColor: ${activeColor}\n`);
  return file;
}

const colorOf = (file: string) => () => (fs.readFileSync(file, "utf8").includes("activeColor: blue") ? "blue" : "green") as "blue" | "green";

function options(file: string, lines: string[], extra: Partial<OpenOptions> = {}): OpenOptions {
  return {
    stackFile: file,
    stack: "prod",
    fileColor: colorOf(file)(),
    currentFileColor: colorOf(file),
    rerun: "npx bluegreen rollback -s prod --apply",
    say: (line) => lines.push(line),
    waitMs: 10_000,
    ...extra,
  };
}

const recordOf = (pid: number, from: "blue" | "green", to: "blue" | "green", stackFileWritten: boolean): SwitchRecord => ({
  pid,
  host: os.hostname(),
  startedAt: Date.now() - 1_000,
  stack: "prod",
  from,
  to,
  stackFileWritten,
});

describe("the switch record", () => {
  it("is created once: a second create finds it; its owner is this process's, a running one's, or gone", () => {
    const file = recordPath(tempStackFile(), "prod");
    expect(path.basename(file)).toBe(".release-switch.prod.json");
    const mine = newRecord("prod", "green", "blue");
    expect(createRecord(file, mine)).toBe(true);
    expect(createRecord(file, mine)).toBe(false);
    expect(readRecord(file)).toEqual(mine);
    expect(recordOwner(recordOf(running.pid!, "green", "blue", false))).toBe("running");
    expect(recordOwner(recordOf(endedPid, "green", "blue", false))).toBe("gone");
    expect(recordOwner({ ...recordOf(running.pid!, "green", "blue", false), host: "another-host" })).toBe("elsewhere");
  });

  it("a stale record is removed only while it is still the same record", () => {
    const file = recordPath(tempStackFile(), "prod");
    const stale = recordOf(endedPid, "green", "blue", true);
    createRecord(file, stale);
    const newer = recordOf(running.pid!, "green", "blue", false);
    // Someone replaced it meanwhile: it stays.
    fs.writeFileSync(file, JSON.stringify(newer));
    expect(removeStaleRecord(file, stale)).toBe(false);
    expect(readRecord(file)).toEqual(newer);
    fs.writeFileSync(file, JSON.stringify(stale));
    expect(removeStaleRecord(file, stale)).toBe(true);
    expect(readRecord(file)).toBeUndefined();
    fs.writeFileSync(file, "{");
    expect(readRecord(file)).toBe("unreadable");
  });
});

describe("opening a switch", () => {
  it("with no record: a fresh switch to the other color; closing removes the record", async () => {
    const file = tempStackFile("green");
    const lines: string[] = [];
    const opened = await openSwitch(options(file, lines));
    expect(opened.kind).toBe("fresh");
    if (opened.kind === "settled") throw new Error("unexpected");
    expect(opened.session.to).toBe("blue");
    expect(opened.session.recovering).toBeUndefined();
    expect(readRecord(recordPath(file, "prod"))).toMatchObject({ pid: process.pid, from: "green", to: "blue", stackFileWritten: false });
    opened.session.close();
    expect(fs.existsSync(recordPath(file, "prod"))).toBe(false);
    expect(lines).toEqual([]);
  });

  it("abandoned before the stack file was written: the record goes; after: it stays for the next run", async () => {
    const file = tempStackFile("green");
    const first = await openSwitch(options(file, []));
    if (first.kind === "settled") throw new Error("unexpected");
    first.session.abandon();
    expect(fs.existsSync(recordPath(file, "prod"))).toBe(false);
    const second = await openSwitch(options(file, []));
    if (second.kind === "settled") throw new Error("unexpected");
    second.session.willWriteFile();
    second.session.abandon();
    expect(readRecord(recordPath(file, "prod"))).toMatchObject({ to: "blue", stackFileWritten: true });
  });

  it("after a switch killed once the stack file said its color: finishes it, never flips the file back", async () => {
    const file = tempStackFile("blue"); // the killed run had written blue
    createRecord(recordPath(file, "prod"), recordOf(endedPid, "green", "blue", true));
    const lines: string[] = [];
    const opened = await openSwitch(options(file, lines));
    expect(opened.kind).toBe("finish");
    if (opened.kind !== "finish") throw new Error("unexpected");
    expect(opened.session.to).toBe("blue");
    expect(opened.session.recovering).toBe("An earlier `rollback --apply` stopped half-way");
    expect(opened.line).toMatch(new RegExp(`^An earlier \`rollback --apply\` \\(pid ${endedPid}, started \\d\\d:\\d\\d:\\d\\d\\) stopped before its switch to blue was confirmed; finishing it\\.$`));
    expect(readRecord(recordPath(file, "prod"))).toMatchObject({ pid: process.pid, to: "blue", stackFileWritten: true });
  });

  it("after a switch killed before it wrote anything, or whose edit was undone by hand: starts afresh, saying so", async () => {
    const file = tempStackFile("green");
    createRecord(recordPath(file, "prod"), recordOf(endedPid, "green", "blue", false));
    const lines: string[] = [];
    const opened = await openSwitch(options(file, lines));
    expect(opened.kind).toBe("fresh");
    expect(lines).toEqual([expect.stringMatching(/stopped before it changed anything; its record is removed\.$/)]);
    if (opened.kind !== "fresh") throw new Error("unexpected");
    opened.session.close();

    // The killed run wrote blue, then someone put green back: the record is dropped, the state may be stale.
    createRecord(recordPath(file, "prod"), recordOf(endedPid, "green", "blue", true));
    const after: string[] = [];
    const again = await openSwitch(options(file, after));
    expect(again.kind).toBe("fresh");
    if (again.kind !== "fresh") throw new Error("unexpected");
    expect(again.session.recovering).toBe("An earlier `rollback --apply` stopped half-way");
    expect(after).toEqual([expect.stringMatching(/stopped half-way to blue, and the stack file says green again; its record is removed\.$/)]);
  });

  it("while another switch runs: waits, printing progress, then checks the cluster when it went the same way", async () => {
    const file = tempStackFile("green");
    const record = recordPath(file, "prod");
    createRecord(record, recordOf(running.pid!, "green", "blue", true));
    // The other run writes blue, then finishes (its record goes) after 1.5 s.
    setTimeout(() => {
      fs.writeFileSync(file, "config:\n  bluegreen:activeColor: blue\n");
      fs.rmSync(record);
    }, 1_500);
    const lines: string[] = [];
    const started = Date.now();
    const opened = await openSwitch(options(file, lines));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(lines[0]).toMatch(new RegExp(`^Another \`rollback --apply\` of stack \`prod\` \\(pid ${running.pid}, started \\d\\d:\\d\\d:\\d\\d\\) is switching traffic to blue; waiting up to 10 s for it\\.\\.\\.$`));
    expect(opened.kind).toBe("finish");
    if (opened.kind !== "finish") throw new Error("unexpected");
    expect(opened.session.to).toBe("blue");
    expect(opened.line).toBe(`Another \`rollback --apply\` pid ${running.pid} switched to blue while this one waited; checking the cluster is there.`);
  });

  it("while another switch runs the other way (this run read its edit): refuses to undo it, in one line", async () => {
    const file = tempStackFile("blue"); // read after the other run wrote blue
    const record = recordPath(file, "prod");
    createRecord(record, recordOf(running.pid!, "green", "blue", true));
    setTimeout(() => fs.rmSync(record), 500);
    const opened = await openSwitch(options(file, []));
    expect(opened).toEqual({
      kind: "settled",
      code: 1,
      line: `bluegreen rollback: refused: another \`rollback --apply\` pid ${running.pid} switched traffic to blue while this one waited; it stays there; to switch to green, run \`npx bluegreen rollback -s prod --apply\` again`,
    });
    expect(fs.existsSync(record)).toBe(false);
  });

  it("gives up waiting past its bound, naming the process and the command", async () => {
    const file = tempStackFile("green");
    createRecord(recordPath(file, "prod"), recordOf(running.pid!, "green", "blue", true));
    await expect(openSwitch(options(file, [], { waitMs: 600 }))).rejects.toThrow(
      `another \`rollback --apply\` of stack \`prod\` (pid ${running.pid}) still runs after 1 s; let it finish or stop it (\`kill ${running.pid}\`), then rerun \`npx bluegreen rollback -s prod --apply\``,
    );
  });
});

describe("rollback --apply after a failed run (kubectl and pulumi stand-ins)", () => {
  let restore = () => {};
  afterEach(() => restore());

  it("the rerun finishes the switch the first run wrote: refresh of the live Service, then the update; never a flip back", async () => {
    const parsed = (text: string) => {
      const result = validateStackConfig(withoutSecrets(mergeStackConfig(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"), text), SECRET_CONFIG_KEYS));
      if (!result.ok) throw new Error(result.problems.join("; "));
      return result.config;
    };
    const green = switchTarget(parsed(original("production")), "production", "bluegreen", "green");
    const urns = [green.services[0].liveServiceUrn];
    const state = {
      deployments: { "web-green": readyDeployment("ghcr.io/acme/web:1.5.0", 4) },
      jobs: { [green.services[0].smokeJobName!]: COMPLETE_JOB },
      services: { web: "blue" },
    };
    const copy = copyStacks();
    const rolledBack = replaceOnce(original("production"), "activeColor: blue", "activeColor: green");

    const failing = fakeCluster(state);
    restore = failing.install({ pulumiFails: "configured Kubernetes cluster is unreachable: dial tcp 127.0.0.1:1: connect: connection refused" });
    const first = await release(copy.dir, ["rollback", "--apply", "--stack", "production"]);
    restore();
    expect(first.code).toBe(1);
    expect(first.err.split("\n")).toHaveLength(1);
    expect(first.err).toMatch(/^bluegreen: the switch to green did not finish \(traffic is on blue, as the API says\): the Kubernetes API did not answer `pulumi up` of stack `production`/);
    expect(first.err).toMatch(/rerun `npx bluegreen rollback -s production --apply` once `kubectl get nodes` answers$/);
    expect(copy.read("production")).toBe(rolledBack);
    expect(readRecord(recordPath(path.join(copy.dir, "Pulumi.production.yaml"), "production"))).toMatchObject({ from: "blue", to: "green", stackFileWritten: true });

    const cluster = fakeCluster(state);
    restore = cluster.install();
    const rerun = await release(copy.dir, ["rollback", "--apply", "--stack", "production"]);
    expect(rerun.err).toBe("");
    expect(rerun.code).toBe(0);
    const lines = rerun.out.split("\n");
    // This process ran the first attempt: its record counts as ended.
    expect(lines[0]).toMatch(/^An earlier `rollback --apply` \(pid \d+, started \d\d:\d\d:\d\d\) stopped before its switch to green was confirmed; finishing it\.$/);
    expect(lines).toContain("An earlier `rollback --apply` stopped half-way: reading the live Services from the cluster into the state first (`pulumi refresh --target`)...");
    expect(lines.find((line) => line.startsWith("Traffic is on green:"))).toBeDefined();
    expect(copy.read("production")).toBe(rolledBack); // not flipped back to blue
    expect(cluster.state().services).toEqual({ web: "green" });
    expect(cluster.calls().filter((call) => call[0] === "pulumi")).toEqual([
      ["pulumi", "stack", "export", "--stack", "production"],
      ["pulumi", ...targetedRefreshArgs("production", urns)],
      ["pulumi", ...targetedUpArgs("production", urns)],
    ]);
    expect(fs.existsSync(recordPath(path.join(copy.dir, "Pulumi.production.yaml"), "production"))).toBe(false);
  });
});
