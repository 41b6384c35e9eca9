/**
 * The few things the switch needs to know about a file backend (`pulumi login file://...`), found
 * only after an update failed: where the stack's state file and lock files are, and a repair.
 *
 * The backend stores every object as two files: the object (the checkpoint `<stack>.json`, a lock
 * `<uuid>.json`) and a metadata sidecar `<object>.attrs`. The object is written to a temp file and
 * renamed, so it is always whole; the sidecar is written in place. A `pulumi` killed while writing
 * the sidecar leaves it empty, and from then on every command of the stack fails with "failed to
 * load checkpoint: EOF" (a lock's: "EOF"), though the checkpoint itself is intact (seen on the real
 * CLI when a switch was killed during its state write). The sidecar holds only the content type and
 * a checksum; without it the backend reads the object as it is. So a sidecar that does not parse,
 * beside an object that does, is removed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { projectName } from "../lib/stackFile";
import { runPulumi } from "./pulumiCli";

/** The local folder of the backend the CLI is logged in to; undefined for any other backend. */
export async function fileBackendRoot(workDir: string): Promise<string | undefined> {
  const whoami = await runPulumi(["whoami", "--json"], workDir, 15_000).catch(() => undefined);
  try {
    const url: unknown = whoami?.code === 0 ? JSON.parse(whoami.output.slice(whoami.output.indexOf("{"))).url : undefined;
    return typeof url === "string" && url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : undefined;
  } catch {
    return undefined;
  }
}

/** The project of the Pulumi.yaml in `workDir`. */
export function projectOf(workDir: string): string | undefined {
  try {
    return projectName(fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8"));
  } catch {
    return undefined;
  }
}

/** The stack's state file: the project-scoped layout (`stacks/<project>/<stack>.json`), else the legacy one. */
export function stateFileOf(root: string, project: string | undefined, stack: string): string | undefined {
  const stacks = path.join(root, ".pulumi", "stacks");
  return [project ? path.join(stacks, project, `${stack}.json`) : undefined, path.join(stacks, `${stack}.json`)].find(
    (file): file is string => file !== undefined && fs.existsSync(file),
  );
}

/** The stack's lock files (`locks/<org>/<project>/<stack>/*.json`). */
export function lockFilesOf(root: string, project: string | undefined, stack: string): string[] {
  const locks = path.join(root, ".pulumi", "locks");
  if (!project || !fs.existsSync(locks)) return [];
  return fs
    .readdirSync(locks)
    .map((org) => path.join(locks, org, project, stack))
    .filter((dir) => fs.existsSync(dir))
    .flatMap((dir) => fs.readdirSync(dir).filter((name) => name.endsWith(".json")).map((name) => path.join(dir, name)));
}

/** Whether the file holds a checkpoint (`{ version, checkpoint }`) that parses. */
export function isCheckpoint(file: string): boolean {
  return parses(file, (json) => json?.checkpoint !== undefined);
}

function parses(file: string, check: (json: any) => boolean = () => true): boolean {
  try {
    return check(JSON.parse(fs.readFileSync(file, "utf8")));
  } catch {
    return false;
  }
}

/**
 * Removes the metadata sidecar of each of `objects` when the sidecar does not parse and the object
 * does; returns one line per sidecar removed.
 */
export function repairSidecars(objects: readonly string[]): string[] {
  const lines: string[] = [];
  for (const object of objects) {
    const sidecar = `${object}.attrs`;
    if (!fs.existsSync(sidecar) || parses(sidecar) || !parses(object)) continue;
    fs.rmSync(sidecar);
    lines.push(`Removed ${sidecar}: the backend's metadata of ${path.basename(object)}, left unreadable by a \`pulumi\` stopped while writing it (${path.basename(object)} itself is whole).`);
  }
  return lines;
}

/** Repairs the sidecars of the stack's state file, its backup and its lock files; the lines say what was removed. */
export async function repairStackSidecars(workDir: string, stack: string): Promise<string[]> {
  const root = await fileBackendRoot(workDir);
  if (root === undefined) return [];
  const project = projectOf(workDir);
  const state = stateFileOf(root, project, stack);
  return repairSidecars([...(state ? [state, `${state}.bak`] : []), ...lockFilesOf(root, project, stack)]);
}
