/**
 * What the fault suite does to a running switch and how it reads the aftermath: the release CLI
 * started in the background, killed with SIGKILL together with every process under it (the
 * `pulumi` CLI and its plugins, which run in process groups of their own) at a chosen moment; the
 * file backend's lock files and state file; `pulumi stack export` of the stack.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT, ROOT, withoutProgress } from "./harness";

/** The file backend folder the harness put the state in. */
export function backendDir(): string {
  const url = process.env.PULUMI_BACKEND_URL ?? "";
  if (!url.startsWith("file://")) throw new Error(`the fault suite needs a file backend, not ${url}`);
  return decodeURIComponent(new URL(url).pathname);
}

export function locksDir(): string {
  return path.join(backendDir(), ".pulumi", "locks");
}

/** Every lock file of the backend (whatever stack). */
export function lockFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".json")) out.push(full);
    }
  };
  walk(locksDir());
  return out;
}

/** The stack's state file (project-scoped layout of the file backend). */
export function stateFile(stack: string): string {
  return path.join(backendDir(), ".pulumi", "stacks", PROJECT, `${stack}.json`);
}

export interface ExportedState {
  /** `type urn-name` of every pending operation. */
  readonly pending: string[];
  /** The live Service's selector color in the state: its inputs and its outputs. */
  readonly serviceColor: { readonly inputs?: string; readonly outputs?: string };
}

/** `pulumi stack export` of the stack, as the CLI reads it. */
export function exportState(stack: string): ExportedState {
  const exported = JSON.parse(execFileSync("pulumi", ["stack", "export", "--stack", stack], { cwd: ROOT, encoding: "utf8", timeout: 60_000 }));
  const deployment = exported.deployment ?? {};
  const service = (deployment.resources ?? []).find((r: any) => String(r.urn).endsWith("kubernetes:core/v1:Service::web-live"));
  return {
    pending: (deployment.pending_operations ?? []).map((op: any) => `${op.type} ${String(op.resource?.urn).split("::").pop()}`),
    serviceColor: { inputs: service?.inputs?.spec?.selector?.color, outputs: service?.outputs?.spec?.selector?.color },
  };
}

/** A command running in the background, its output collected. */
export interface Background {
  readonly child: ChildProcess;
  readonly startedAt: number;
  output(): string;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; seconds: number }>;
}

/** Starts `program args` in the project directory, in a process group of its own. */
export function startBackground(program: string, args: readonly string[], env: Record<string, string> = {}): Background {
  const startedAt = Date.now();
  const child = spawn(program, args, { cwd: ROOT, detached: true, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; seconds: number }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, seconds: (Date.now() - startedAt) / 1000 })),
  );
  return { child, startedAt, output: () => stdout + stderr, done };
}

/** The release CLI (built) in the background; its stderr without the progress lines of its waits. */
export function startRelease(args: readonly string[], env: Record<string, string> = {}, prefix: readonly string[] = []): Background {
  const [program, ...rest] = [...prefix, process.execPath, "dist/release/cli.js", ...args];
  const background = startBackground(program, rest, env);
  return { ...background, done: background.done.then((run) => ({ ...run, stderr: withoutProgress(run.stderr) })) };
}

/** The processes under `pid` (itself included), from /proc. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // ended meanwhile
    }
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** SIGKILL to the process and everything under it, at once (as a runner or the OOM killer would). */
export function killTree(pid: number): number[] {
  const tree = processTree(pid);
  for (const p of tree) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return tree;
}

/** Resolves when `condition` holds (polled), or rejects after `ms`. */
export async function waitUntil(what: string, condition: () => boolean, ms = 60_000, pollMs = 20): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Resolves at the first event: a lock file appears, the stack's state file is being written (a
 * temp file beside it), or the live Service selects `color` (a `kubectl --watch` line). Each
 * watcher stops once one fired or `stop()` is called.
 */
export function watchMoment(moment: "lock" | "state-write" | "flip", stack: string, namespace: string, color: string): { fired: Promise<string>; stop: () => void } {
  let stop = () => {};
  const fired = new Promise<string>((resolve) => {
    if (moment === "lock") {
      fs.mkdirSync(locksDir(), { recursive: true });
      const watcher = fs.watch(locksDir(), { recursive: true }, (_event, name) => {
        if (name && String(name).endsWith(".json")) resolve(`lock ${name}`);
      });
      stop = () => watcher.close();
    } else if (moment === "state-write") {
      const dir = path.dirname(stateFile(stack));
      const watcher = fs.watch(dir, (_event, name) => {
        if (name && String(name).startsWith(`${stack}.json`) && String(name).endsWith(".tmp")) resolve(`state write ${name}`);
      });
      stop = () => watcher.close();
    } else {
      const child = spawn("kubectl", ["get", "service", "web", "-n", namespace, "--watch", "-o", "jsonpath={.spec.selector.color}{\"\\n\"}"], { stdio: ["ignore", "pipe", "ignore"] });
      child.stdout.on("data", (d) => {
        if (String(d).split("\n").some((line) => line.trim() === color)) resolve(`selector ${color}`);
      });
      stop = () => child.kill();
    }
  });
  return { fired: fired.finally(() => stop()), stop: () => stop() };
}

/** Runs `pulumi <args>` for the stack (no prompt), in the project directory. */
export function pulumiCli(args: readonly string[], env: Record<string, string> = {}): Background {
  return startBackground("pulumi", [...args, "--non-interactive", "--color", "never"], { PULUMI_NODEJS_TRANSPILE_ONLY: "true", ...env });
}
