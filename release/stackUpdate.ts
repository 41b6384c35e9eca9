/**
 * One `pulumi up` or `pulumi refresh` of the switch, run so that the usual ways it fails while
 * things are already going wrong end in one line that names what happened and the next command:
 * - the stack is locked by an update killed on this host: the stale lock is removed (saying so) and
 *   the command runs again;
 * - it is locked by an update still running (here or elsewhere; Pulumi Cloud's 409): wait for it,
 *   bounded, printing progress, then run again; refuse past the bound with the exact command;
 * - the state or a lock cannot be read because its metadata file was left empty by a killed
 *   `pulumi` (file backend): that file is removed (fileBackend.ts), saying so, and the command runs again;
 * - the state cannot be read (permissions, corrupt JSON), the Kubernetes API does not answer, or
 *   the CLI gives no result within its bound: refuse with what to do.
 */
import * as path from "node:path";
import { fileBackendRoot, isCheckpoint, projectOf, repairStackSidecars, stateFileOf } from "./fileBackend";
import { pulumiError, PulumiRun, runPulumi } from "./pulumiCli";
import { clock, isUpdateConflict, lockHeld, lockOwner, owner, parseLocks, removeStaleLock, StackLock } from "./stackLock";

export interface UpdateContext {
  readonly stack: string;
  /** The project directory (Pulumi.yaml). */
  readonly workDir: string;
  /** The command that, run again, finishes the switch: named in every refusal. */
  readonly rerun: string;
  /** Progress and recovery lines. */
  readonly say: (line: string) => void;
  /** How long to wait for another update's lock. */
  readonly lockWaitMs: number;
  /** How long one run of the CLI may take. */
  readonly timeoutMs: number;
  /**
   * Runs once, after a stale lock was removed and before the command runs again: the killed update
   * that left the lock may have left the state behind the cluster.
   */
  readonly afterStaleLock?: () => Promise<void>;
}

/** What went wrong, in one line, with the next command. */
export class StackUpdateError extends Error {}

export interface UpdateOutcome {
  /** Whether a stale lock (an update killed on this host) was removed on the way. */
  readonly removedStaleLock: boolean;
}

const PROGRESS_EVERY_MS = 10_000;
const POLL_MS = 250;
const REMOTE_RETRY_MS = 3_000;
/** What the backend says when it cannot read a checkpoint or a lock it found. */
const UNREADABLE_OBJECT = /^(failed to load checkpoint: )?(.*: )?(EOF|unexpected end of JSON input)$/;

/** Runs `pulumi <args>` until it succeeds, handling locks as above; throws StackUpdateError otherwise. */
export async function runStackUpdate(args: readonly string[], ctx: UpdateContext): Promise<UpdateOutcome> {
  const waitEnds = Date.now() + ctx.lockWaitMs;
  let removedStaleLock = false;
  let repairedSidecars = false;
  let ranAfterStaleLock = false;
  let waitStarted: number | undefined;
  for (;;) {
    const run = await runPulumi(args, ctx.workDir, ctx.timeoutMs);
    if (run.code === 0 && !run.timedOut) return { removedStaleLock };
    const locks = parseLocks(run.output);
    const conflict = locks === undefined && isUpdateConflict(run.output);
    if (locks === undefined && !conflict) {
      // An unreadable metadata file beside a whole checkpoint or lock (a `pulumi` killed while writing it): once.
      if (!repairedSidecars && UNREADABLE_OBJECT.test(pulumiError(run.output))) {
        repairedSidecars = true;
        const repaired = await repairStackSidecars(ctx.workDir, ctx.stack);
        for (const line of repaired) ctx.say(line);
        if (repaired.length > 0) continue;
      }
      throw new StackUpdateError(await failureLine(run, args, ctx));
    }

    const stale = (locks ?? []).filter((lock) => lockOwner(lock) === "gone");
    const unremovable = stale.find((lock) => lock.file === undefined);
    if (unremovable) {
      throw new StackUpdateError(
        `stack \`${ctx.stack}\` is locked by \`pulumi\` pid ${unremovable.pid} of this machine (since ${clock(unremovable.since)}), which no longer runs; its lock is in a remote backend: run \`pulumi cancel -s ${ctx.stack} --yes\`, then rerun \`${ctx.rerun}\``,
      );
    }
    for (const lock of stale) {
      ctx.say(removeStaleLock(lock, ctx.stack));
      removedStaleLock = true;
    }
    if (stale.length > 0 && ctx.afterStaleLock && !ranAfterStaleLock) {
      ranAfterStaleLock = true;
      await ctx.afterStaleLock();
    }
    const held = (locks ?? []).filter((lock) => !stale.includes(lock));
    if (stale.length > 0 && held.length === 0) continue;

    // Someone else's update holds the stack: wait for it, within the bound.
    if (Date.now() >= waitEnds) throw new StackUpdateError(lockedLine(held, conflict, ctx));
    if (waitStarted === undefined) {
      waitStarted = Date.now();
      ctx.say(`${heldBy(held, conflict, ctx.stack)}; waiting up to ${Math.round(ctx.lockWaitMs / 1000)} s for that update to end...`);
    }
    await waitForRelease(held, waitEnds, waitStarted, ctx);
    // Two CLIs retrying at the same instant would each see the other's lock again.
    await sleep(50 + Math.random() * 300);
  }
}

