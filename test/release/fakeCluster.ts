/**
 * Stand-ins for `kubectl` and `pulumi` on PATH, for running `rollback --apply` in-process: `kubectl`
 * answers the reads the switch makes from a JSON file (Deployments, Jobs, live Services' selected
 * colors), creates, lists and deletes the switch records there, and streams `<name> <color>` lines
 * for a `--watch` of the live Services; `pulumi` records
 * its arguments and, for `up`, flips the selector of each live Service it is given a `--target` of,
 * as the engine would (`refresh` changes nothing; `stack export` prints a state with no pending
 * operation). Every call of either is logged, so tests assert what was run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { switchRecordName } from "../../domain/names";

export interface ClusterState {
  /** Deployment name -> the object `kubectl get deployment -o json` prints. */
  deployments: Record<string, unknown>;
  /** Job name -> the object `kubectl get job -o json` prints. */
  jobs: Record<string, unknown>;
  /** Live Service name -> the color its selector names. */
  services: Record<string, string>;
  /** The switch records (ConfigMaps) written with `kubectl create -f -`. */
  records?: unknown[];
  /** What `pulumi stack output --json` prints; `pulumi` fails as for a missing stack when unset. */
  outputs?: Record<string, unknown>;
  /** What `pulumi stack history --json` prints. */
  history?: unknown[];
}

export interface FakeCluster {
  readonly state: () => ClusterState;
  /** Every `kubectl` and `pulumi` call: the program, then its arguments. */
  readonly calls: () => string[][];
  /** Puts the fakes first on PATH; returns the function that restores the environment. */
  readonly install: (options?: { pulumiFails?: string; noNotice?: boolean; deleteFails?: string }) => () => void;
}

const KUBECTL = `
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify(["kubectl", ...args]) + "\\n");
const read = () => JSON.parse(fs.readFileSync(process.env.FAKE_CLUSTER, "utf8"));
const write = (state) => { fs.writeFileSync(process.env.FAKE_CLUSTER + ".k", JSON.stringify(state)); fs.renameSync(process.env.FAKE_CLUSTER + ".k", process.env.FAKE_CLUSTER); };
if (args[0] === "--context") args.splice(0, 2);
const [verb, kind, name] = args;
if (verb === "create") {
  // A switch record: kubectl create -f - (the object on stdin).
  const object = JSON.parse(fs.readFileSync(0, "utf8"));
  const state = read();
  state.records = [...(state.records || []), object];
  write(state);
  process.stdout.write("configmap/" + object.metadata.name + "\\n");
  process.exit(0);
}
if (verb === "delete") {
  // The records' pruning: kubectl delete configmap -n <ns> [flags] <name>...
  if (process.env.FAKE_DELETE_FAILS) { console.error(process.env.FAKE_DELETE_FAILS); process.exit(1); }
  const names = args.slice(2).filter((arg, i, rest) => !arg.startsWith("-") && rest[i - 1] !== "-n");
  const state = read();
  state.records = (state.records || []).filter((o) => !names.includes(o.metadata.name));
  write(state);
  for (const n of names) process.stdout.write('configmap "' + n + '" deleted\\n');
  process.exit(0);
}
if (verb !== "get") { console.error("fake kubectl: only get, create and delete"); process.exit(1); }
if (args.includes("--watch")) {
  const names = /app in \\(([^)]*)\\)/.exec(args[args.indexOf("-l") + 1])[1].split(",");
  const printed = {};
  const tick = () => {
    const services = read().services;
    for (const n of names) if (n in services && services[n] !== printed[n]) { process.stdout.write(n + " " + services[n] + "\\n"); printed[n] = services[n]; }
  };
  tick();
  setInterval(tick, 20);
} else if (kind === "services,deployments,jobs,configmaps") {
  // status: the live Services, Deployments, Jobs and switch records of the apps in the selector.
  const apps = /app in \\(([^)]*)\\)/.exec(args[args.indexOf("-l") + 1])[1].split(",");
  const state = read();
  const ofApps = (name) => apps.some((app) => name === app || name.startsWith(app + "-"));
  const items = [
    ...Object.entries(state.services).filter(([n]) => apps.includes(n)).map(([n, color]) => ({ kind: "Service", metadata: { name: n, labels: { app: n, role: "live" } }, spec: { selector: { app: n, color } } })),
    ...Object.entries(state.deployments).filter(([n]) => ofApps(n)).map(([n, o]) => ({ kind: "Deployment", ...o, metadata: { ...(o.metadata || {}), name: n } })),
    ...Object.entries(state.jobs).filter(([n]) => ofApps(n)).map(([n, o]) => ({ kind: "Job", ...o, metadata: { labels: { role: n.includes("-smoke-") ? "smoke" : "migration" }, ...(o.metadata || {}), name: n } })),
    ...(state.records || []).map((o) => ({ kind: "ConfigMap", ...o })),
  ];
  process.stdout.write(JSON.stringify({ kind: "List", items }));
} else if (kind === "configmaps") {
  // The records of one app and kind, by name: get configmaps -l app=<app>,bluegreen.dev/record=<kind> -o name.
  const wanted = args[args.indexOf("-l") + 1].split(",").map((pair) => pair.split("="));
  const labelled = (o) => wanted.every(([key, value]) => (o.metadata.labels || {})[key] === value);
  for (const o of (read().records || []).filter(labelled)) process.stdout.write("configmap/" + o.metadata.name + "\\n");
} else if (kind === "deployments,jobs") {
  // One read of every Deployment and Job of the services named in the selector (by their name prefix here).
  const apps = /app in \\(([^)]*)\\)/.exec(args[args.indexOf("-l") + 1])[1].split(",");
  const state = read();
  const ofApps = (name) => apps.some((app) => name.startsWith(app + "-"));
  const items = [
    ...Object.entries(state.deployments).filter(([n]) => ofApps(n)).map(([n, o]) => ({ kind: "Deployment", ...o, metadata: { ...(o.metadata || {}), name: n } })),
    ...Object.entries(state.jobs).filter(([n]) => ofApps(n)).map(([n, o]) => ({ kind: "Job", ...o, metadata: { ...(o.metadata || {}), name: n } })),
  ];
  process.stdout.write(JSON.stringify({ kind: "List", items }));
} else {
  const table = { deployment: "deployments", job: "jobs", service: "services" }[kind];
  const found = read()[table][name];
  if (found === undefined) { console.error("Error from server (NotFound): " + table + ' "' + name + '" not found'); process.exit(1); }
  process.stdout.write(JSON.stringify(kind === "service" ? { spec: { selector: { app: name, color: found } } } : found));
}
`;

