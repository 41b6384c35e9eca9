/** The `pulumi` CLI as a benchmark runs it: as a user would, from the project directory, bounded. */
import { spawn } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/** Runs `pulumi <args>`; resolves with the seconds it took, rejects with its output when it fails. */
export function pulumi(args: readonly string[], timeoutMs = 900_000): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", [...args, "--non-interactive", "--color", "never"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGINT"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve((Date.now() - started) / 1000);
      else reject(new Error(`pulumi ${args.join(" ")} failed:\n${output}`));
    });
  });
}