/** Waits until every held lock file is gone or its owner died (or, for a remote backend, a while). */
async function waitForRelease(held: readonly StackLock[], waitEnds: number, waitStarted: number, ctx: UpdateContext): Promise<void> {
  const local = held.length > 0 && held.every((lock) => lock.file !== undefined);
  const until = local ? waitEnds : Math.min(waitEnds, Date.now() + REMOTE_RETRY_MS);
  let nextProgress = waitStarted + PROGRESS_EVERY_MS * Math.ceil((Date.now() - waitStarted + 1) / PROGRESS_EVERY_MS);
  while (Date.now() < until) {
    if (local && held.every((lock) => !lockHeld(lock) || lockOwner(lock) === "gone")) return;
    if (Date.now() >= nextProgress) {
      ctx.say(`...stack \`${ctx.stack}\` still locked after ${Math.round((Date.now() - waitStarted) / 1000)} s`);
      nextProgress += PROGRESS_EVERY_MS;
    }
    await sleep(POLL_MS);
  }
}

/** `Stack `x` is locked by `pulumi` pid 1791 (root@vm, since 10:07:02)` */
function heldBy(held: readonly StackLock[], conflict: boolean, stack: string): string {
  if (conflict) return `Pulumi Cloud reports another update of stack \`${stack}\` in progress`;
  if (held.length === 0) return `Stack \`${stack}\` is locked by another update`;
  const lock = held[0];
  const more = held.length > 1 ? ` and ${held.length - 1} more` : "";
  return `Stack \`${stack}\` is locked by \`pulumi\` pid ${lock.pid} (${owner(lock)}, since ${clock(lock.since)})${more}`;
}

function lockedLine(held: readonly StackLock[], conflict: boolean, ctx: UpdateContext): string {
  const waited = `after waiting ${Math.round(ctx.lockWaitMs / 1000)} s`;
  const cancel = `\`pulumi cancel -s ${ctx.stack} --yes\``;
  if (conflict || held.length === 0) {
    const where = conflict ? "the stack's activity in Pulumi Cloud" : "`pulumi stack ls`, the backend's lock files";
    return `${heldBy(held, conflict, ctx.stack)} ${waited}: let it finish, or if none runs (${where}), run ${cancel}; then rerun \`${ctx.rerun}\``;
  }
  const lock = held[0];
  if (lockOwner(lock) === "running") {
    return `${heldBy(held, conflict, ctx.stack)} ${waited}, and it still runs: let it finish or stop it (\`kill -INT ${lock.pid}\`), then rerun \`${ctx.rerun}\``;
  }
  return `${heldBy(held, conflict, ctx.stack)} ${waited}, taken on another machine (${lock.host}) where this command cannot check it: if no \`pulumi\` runs there any more, run ${cancel}, then rerun \`${ctx.rerun}\``;
}

/** The one line for a run that failed for another reason than a lock. */
async function failureLine(run: PulumiRun, args: readonly string[], ctx: UpdateContext): Promise<string> {
  const what = `\`pulumi ${args[0]}\` of stack \`${ctx.stack}\``;
  if (run.timedOut) {
    return `${what} gave no result within ${Math.round(ctx.timeoutMs / 1000)} s and was stopped; check \`kubectl\` answers, then rerun \`${ctx.rerun}\``;
  }
  const error = pulumiError(run.output);
  const unreadable = error.match(/failed to load checkpoint: .*?open ([^:]+): (permission denied|is a directory|no such file or directory)/);
  if (unreadable) {
    return `cannot read the state of stack \`${ctx.stack}\` (${unreadable[1]}: ${unreadable[2]}): give this user read and write access to it (\`ls -l ${unreadable[1]}\`) or run as its owner, then rerun \`${ctx.rerun}\``;
  }
  if (/failed to load checkpoint|could not deserialize|unexpected end of JSON input|invalid character .* looking for/.test(error)) {
    return corruptStateLine(error, ctx);
  }
  if (/cluster is unreachable|connection refused|TLS handshake timeout|i\/o timeout|no such host|Client\.Timeout|context deadline exceeded/.test(error)) {
    return `the Kubernetes API did not answer ${what} (${error}); rerun \`${ctx.rerun}\` once \`kubectl get nodes\` answers`;
  }
  return `${what} failed: ${error}; fix that, then rerun \`${ctx.rerun}\``;
}

/** A state file that is not valid JSON: where it is and the previous checkpoint the backend kept. */
async function corruptStateLine(error: string, ctx: UpdateContext): Promise<string> {
  const root = await fileBackendRoot(ctx.workDir);
  const file = root === undefined ? undefined : stateFileOf(root, projectOf(ctx.workDir), ctx.stack);
  const head = `the state of stack \`${ctx.stack}\` cannot be loaded (${error})`;
  if (file === undefined) return `${head}: repair it in its backend (\`pulumi stack export\` shows what loads), then rerun \`${ctx.rerun}\``;
  const backup = `${file}.bak`;
  if (isCheckpoint(backup)) {
    return `${head}: ${file} is damaged; restore the previous checkpoint with \`cp ${backup} ${file}\`, then rerun \`${ctx.rerun}\` (it refreshes the live Services first)`;
  }
  return `${head}: ${file} is damaged and ${backup} is not a usable copy; restore the newest checkpoint of ${path.join(root!, ".pulumi", "history")}, then rerun \`${ctx.rerun}\``;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
