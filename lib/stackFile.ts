/**
 * The stack config as `pulumi up` sees it, read from files: the project's `config:` block in
 * Pulumi.yaml (defaults) with the stack file's `<project>:` keys on top. Used by the release CLI to
 * validate an edit before it is written, and by the tests to run the program on the real files.
 */
import { parse } from "yaml";
import { decodeConfigValue } from "./configValue";

export type PlainConfig = Record<string, any>;

/** The project name (`name:` in Pulumi.yaml). */
export function projectName(projectYaml: string): string {
  const name = (parse(projectYaml) as { name?: unknown } | null)?.name;
  if (typeof name !== "string" || name === "") throw new Error("Pulumi.yaml has no `name`");
  return name;
}

/** A project `config:` entry is a typed spec with a `default`, an object with a `value`, or a bare value. */
function projectValue(spec: unknown): { set: boolean; value?: unknown } {
  if (spec && typeof spec === "object" && !Array.isArray(spec)) {
    if ("default" in spec) return { set: true, value: (spec as { default: unknown }).default };
    if ("value" in spec) return { set: true, value: (spec as { value: unknown }).value };
    if ("type" in spec || "description" in spec) return { set: false };
  }
  return { set: true, value: spec };
}

/** Keys of `config` that belong to `project`, without the `<project>:` prefix. */
function ownKeys(config: Record<string, unknown>, project: string, prefixOptional: boolean): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(`${project}:`)) own[key.slice(project.length + 1)] = value;
    else if (prefixOptional && !key.includes(":")) own[key] = value;
  }
  return own;
}

/**
 * The plain values a stack file sets for the project, keys without the prefix, as the program reads
 * them: a top-level string is decoded like Pulumi does (`"true"` is `true`, `"3"` is 3), since
 * `pulumi config set` writes every scalar it touches as a string.
 */
export function stackFileValues(stackYaml: string, project: string): PlainConfig {
  const stackFile = (parse(stackYaml) ?? {}) as { config?: Record<string, unknown> };
  const values = ownKeys(stackFile.config ?? {}, project, false);
  for (const [key, value] of Object.entries(values)) if (typeof value === "string") values[key] = decodeConfigValue(value);
  return values;
}

/** Project defaults from Pulumi.yaml merged with the stack file's values, keys without the prefix. */
export function mergeStackConfig(projectYaml: string, stackYaml: string): PlainConfig {
  const project = projectName(projectYaml);
  const projectFile = (parse(projectYaml) ?? {}) as { config?: Record<string, unknown> };
  const config: PlainConfig = {};
  for (const [key, spec] of Object.entries(ownKeys(projectFile.config ?? {}, project, true))) {
    const { set, value } = projectValue(spec);
    if (set) config[key] = value;
  }
  return { ...config, ...stackFileValues(stackYaml, project) };
}

/** An encrypted value as `pulumi config set --secret` writes it: `{ secure: <ciphertext> }`. */
function isEncrypted(value: unknown): boolean {
  return !!value && typeof value === "object" && typeof (value as { secure?: unknown }).secure === "string";
}

/**
 * What `validateStackConfig` receives: the merged config without secret values, which `loadConfig`
 * also leaves out (the keys in `secretKeys`, the keys `secretEnv` names, anything encrypted).
 */
export function withoutSecrets(config: PlainConfig, secretKeys: readonly string[]): PlainConfig {
  const skip = new Set<string>(secretKeys);
  const secretEnv = config.secretEnv;
  if (secretEnv && typeof secretEnv === "object") {
    for (const key of Object.values(secretEnv)) if (typeof key === "string") skip.add(key);
  }
  const plain: PlainConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (!skip.has(key) && !isEncrypted(value)) plain[key] = value;
  }
  return plain;
}
