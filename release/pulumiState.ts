/**
 * Reads of the stack's Pulumi state through the `pulumi` CLI (the user's own backend and login):
 * the outputs of the last update, and the update history. Bounded: a backend that does not answer
 * fails the read, never the command that asked.
 */
import { execFile } from "node:child_process";
import { firstLine } from "./deployedStack";

export class StateReadError extends Error {}

const PULUMI_TIMEOUT_MS = 20_000;

function pulumiJson(args: readonly string[], workDir: string): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(
      "pulumi",
      [...args, "--json", "--non-interactive"],
      {
        cwd: workDir,
        timeout: PULUMI_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        env: { PULUMI_SKIP_UPDATE_CHECK: "true", ...process.env },
      },
      (error, stdout, stderr) => {
        if (error) {
          const why =
            (error as NodeJS.ErrnoException).code === "ENOENT"
              ? "the `pulumi` CLI is not on PATH"
              : error.killed
                ? `no answer within ${PULUMI_TIMEOUT_MS / 1000} s`
                : firstLine(stderr || stdout || error.message);
          reject(new StateReadError(`pulumi ${args.join(" ")}: ${why}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new StateReadError(`pulumi ${args.join(" ")}: did not print JSON`));
        }
      },
    );
  });
}

/** One config value as `pulumi config --json` prints it (`objectValue` for structured values). */
export interface ConfigEntry {
  readonly value?: string;
  readonly objectValue?: unknown;
  readonly secret?: boolean;
}

/**
 * The stack's config, secrets decrypted with the stack's secrets provider (as `pulumi up` does:
 * the passphrase or the cloud key must be at hand). For the few callers that need a secret's value
 * to use it (a webhook URL to post to); never printed.
 */
export async function readStackConfigWithSecrets(stack: string, workDir: string): Promise<Record<string, ConfigEntry>> {
  const config = await pulumiJson(["config", "--show-secrets", "--stack", stack], workDir);
  return config !== null && typeof config === "object" ? config : {};
}

/** The stack's outputs (plain values; secrets stay masked). */
export async function readStackOutputs(stack: string, workDir: string): Promise<Record<string, unknown>> {
  const outputs = await pulumiJson(["stack", "output", "--stack", stack], workDir);
  return outputs !== null && typeof outputs === "object" ? outputs : {};
}

/** One update of the stack, as `pulumi stack history --json` prints it (the fields we read). */
export interface UpdateInfo {
  readonly version: number;
  readonly kind: string;
  readonly result: string;
  readonly startTime: string;
  readonly endTime?: string;
  readonly message?: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Config key -> its value (objects as objects; secrets left out). */
  readonly config: Readonly<Record<string, unknown>>;
}

/** The stack's updates, oldest first. */
export async function readUpdateHistory(stack: string, workDir: string): Promise<UpdateInfo[]> {
  const raw = await pulumiJson(["stack", "history", "--stack", stack], workDir);
  const list: any[] = Array.isArray(raw) ? raw : [];
  // The CLI prints the newest first; the file backend numbers every update 0, so count them here.
  const updates: UpdateInfo[] = list.map((u: any, i) => ({
    version: Number(u.version) || list.length - i,
    kind: String(u.kind ?? ""),
    result: String(u.result ?? ""),
    startTime: String(u.startTime ?? ""),
    endTime: u.endTime === undefined ? undefined : String(u.endTime),
    message: u.message === undefined ? undefined : String(u.message),
    environment: u.environment ?? {},
    config: Object.fromEntries(
      Object.entries(u.config ?? {})
        .filter(([, value]: [string, any]) => value?.secret !== true)
        .map(([key, value]: [string, any]) => [key, value?.objectValue ?? value?.value]),
    ),
  }));
  return updates.reverse();
}
