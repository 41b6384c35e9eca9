/**
 * A stack the `pulumi` CLI refuses to update because it is locked. The file backend keeps one lock
 * file per running update (`<backend>/.pulumi/locks/<org>/<project>/<stack>/<uuid>.json`, holding
 * the pid, user and host of the `pulumi` that wrote it) and removes it when the update ends; an
 * update killed with SIGKILL (or a machine that died) leaves it behind, and every later update then
 * fails with "the stack is currently locked by 1 lock(s)". `pulumi cancel` removes *every* lock of
 * the stack, a running update's too; here only a lock whose owner is known to be gone (same host,
 * pid no longer running or reused since) is removed. Pulumi Cloud answers "[409] Conflict: Another
 * update is currently in progress" instead, and only `pulumi cancel` ends an orphaned update there.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { processRuns } from "./processLiveness";

/** One lock of a stack, as the `pulumi` CLI lists it when it refuses to update. */
export interface StackLock {
  /** The lock's URL as printed (`file:///.../<uuid>.json?no_tmp_dir=true`, `s3://...`). */
  readonly url: string;
  /** Its path, for a file backend; undefined for a remote bucket. */
  readonly file?: string;
  readonly user: string;
  readonly host: string;
  readonly pid: number;
  /** When it was taken (ms since the epoch; the CLI prints whole seconds). */
  readonly since: number;
}

/** Who holds a lock: a process still running on this host, nobody any more, or a process elsewhere. */
export type LockOwner = "running" | "gone" | "elsewhere";

const LOCKED = /the stack is currently locked by \d+ lock\(s\)/;
const LOCK_LINE = /^\s*(\S+): created by (.+) \(pid (\d+)\) at (\S+)\s*$/gm;
const CONFLICT = /\[409\] Conflict|update-conflicts|Another update is currently in progress/;

/** The locks listed in a refused update's output; undefined when the output is not a lock refusal. */
export function parseLocks(output: string): StackLock[] | undefined {
  if (!LOCKED.test(output)) return undefined;
  const locks: StackLock[] = [];
  for (const match of output.matchAll(LOCK_LINE)) {
    const [, url, owner, pid, at] = match;
    const at_ = owner.lastIndexOf("@");
    locks.push({
      url,
      file: lockFile(url),
      user: at_ < 0 ? owner : owner.slice(0, at_),
      host: at_ < 0 ? "" : owner.slice(at_ + 1),
      pid: Number(pid),
      since: Date.parse(at),
    });
  }
  return locks;
}

/** Whether a Pulumi Cloud update was refused because another update of the stack is in progress. */
export function isUpdateConflict(output: string): boolean {
  return CONFLICT.test(output);
}

/** The local path of a lock URL of a file backend; undefined for any other backend. */
function lockFile(url: string): string | undefined {
  if (!url.startsWith("file://")) return undefined;
  try {
    const file = decodeURIComponent(new URL(url).pathname);
    // Only ever a lock file of a backend: never remove anything else a parsed line might name.
    return file.includes(`${path.sep}.pulumi${path.sep}locks${path.sep}`) && file.endsWith(".json") ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Who holds `lock`: known only for a lock taken on this host. */
export function lockOwner(lock: StackLock, host = os.hostname()): LockOwner {
  if (lock.host !== host) return "elsewhere";
  return processRuns(lock.pid, Number.isNaN(lock.since) ? undefined : lock.since) ? "running" : "gone";
}

/** Whether the lock file is still there (always true for a remote backend: it cannot be checked). */
export function lockHeld(lock: StackLock): boolean {
  return lock.file === undefined || fs.existsSync(lock.file);
}

/**
 * Removes the lock file of an owner that is gone (with the `.attrs` file the backend writes beside
 * it); returns the line that says so. Throws when the lock is not a local file or its owner may run.
 */
export function removeStaleLock(lock: StackLock, stack: string, host = os.hostname()): string {
  if (lock.file === undefined || lockOwner(lock, host) !== "gone") throw new Error(`the lock ${lock.url} is not known to be stale`);
  fs.rmSync(lock.file, { force: true });
  fs.rmSync(`${lock.file}.attrs`, { force: true });
  return `Removed the stale lock of stack \`${stack}\` left by \`pulumi\` pid ${lock.pid} (${owner(lock)}, since ${clock(lock.since)}), which no longer runs: ${lock.file}`;
}

/** `root@vm` */
export function owner(lock: StackLock): string {
  return `${lock.user}@${lock.host}`;
}

/** `10:07:02` (local time), or the raw text when unknown. */
export function clock(ms: number): string {
  return Number.isNaN(ms) ? "an unknown time" : new Date(ms).toTimeString().slice(0, 8);
}
