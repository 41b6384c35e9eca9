/**
 * The end-to-end harness: a stack of this project, driven through the Automation API by the real
 * `pulumi` CLI, with its state in a temp folder (file backend, passphrase), against the Kubernetes
 * API in KUBECONFIG. The stack file `Pulumi.<stack>.yaml` is written by the test into the project
 * directory (git-ignored as `Pulumi.e2e-*.yaml`) and removed afterwards; the program is the
 * project's own index.ts.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { watchSelectedColor } from "../release/cluster";

/** The project directory, whether this runs from its source (e2e/) or compiled (dist/e2e/, for a benchmark). */
export const ROOT = [path.resolve(__dirname, ".."), path.resolve(__dirname, "../..")].find((dir) => fs.existsSync(path.join(dir, "Pulumi.yaml")))!;
export const PROJECT = "bluegreen";

/** Fails at once, with what to do, when the tools are not there. */
export function requireTools(): void {
  const missing: string[] = [];
  for (const tool of ["pulumi", "kubectl"]) {
    try {
      execFileSync(tool, ["version", ...(tool === "kubectl" ? ["--client"] : [])], { stdio: "ignore", timeout: 20_000 });
    } catch {
      missing.push(tool);
    }
  }
  if (missing.length > 0 || !process.env.KUBECONFIG) {
    throw new Error(
      `the end-to-end suite needs ${[...missing, ...(process.env.KUBECONFIG ? [] : ["KUBECONFIG"])].join(", ")}: ` +
        "see README, End-to-end tests (`.ci/run` builds and starts them from ../shared/tools/e2e)",
    );
  }
}

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-e2e-state-"));
// The Automation API, the release CLI the tests spawn and kubectl all read these.
Object.assign(process.env, {
  PULUMI_BACKEND_URL: `file://${stateDir}`,
  PULUMI_CONFIG_PASSPHRASE: "e2e",
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
});

export function kubectl(...args: string[]): string {
  return execFileSync("kubectl", [...args, "--request-timeout=20s"], { encoding: "utf8", timeout: 30_000 });
}

export function kubectlJson(...args: string[]): any {
  return JSON.parse(kubectl(...args, "-o", "json"));
}

export interface StackOptions {
  readonly namespace: string;
  /** The project directory whose program the stack runs. @default the project root */
  readonly workDir?: string;
  /** The stack's config, on top of STACK_DEFAULTS (keys without the project prefix, or with another namespace's). */
  readonly config: Record<string, unknown>;
  readonly secrets: Record<string, string>;
}

/** What every test stack shares: the app `web`, blue live, and a smoke gate that fails fast. */
const STACK_DEFAULTS = { app: "web", activeColor: "blue", smoke: { timeoutSeconds: 2, retries: 0 } };

export class E2eStack {
  private constructor(
    readonly name: string,
    readonly namespace: string,
    public stack: Stack,
    private workDir: string = ROOT,
  ) {}

  get file(): string {
    return path.join(this.workDir, `Pulumi.${this.name}.yaml`);
  }

  /**
   * Runs the stack from another project directory from now on (another version of the program):
   * the stack file moves with it; the state stays in the same backend.
   */
  async moveTo(workDir: string): Promise<void> {
    const text = this.read();
    fs.rmSync(this.file, { force: true });
    this.workDir = workDir;
    this.write(text);
    this.stack = await LocalWorkspace.selectStack({ stackName: this.name, workDir });
  }

