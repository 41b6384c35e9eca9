/**
 * Evaluates the whole stack program under `pulumi.runtime.setMocks`, with the config a real
 * `pulumi up` would read: the project defaults from Pulumi.yaml merged with Pulumi.<stack>.yaml,
 * optionally edited. Returns every registered resource with its inputs, parent, dependencies and
 * options, plus the resolved stack outputs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { parse } from "yaml";
import { mergeStackConfig } from "../../lib/stackFile";

export const ROOT = path.resolve(__dirname, "../..");
export const PROJECT = "bluegreen";
export type StackName = "staging" | "production";
export type PlainConfig = Record<string, any>;

/** Secret config a stack needs; real stacks set these with `pulumi config set --secret`. */
export const TEST_SECRETS: Record<StackName, Record<string, string>> = {
  staging: {
    databaseUrl: "postgres://web:staging-db-password@db.staging.internal:5432/web",
    sessionSecret: "staging-session-secret-value",
    restoreCheckDatabaseUrl: "postgres://restore_check:staging-scratch-password@scratch-db.staging.internal:5432/postgres",
  },
  production: {
    databaseUrl: "postgres://web:production-db-password@db.production.internal:5432/web",
    sessionSecret: "production-session-secret-value",
    restoreCheckDatabaseUrl: "postgres://restore_check:production-scratch-password@scratch-db.production.internal:5432/postgres",
    pagerdutyEndpoint: "https://events.pagerduty.com/integration/5f2b9c1e0a7d4e3b8c6a1f9d2e4b7a01/enqueue",
  },
};

export interface RegisteredResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly parent: string;
  readonly custom: boolean;
  /** Inputs as the provider sees them (secrets unwrapped). */
  readonly inputs: any;
  /** Inputs as serialized for the engine: secrets are still wrapped in the secret signature. */
  readonly wireInputs: any;
  /** URNs of explicit `dependsOn` resources (components expanded to their children). */
  readonly dependencies: readonly string[];
  /** Per input property, the URNs of the resources its value came from. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  readonly protect: boolean;
  readonly deleteBeforeReplace: boolean;
  /** `ignoreChanges` property paths, as registered. */
  readonly ignoreChanges: readonly string[];
  readonly aliases: readonly unknown[];
  /** `customTimeouts` as registered (`{create, update, pb_delete}`), when set. */
  readonly customTimeouts?: { create: string; update: string };
}

export interface ProgramRun {
  readonly resources: readonly RegisteredResource[];
  /** Invokes the program made (token and inputs), in order. */
  readonly calls: readonly { readonly token: string; readonly inputs: any }[];
  readonly outputs: Record<string, unknown>;
  /** Names of stack outputs that are secret. */
  readonly secretOutputs: readonly string[];
  /** What the program threw, if it did. */
  readonly error?: Error;
  /** The one resource with this type and name; throws when there is not exactly one. */
  get(type: string, name: string): RegisteredResource;
  ofType(type: string): RegisteredResource[];
}

export interface RunOptions {
  /** Edits the plain stack config (keys without the project prefix) before the program runs. */
  readonly edit?: (config: PlainConfig) => void;
  /** Secret config; defaults to TEST_SECRETS for the stack. */
  readonly secrets?: Record<string, string>;
  /** Extra config set in plain text under the project prefix (for example a secret stored wrongly). */
  readonly plain?: Record<string, string>;
  /** Config of other namespaces, with their full keys (for example `aws:region`). */
  readonly otherConfig?: Record<string, string>;
}

/** Project defaults from Pulumi.yaml merged with the stack file, keys without the `bluegreen:` prefix. */
export function loadStackConfig(stack: StackName): PlainConfig {
  return mergeStackConfig(
    fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"),
    fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"),
  );
}

/**
 * Turns a stack of services back into the one-service shorthand of its app-named service (staging's
 * `web`): no `services`, `colors.<c>.image` from `colors.<c>.images.<app>`. For tests about the
 * shorthand's own objects and outputs on a stack that declares services. Returns the config.
 */
export function oneService(config: PlainConfig): PlainConfig {
  const app = config.app as string;
  delete config.services;
  for (const color of Object.keys(config.colors ?? {})) {
    const declared = config.colors[color];
    if (declared.images === undefined) continue;
    if (declared.images[app] !== undefined) declared.image = declared.images[app];
    delete declared.images;
  }
  return config;
}

