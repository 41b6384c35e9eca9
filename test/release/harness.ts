/** Runs the release CLI in-process on temporary copies of the real Pulumi.yaml and stack files. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../release/cli";
import { ROOT } from "../helpers/program";
import { installUnreachable } from "./fakeCluster";

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** A temp dir holding copies of Pulumi.yaml and both stack files; `edit` rewrites a copy first. */
export function copyStacks(): { dir: string; read(stack: string): string; write(stack: string, text: string): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-"));
  for (const file of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml"]) {
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  return {
    dir,
    read: (stack) => fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8"),
    write: (stack, text) => fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text),
  };
}

export function original(stack: string): string {
  return fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
}

/** `text` with `from` replaced by `to`, asserting `from` occurs exactly once. */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one ${JSON.stringify(from)}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

export async function release(
  dir: string,
  argv: string[],
  options: { isTTY?: boolean; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  // Without a fake cluster installed, the CLI meets no cluster and no stack, never a real one.
  const restore = process.env.FAKE_CLUSTER === undefined ? installUnreachable() : undefined;
  try {
    const code = await run(argv, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      isTTY: options.isTTY ?? false,
      env: options.env ?? {},
      cwd: dir,
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    restore?.();
  }
}

/**
 * What `status` shows from the stack file alone, without the lines about the sources it could not
 * read (the tests run it without a cluster or a stack).
 */
export function fileView(out: string): string {
  const lines = out.split("\n");
  const sources = lines.findIndex((line) => line.startsWith("Live per source: "));
  return (sources < 0 ? lines : lines.slice(0, sources - 1)).join("\n");
}

/** `err` without promote's note that the cluster could not be read to compare the live color. */
export function withoutClusterNote(err: string): string {
  return err
    .split("\n")
    .filter((line) => !line.startsWith("promote: the cluster was not read ("))
    .join("\n");
}
