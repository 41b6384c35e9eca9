/**
 * Stale stack locks of the file backend, on real files: the refusal text is the one the `pulumi`
 * CLI 3.248 prints (copied from a run against a stack whose update was killed), and the owners are
 * real processes of this machine (one that runs, one that has ended).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processRuns } from "../../release/processLiveness";
import { pulumiError } from "../../release/pulumiCli";
import { isUpdateConflict, lockOwner, parseLocks, removeStaleLock, StackLock } from "../../release/stackLock";
import { describePending, pendingOperationsOf, targetedRefreshArgs } from "../../release/stateRecovery";

/** A backend folder with one lock file of stack `e2e-fx`, as `pulumi up` writes it. */
function backendWithLock(pid: number, hostname = os.hostname(), at = new Date()): { file: string; refusal: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-lock-"));
  const locks = path.join(dir, ".pulumi", "locks", "organization", "bluegreen", "e2e-fx");
  fs.mkdirSync(locks, { recursive: true });
  const file = path.join(locks, "370d5dbd-c865-4ff1-8d9e-e0707a10c4cf.json");
  fs.writeFileSync(file, JSON.stringify({ pid, username: "root", hostname, timestamp: at.toISOString() }));
  fs.writeFileSync(`${file}.attrs`, "{}");
  const stamp = at.toISOString().replace(/\.\d+Z$/, "Z");
  const refusal =
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
    `  file://${file}?no_tmp_dir=true: created by root@${hostname} (pid ${pid}) at ${stamp}\n`;
  return { file, refusal };
}

let running: ReturnType<typeof spawn>;
let endedPid: number;

beforeAll(() => {
  running = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  endedPid = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
});

afterAll(() => {
  running.kill("SIGKILL");
});

describe("processRuns", () => {
  it("tells a running process from one that ended, and from a pid reused after the record was written", () => {
    expect(processRuns(process.pid)).toBe(true);
    expect(processRuns(running.pid!)).toBe(true);
    expect(processRuns(endedPid)).toBe(false);
    expect(processRuns(0)).toBe(false);
    // A record written an hour before this process started cannot be this process's.
    expect(processRuns(running.pid!, Date.now() - 3_600_000)).toBe(false);
    expect(processRuns(running.pid!, Date.now())).toBe(true);
  });
});

describe("a locked stack, as the pulumi CLI reports it", () => {
  it("parses every lock of the refusal: its file, owner, pid and time", () => {
    const at = new Date("2026-12-03T10:07:02Z");
    const { file, refusal } = backendWithLock(1791, "vm", at);
    expect(parseLocks(refusal)).toEqual([{ url: `file://${file}?no_tmp_dir=true`, file, user: "root", host: "vm", pid: 1791, since: at.getTime() }]);
    expect(parseLocks("error: update failed")).toBeUndefined();
  });

  it("a lock in a remote bucket has no local file, so it is never removed from here", () => {
    const [lock] = parseLocks(
      "error: the stack is currently locked by 1 lock(s). Either wait...\n  s3://state/.pulumi/locks/organization/bluegreen/prod/1.json: created by ci@runner-7 (pid 4242) at 2026-12-03T10:07:02Z\n",
    )!;
    expect(lock.file).toBeUndefined();
    expect(lock.host).toBe("runner-7");
  });

  it("a lock whose owner ended on this host is stale: removed with the .attrs beside it, saying so in one line", () => {
    const { file, refusal } = backendWithLock(endedPid);
    const [lock] = parseLocks(refusal)!;
    expect(lockOwner(lock)).toBe("gone");
    const line = removeStaleLock(lock, "e2e-fx");
    expect(line).toMatch(new RegExp(`^Removed the stale lock of stack \`e2e-fx\` left by \`pulumi\` pid ${endedPid} \\(root@${os.hostname()}, since \\d\\d:\\d\\d:\\d\\d\\), which no longer runs: ${file.replace(/[.]/g, "\\.")}$`));
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}.attrs`)).toBe(false);
  });

  it("a lock whose owner runs, or that was taken on another host, is never removed", () => {
    const live = backendWithLock(running.pid!);
    const [lock] = parseLocks(live.refusal)!;
    expect(lockOwner(lock)).toBe("running");
    expect(() => removeStaleLock(lock, "e2e-fx")).toThrow(/not known to be stale/);
    expect(fs.existsSync(live.file)).toBe(true);

    const elsewhere = backendWithLock(endedPid, "ci-runner-3");
    const [other] = parseLocks(elsewhere.refusal)!;
    expect(lockOwner(other)).toBe("elsewhere");
    expect(() => removeStaleLock(other, "e2e-fx")).toThrow();
    expect(fs.existsSync(elsewhere.file)).toBe(true);
  });

  it("only a file under a backend's .pulumi/locks folder is ever taken for a lock file", () => {
    const refusal = "error: the stack is currently locked by 1 lock(s).\n  file:///etc/passwd: created by root@vm (pid 1) at 2026-12-03T10:07:02Z\n";
    const [lock] = parseLocks(refusal) as StackLock[];
    expect(lock.file).toBeUndefined();
  });

  it("Pulumi Cloud's refusal of a second update is recognised", () => {
    expect(isUpdateConflict("error: [409] Conflict: Another update is currently in progress.\nTo learn more about possible reasons and resolution, visit https://www.pulumi.com/docs/support/troubleshooting/common-issues/update-conflicts/")).toBe(true);
    expect(isUpdateConflict("error: update failed")).toBe(false);
  });
});

describe("what a failed run says", () => {
  it("the resource's error, not the engine's summary", () => {
    const output = [
      "Updating (e2e-fx):",
      ' ~  kubernetes:core/v1:Service web-live **updating failed** [diff: ~spec]; error: configured Kubernetes cluster is unreachable: dial tcp 127.0.0.1:1: connect: connection refused',
      "    pulumi:pulumi:Stack bluegreen-e2e-fx running error: update failed",
      "Diagnostics:",
      "  kubernetes:core/v1:Service (web-live):",
      "    error: configured Kubernetes cluster is unreachable: dial tcp 127.0.0.1:1: connect: connection refused",
      "  pulumi:pulumi:Stack (bluegreen-e2e-fx):",
      "    error: update failed",
    ].join("\n");
    expect(pulumiError(output)).toBe("configured Kubernetes cluster is unreachable: dial tcp 127.0.0.1:1: connect: connection refused");
    expect(pulumiError("Updating (e2e-fx):\nerror: failed to load checkpoint: place 1: unexpected end of JSON input\n")).toBe("failed to load checkpoint: place 1: unexpected end of JSON input");
  });
});

describe("pending operations of an interrupted update", () => {
  const urn = "urn:pulumi:e2e-fx::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService$kubernetes:core/v1:Service::web-live";
  it("are read from `pulumi stack export` and named by kind and resource", () => {
    const exported = { version: 3, deployment: { resources: [], pending_operations: [{ resource: { urn, type: "kubernetes:core/v1:Service" }, type: "updating" }] } };
    const ops = pendingOperationsOf(exported);
    expect(ops).toEqual([{ urn, type: "updating" }]);
    expect(describePending(ops[0])).toBe("Service web-live: updating");
    expect(pendingOperationsOf({ version: 3, deployment: { resources: [] } })).toEqual([]);
  });

  it("the refresh targets the live Services only", () => {
    expect(targetedRefreshArgs("e2e-fx", [urn])).toEqual(["refresh", "--stack", "e2e-fx", "--target", urn, "--yes", "--skip-preview", "--non-interactive", "--suppress-progress", "--color", "never"]);
  });
});