/** The stack file's keys of other namespaces (`aws:region`, `kubernetes:context`), with their full keys. */
export function loadOtherConfig(stack: StackName): Record<string, string> {
  const stackFile = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
  const other: Record<string, string> = {};
  for (const [key, value] of Object.entries(stackFile.config ?? {})) {
    if (!key.startsWith(`${PROJECT}:`)) other[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return other;
}

function propertyDependenciesOf(req: any): Record<string, string[]> {
  const byProperty: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps: any, prop: string) => (byProperty[prop] = deps.getUrnsList()));
  return byProperty;
}

const stateModule = require("@pulumi/pulumi/runtime/state");
const settingsModule = require("@pulumi/pulumi/runtime/settings");

export async function runProgram(stack: StackName, options: RunOptions = {}): Promise<ProgramRun> {
  const config = loadStackConfig(stack);
  options.edit?.(config);

  const all: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    all[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  const secrets = options.secrets ?? TEST_SECRETS[stack];
  for (const [key, value] of Object.entries(secrets)) all[`${PROJECT}:${key}`] = value;
  for (const [key, value] of Object.entries(options.plain ?? {})) all[`${PROJECT}:${key}`] = value;
  for (const [key, value] of Object.entries({ ...loadOtherConfig(stack), ...options.otherConfig })) all[key] = value;

  vi.resetModules();
  pulumi.runtime.setAllConfig(all, Object.keys(secrets).map((key) => `${PROJECT}:${key}`));

  const registered = new Map<string, Omit<RegisteredResource, "inputs" | "urn">>();
  const inputsByKey = new Map<string, any>();
  const resources: RegisteredResource[] = [];
  const calls: { token: string; inputs: any }[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        inputsByKey.set(`${args.type}::${args.name}`, args.inputs);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => {
        calls.push({ token: args.token, inputs: args.inputs });
        return args.inputs;
      },
    },
    PROJECT,
    stack,
    false,
  );

  // Wrap the mock monitor to keep what the mocks API does not pass on: parent, dependencies, options.
  const monitor = stateModule.getStore().settings.monitor;
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: any, res: any) => void) => {
    const key = `${req.getType()}::${req.getName()}`;
    registered.set(key, {
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent(),
      custom: req.getCustom(),
      wireInputs: req.getObject()?.toJavaScript() ?? {},
      dependencies: req.getDependenciesList(),
      propertyDependencies: propertyDependenciesOf(req),
      protect: req.getProtect() ?? false,
      deleteBeforeReplace: req.getDeletebeforereplace() ?? false,
      ignoreChanges: req.getIgnorechangesList(),
      aliases: req.getAliasesList().map((a: any) => a.toObject()),
      customTimeouts: req.getCustomtimeouts()?.toObject(),
    });
    registerResource(req, (err: any, res: any) => {
      if (!err) {
        resources.push({ ...registered.get(key)!, urn: res.getUrn(), inputs: inputsByKey.get(key) });
      }
      callback(err, res);
    });
  };

  let program: Record<string, unknown> = {};
  let error: Error | undefined;
  try {
    program = await import("../../index");
  } catch (e) {
    error = e as Error;
  }
  await settingsModule.waitForRPCs();

  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [name, value] of Object.entries(program)) {
    if (name === "default" || name === "__esModule") continue;
    const output = pulumi.output(value) as any;
    outputs[name] = await output.promise();
    if (await output.isSecret) secretOutputs.push(name);
  }
  await settingsModule.waitForRPCs();

  const get = (type: string, name: string) => {
    const found = resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
  };
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return { resources, calls, outputs, secretOutputs, error, get, ofType };
}

/** Resources whose inputs differ between two runs, keyed `type::name`; added and removed ones too. */
export function changedResources(before: ProgramRun, after: ProgramRun): string[] {
  const key = (r: RegisteredResource) => `${r.type}::${r.name}`;
  const beforeMap = new Map(before.resources.map((r) => [key(r), r]));
  const afterMap = new Map(after.resources.map((r) => [key(r), r]));
  const changed = new Set<string>();
  for (const [k, r] of afterMap) {
    const old = beforeMap.get(k);
    if (!old || JSON.stringify(old.wireInputs) !== JSON.stringify(r.wireInputs)) changed.add(k);
  }
  for (const k of beforeMap.keys()) if (!afterMap.has(k)) changed.add(k);
  return [...changed].sort();
}

/** The signature key Pulumi wraps a secret value in on the wire: `{[SECRET_SIG]: <id>, value}`. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** `value` with every secret envelope replaced by `"[secret]"`: what would be stored in plain text. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== "object") return value;
  if (SECRET_SIG in value) return "[secret]";
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v)]));
}