const PULUMI = `
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify(["pulumi", ...args]) + "\\n");
if (args[0] === "stack" && args[1] === "export") { process.stdout.write(JSON.stringify({ version: 3, deployment: { resources: [] } })); process.exit(0); }
if (process.env.FAKE_PULUMI_FAILS) { console.log("Updating (stack):"); console.error("error: " + process.env.FAKE_PULUMI_FAILS); process.exit(255); }
// A refresh reads the cluster into the state: nothing in the cluster changes.
if (args[0] === "refresh") process.exit(0);
const state = JSON.parse(fs.readFileSync(process.env.FAKE_CLUSTER, "utf8"));
if (args[0] === "stack") {
  const printed = args[1] === "output" ? state.outputs : state.history;
  if (printed === undefined) { console.error("error: no stack named '" + args[args.indexOf("--stack") + 1] + "' found"); process.exit(255); }
  process.stdout.write(JSON.stringify(printed));
  process.exit(0);
}
// Like the engine: each targeted live Service selects what the stack file says now, the maintenance
// page while \`maintenance.enabled\` is true.
const stackName = args[args.indexOf("--stack") + 1];
const text = fs.readFileSync(require("path").join(process.cwd(), "Pulumi." + stackName + ".yaml"), "utf8");
const inMaintenance = /bluegreen:maintenance:\\n(?: {4}.*\\n)*? {4}enabled: true/.test(text);
const selects = inMaintenance ? "maintenance" : /bluegreen:activeColor: (\\w+)/.exec(text)[1];
// A stack without its switch notice yet: the engine refuses a target it does not have.
const missing = args.find((arg, i) => args[i - 1] === "--target" && arg.includes("SwitchNotice") && process.env.FAKE_NO_NOTICE);
if (missing) { console.error("error: Target '" + missing + "' could not be found in the stack."); process.exit(255); }
args.forEach((arg, i) => {
  if (arg !== "--target") return;
  const live = /::([^:]+)-live$/.exec(args[i + 1]);
  if (live) state.services[live[1]] = selects;
});
setTimeout(() => {
  fs.writeFileSync(process.env.FAKE_CLUSTER + ".tmp", JSON.stringify(state));
  fs.renameSync(process.env.FAKE_CLUSTER + ".tmp", process.env.FAKE_CLUSTER);
  setTimeout(() => process.exit(0), 100);
}, 100);
`;

