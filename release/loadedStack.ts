/**
 * The stack file a release command works on, loaded with its project file, and the release state
 * read from it (or from one of its commits) with the same rules `pulumi up` applies.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { SECRET_CONFIG_KEYS, servicesOf, stackConfigSchema, validateStackConfig } from "../config";
import { mergeStackConfig, projectName, withoutSecrets } from "../lib/stackFile";
import { UsageError } from "./args";
import { committedText } from "./sameCommit";
import { StackDocument } from "./stackDocument";
import { ReleaseState } from "./transitions";

export interface Loaded {
  readonly file: string;
  readonly fileName: string;
  readonly projectText: string;
  readonly doc: StackDocument;
}

/** Loads `Pulumi.<stack>.yaml` (or `file`) from `cwd`, and Pulumi.yaml next to it. */
export function load(stack: string, file: string | undefined, cwd: string): Loaded {
  const resolved = path.resolve(cwd, file ?? `Pulumi.${stack}.yaml`);
  const fileName = path.basename(resolved);
  if (!fs.existsSync(resolved)) {
    throw new UsageError(`${fileName} not found in ${path.dirname(resolved)}: run from the project directory or pass \`--file <path>\``);
  }
  const projectFile = path.join(path.dirname(resolved), "Pulumi.yaml");
  if (!fs.existsSync(projectFile)) throw new UsageError(`Pulumi.yaml not found next to ${fileName}, in ${path.dirname(resolved)}`);
  const projectText = fs.readFileSync(projectFile, "utf8");
  const doc = new StackDocument(fs.readFileSync(resolved, "utf8"), projectName(projectText), fileName);
  return { file: resolved, fileName, projectText, doc };
}

/** The config `pulumi up` would read from this document, checked with config.ts's rules. */
export function check(loaded: Loaded, doc: StackDocument = loaded.doc) {
  return validateStackConfig(withoutSecrets(mergeStackConfig(loaded.projectText, doc.text), SECRET_CONFIG_KEYS));
}

/** The release state of the loaded file, or the config problems that keep it from parsing. */
export function releaseState(loaded: Loaded, stack: string): ReleaseState | string[] {
  const raw = withoutSecrets(mergeStackConfig(loaded.projectText, loaded.doc.text), SECRET_CONFIG_KEYS);
  const parsed = stackConfigSchema.safeParse(raw);
  if (parsed.success) {
    const { app, activeColor, colors, maintenance } = parsed.data;
    return { stack, app, activeColor, colors, services: servicesOf(parsed.data), maintenance: maintenance ? { enabled: maintenance.enabled } : undefined };
  }
  const result = validateStackConfig(raw);
  return result.ok ? [] : result.problems;
}

/** The release state of the stack file at a commit (HEAD by default), when it exists there and parses. */
export function stateAt(loaded: Loaded, stack: string, ref = "HEAD"): ReleaseState | undefined {
  const text = committedText(loaded.file, ref);
  if (text === undefined) return undefined;
  try {
    const state = releaseState({ ...loaded, doc: new StackDocument(text, loaded.doc.project, loaded.fileName) }, stack);
    return Array.isArray(state) ? undefined : state;
  } catch {
    return undefined;
  }
}

/** The stack's `kubernetes:context`, when it sets one: the context `pulumi up` talks to. */
export function kubeContextOf(loaded: Loaded): string | undefined {
  const config = (parse(loaded.doc.text) as { config?: Record<string, unknown> } | null)?.config;
  const context = config?.["kubernetes:context"];
  return typeof context === "string" && context !== "" ? context : undefined;
}
