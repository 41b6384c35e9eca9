/**
 * Runs the jobs CLI as the image ships it (`node dist/jobs/cli.js` in the staged image tree, with the
 * image's node_modules: see imageTree.ts) as a child process and parses its JSON lines.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { imageCli } from "./imageTree";

export interface LogLine {
  readonly level: string;
  readonly event: string;
  readonly [field: string]: unknown;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lines: LogLine[];
  /** The `error` field of the one error line, if any. */
  readonly error?: string;
  events(name: string): LogLine[];
}

/** Starts the CLI; `done` resolves when it exits. Every stdout line must be JSON. */
export function startCli(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [imageCli(), ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      try {
        const lines = stdout
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => JSON.parse(l) as LogLine);
        const errors = lines.filter((l) => l.level === "error");
        if (errors.length > 1) throw new Error(`more than one error line:\n${stdout}`);
        if (stderr.trim() !== "" && signal === null) throw new Error(`unexpected stderr: ${stderr}`);
        resolve({
          code,
          signal,
          lines,
          error: errors[0]?.error as string | undefined,
          events: (name) => lines.filter((l) => l.event === name),
        });
      } catch (error) {
        reject(new Error(`${(error as Error).message}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }
    });
  });
  return { child, done };
}

export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return startCli(args, env).done;
}

/** A temp directory of migration files: name -> SQL. */
export function migrationDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-test-"));
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
  return dir;
}