  /** Writes the stack file, creates the stack in the temp backend and its namespace in the cluster. */
  static async create(name: string, options: StackOptions): Promise<E2eStack> {
    requireTools();
    const workDir = options.workDir ?? ROOT;
    const file = path.join(workDir, `Pulumi.${name}.yaml`);
    const merged = { ...STACK_DEFAULTS, namespace: options.namespace, ...options.config };
    const config = Object.fromEntries(Object.entries(merged).map(([k, v]) => [k.includes(":") ? k : `${PROJECT}:${k}`, v]));
    fs.writeFileSync(file, stringify({ config }));
    kubectl("create", "namespace", options.namespace);
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir });
    for (const [key, value] of Object.entries(options.secrets)) await stack.setConfig(`${PROJECT}:${key}`, { value, secret: true });
    return new E2eStack(name, options.namespace, stack, workDir);
  }

  /** `pulumi up`; what changed (op and `type::name`, the stack itself left out) and how long it took. */
  async up(): Promise<UpResult> {
    const events: EngineEvent[] = [];
    const started = Date.now();
    try {
      await this.stack.up({ onEvent: (e) => events.push(e) });
      return { ok: true, changes: changes(events), seconds: (Date.now() - started) / 1000, error: "" };
    } catch (error) {
      return { ok: false, changes: changes(events), seconds: (Date.now() - started) / 1000, error: (error as Error).message };
    }
  }

  async outputs(): Promise<Record<string, any>> {
    const out = await this.stack.outputs();
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.value]));
  }

  /** The stack file's text, and a way to change it as `pulumi config set` or a commit would. */
  read(): string {
    return fs.readFileSync(this.file, "utf8");
  }

  write(text: string): void {
    fs.writeFileSync(this.file, text);
  }

  /** The stack file's bluegreen config, edited, written back (what a commit to the stack file does). */
  editConfig(edit: (config: Record<string, any>) => void): void {
    const doc = parse(this.read());
    const own: Record<string, any> = {};
    for (const [k, v] of Object.entries(doc.config)) if (k.startsWith(`${PROJECT}:`)) own[k.slice(PROJECT.length + 1)] = v;
    edit(own);
    for (const k of Object.keys(doc.config)) if (k.startsWith(`${PROJECT}:`)) delete doc.config[k];
    for (const [k, v] of Object.entries(own)) doc.config[`${PROJECT}:${k}`] = v;
    this.write(stringify(doc));
  }

  async destroy(): Promise<void> {
    try {
      await this.stack.destroy();
      await this.stack.workspace.removeStack(this.name);
    } finally {
      fs.rmSync(this.file, { force: true });
      try {
        kubectl("delete", "namespace", this.namespace, "--wait=false");
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Every object of the namespace and what it is: its uid and, for workloads, its spec's generation
 * (their status moves on its own), else its resourceVersion. Compare two reads with changedObjects.
 */
export function objectVersions(namespace: string): Record<string, string> {
  return Object.fromEntries(
    kubectlJson("get", "deployments,services,jobs,configmaps,secrets,poddisruptionbudgets,networkpolicies", "-n", namespace).items.map((o: any) => [
      `${o.kind}/${o.metadata.name}`,
      `${o.metadata.uid}/${o.kind === "Deployment" || o.kind === "Job" ? o.metadata.generation : o.metadata.resourceVersion}`,
    ]),
  );
}

/** Objects that changed, appeared or vanished between two reads of objectVersions, sorted. */
export function changedObjects(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
}

/**
 * Changed objects apart from the switch records the release CLI writes (one ConfigMap
 * `<app>-record-<time>-<nonce>` per switch it makes): `records` counts those.
 */
export function withoutRecords(changed: readonly string[]): { objects: string[]; records: number } {
  const isRecord = (k: string) => /^ConfigMap\/[a-z0-9-]+-record-\d{8}t\d{9}z-[0-9a-f]{4}$/.test(k);
  return { objects: changed.filter((k) => !isRecord(k)), records: changed.filter(isRecord).length };
}

export interface UpResult {
  readonly ok: boolean;
  /** `op type::name` of every resource step that was not `same`, sorted. */
  readonly changes: readonly string[];
  readonly seconds: number;
  readonly error: string;
}

function changes(events: readonly EngineEvent[]): string[] {
  const out = new Set<string>();
  for (const e of events) {
    const meta = e.resourcePreEvent?.metadata;
    if (!meta || meta.op === "same" || meta.op === "read" || meta.type === "pulumi:pulumi:Stack") continue;
    const name = meta.urn.split("::").pop();
    out.add(`${meta.op} ${meta.type}::${name}`);
  }
  return [...out].sort();
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  /** Seconds from the spawn to the first time the live Service (the last of them) selected the color asked for. */
  readonly conditionAfter?: number;
  /** Per live Service, seconds from the spawn to its flip. */
  readonly flips?: Record<string, number | undefined>;
}

/**
 * Runs the release CLI as the README's runbooks do, `npx bluegreen <args>` in the project directory,
 * so its times count from the user's Enter (npx and node start-up included); with `flip`, also
 * times when the live Service of that namespace first selects that color.
 */
export async function releaseCli(args: readonly string[], flip?: { namespace: string; color: string; services?: readonly string[] }): Promise<CliRun> {
  const started = Date.now();
  if (!flip) return { ...(await spawnCli(args)), seconds: (Date.now() - started) / 1000 };
  const services = flip.services ?? ["web"];
  const { result, after } = await timeFlips(flip.namespace, services, flip.color, () => spawnCli(args));
  const times = services.map((s) => after[s]);
  const last = times.some((t) => t === undefined) ? undefined : Math.max(...(times as number[]));
  return { ...result, seconds: (Date.now() - started) / 1000, conditionAfter: last, flips: after };
}

function spawnCli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["bluegreen", ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), 300_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/**
 * Starts `bluegreen watch` of `stack` in the background: one alarm, polled every second against a
 * loopback CloudWatch (`endpoint`), no settle time. Resolves `done` with its exit code and output.
 */
export function startWatch(stack: string, alarm: string, minutes: number, endpoint: string) {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    ["dist/release/cli.js", "watch", "--stack", stack, "--alarms", alarm, "--minutes", String(minutes), "--poll-seconds", "1", "--settle-minutes", "0", "--endpoint", endpoint],
    { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", AWS_ACCESS_KEY_ID: "AKIDE2E", AWS_SECRET_ACCESS_KEY: "e2e", AWS_REGION: "eu-west-1" } },
  );
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const done = new Promise<{ code: number; output: string; seconds: number }>((resolve) =>
    child.on("close", (code) => resolve({ code: code ?? 1, output, seconds: (Date.now() - started) / 1000 })),
  );
  return { done, output: () => output };
}

/** Resolves once `condition` holds; fails after `ms` with what the process printed. */
export async function waitFor(what: string, condition: () => boolean, output: () => string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the watch printed: ${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** stderr without the progress lines a waiting command prints (`  … waiting for X (N s)`). */
export function withoutProgress(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !/^ {2}… waiting for .* \(\d+ s\)$/.test(line))
    .join("\n");
}

/** A project directory of its own, in a git repository: Pulumi.yaml runs this project's program. */
export interface GitProject {
  readonly dir: string;
  /** Commits every change; resolves with the commit. */
  commit(message: string): string;
  git(...args: string[]): string;
}

/**
 * A temp project directory whose Pulumi.yaml points `main` at this project's program, in a git
 * repository of its own: a stack created there has a stack file with a git history (what the
 * drift check and `history` read), while the program stays the one under test.
 */
export function gitProject(): GitProject {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-e2e-project-"));
  const projectYaml = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, `main: ${path.join(ROOT, "index.ts")}`);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), projectYaml);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 20_000 }).trim();
  git("init", "-q", "-b", "main");
  git("config", "user.name", "Oncall E2e");
  git("config", "user.email", "oncall@example.com");
  return {
    dir,
    git,
    commit: (message) => {
      git("add", "-A");
      git("commit", "-qm", message);
      return git("rev-parse", "HEAD");
    },
  };
}

