/**
 * Stand-ins for `kubectl` and `pulumi` on PATH, for running `rollback --apply` in-process: `kubectl`
 * answers the reads the switch makes from a JSON file (Deployments, Jobs, live Services' selected
 * colors) and streams `<name> <color>` lines for a `--watch` of the live Services; `pulumi` records
 * its arguments and, for `up`, flips the selector of each live Service it is given a `--target` of,
 * as the engine would (`refresh` changes nothing; `stack export` prints a state with no pending
 * operation). Every call of either is logged, so tests assert what was run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface ClusterState {
  /** Deployment name -> the object `kubectl get deployment -o json` prints. */
  deployments: Record<string, unknown>;
  /** Job name -> the object `kubectl get job -o json` prints. */
  jobs: Record<string, unknown>;
  /** Live Service name -> the color its selector names. */
  services: Record<string, string>;
}

export interface FakeCluster {
  readonly state: () => ClusterState;
  /** Every `kubectl` and `pulumi` call: the program, then its arguments. */
  readonly calls: () => string[][];
  /** Puts the fakes first on PATH; returns the function that restores the environment. */
  readonly install: (options?: { pulumiFails?: string }) => () => void;
}

const KUBECTL = `
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify(["kubectl", ...args]) + "\\n");
const read = () => JSON.parse(fs.readFileSync(process.env.FAKE_CLUSTER, "utf8"));
const [verb, kind, name] = args;
if (verb !== "get") { console.error("fake kubectl: only get"); process.exit(1); }
if (args.includes("--watch")) {
  const names = /app in \\(([^)]*)\\)/.exec(args[args.indexOf("-l") + 1])[1].split(",");
  const printed = {};
  const tick = () => {
    const services = read().services;
    for (const n of names) if (n in services && services[n] !== printed[n]) { process.stdout.write(n + " " + services[n] + "\\n"); printed[n] = services[n]; }
  };
  tick();
  setInterval(tick, 20);
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
args.forEach((arg, i) => {
  if (arg !== "--target") return;
  const service = /::([^:]+)-live$/.exec(args[i + 1])[1];
  state.services[service] = state.services[service] === "blue" ? "green" : "blue";
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
    status: { observedGeneration: 3, updatedReplicas: replicas, availableReplicas: replicas },
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
      return () => {
        for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
        Object.assign(process.env, saved);
      };
    },
  };
}