/** A Deployment that is fully rolled out and available on `image`. */
export function readyDeployment(image: string, replicas = 2): unknown {
  return {
    metadata: { generation: 3 },
    spec: { replicas, template: { spec: { containers: [{ image }] } } },
    status: { observedGeneration: 3, updatedReplicas: replicas, availableReplicas: replicas, readyReplicas: replicas },
  };
}

/** The time of the first record recordConfigMap makes (before any test's real switch). */
export const RECORDS_START = Date.UTC(2020, 0, 1);

/** A switch or watch record's ConfigMap as writeRecord writes it, `hours` after RECORDS_START. */
export function recordConfigMap(app: string, kind: "switch" | "watch", hours: number): { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> } {
  const at = new Date(RECORDS_START + hours * 3_600_000);
  const record =
    kind === "switch"
      ? { kind, at: at.toISOString(), stack: "shop", from: hours % 2 ? "green" : "blue", to: hours % 2 ? "blue" : "green", images: {}, how: "rollback --apply", who: "bob" }
      : { kind, at: at.toISOString(), stack: "shop", color: "green", state: "passed", who: "ci" };
  return {
    metadata: { name: switchRecordName(app, at, kind === "switch" ? "00aa" : "00bb"), labels: { app, "bluegreen.dev/record": kind } },
    data: { "record.json": JSON.stringify(record) },
  };
}

/** A Job that completed. */
export const COMPLETE_JOB = { status: { conditions: [{ type: "Complete", status: "True" }] } };

export function fakeCluster(initial: ClusterState): FakeCluster {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-fakes-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  for (const [name, body] of [["kubectl", KUBECTL], ["pulumi", PULUMI]]) {
    fs.writeFileSync(path.join(bin, name), `#!${process.execPath}\n${body}`, { mode: 0o755 });
  }
  const stateFile = path.join(dir, "cluster.json");
  const callsFile = path.join(dir, "calls.jsonl");
  fs.writeFileSync(stateFile, JSON.stringify(initial));
  fs.writeFileSync(callsFile, "");
  return {
    state: () => JSON.parse(fs.readFileSync(stateFile, "utf8")),
    calls: () => fs.readFileSync(callsFile, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line)),
    install: (options = {}) => {
      const saved = { ...process.env };
      process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
      process.env.FAKE_CLUSTER = stateFile;
      process.env.FAKE_CALLS = callsFile;
      if (options.pulumiFails) process.env.FAKE_PULUMI_FAILS = options.pulumiFails;
      if (options.noNotice) process.env.FAKE_NO_NOTICE = "1";
      if (options.deleteFails) process.env.FAKE_DELETE_FAILS = options.deleteFails;
      return () => {
        for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
        Object.assign(process.env, saved);
      };
    },
  };
}

let unreachableBin: string | undefined;

/**
 * `kubectl` and `pulumi` that fail as they do with no cluster and no stack: what the release CLI
 * meets on a laptop without credentials. Puts them first on PATH; returns the restore function.
 */
export function installUnreachable(): () => void {
  if (unreachableBin === undefined) {
    unreachableBin = fs.mkdtempSync(path.join(os.tmpdir(), "release-unreachable-"));
    const fail = (message: string, code: number) => `#!${process.execPath}\nprocess.stderr.write(${JSON.stringify(message)} + "\\n");\nprocess.exit(${code});\n`;
    fs.writeFileSync(path.join(unreachableBin, "kubectl"), fail("The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?", 1), { mode: 0o755 });
    fs.writeFileSync(path.join(unreachableBin, "pulumi"), fail("error: no stack found: log in to its backend", 255), { mode: 0o755 });
  }
  const saved = process.env.PATH;
  process.env.PATH = `${unreachableBin}${path.delimiter}${saved}`;
  return () => {
    process.env.PATH = saved;
  };
}