/**
 * Runs `action` while one `kubectl --watch` stream follows the live Service; resolves with the
 * action's result and the seconds from the start to the first time the Service selected `color`
 * (undefined if it never did). A stream, not polling: on two cores a kubectl every 100 ms would
 * take CPU from the `pulumi up` being timed.
 */
export async function timeFlip<T>(namespace: string, color: string, action: () => Promise<T>): Promise<{ result: T; after?: number }> {
  const { result, after } = await timeFlips(namespace, ["web"], color, action);
  return { result, after: after.web };
}

/**
 * `timeFlip` for several live Services at once, each followed by its own watch stream started
 * before the action: seconds from the start to each Service's first selecting `color`.
 */
export async function timeFlips<T>(
  namespace: string,
  services: readonly string[],
  color: string,
  action: () => Promise<T>,
): Promise<{ result: T; after: Record<string, number | undefined> }> {
  const started = Date.now();
  const flips = services.map((service) => watchSelectedColor(namespace, service, color));
  try {
    const result = await action();
    await Promise.race([Promise.all(flips.map((f) => f.seen)), new Promise((r) => setTimeout(r, 2_000))]);
    flips.forEach((f) => f.stop());
    const seen = await Promise.all(flips.map((f) => f.seen));
    return { result, after: Object.fromEntries(services.map((s, i) => [s, seen[i] === undefined ? undefined : (seen[i]! - started) / 1000])) };
  } finally {
    flips.forEach((f) => f.stop());
  }
}

/** Prints one timing line (collected in the CI log). */
export function timing(label: string, seconds: number | undefined): void {
  process.stdout.write(`[e2e timing] ${label}: ${seconds === undefined ? "n/a" : `${seconds.toFixed(2)} s`}\n`);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
