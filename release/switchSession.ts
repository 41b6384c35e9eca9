/**
 * Opens a `rollback --apply` through its switch record (switchRecord.ts), deciding what this run
 * does when another switch of the stack is running or was interrupted:
 * - none: a `fresh` switch, as asked (the stack file's `activeColor` flips);
 * - one running in another process: wait for it, bounded, printing progress; then, if it went
 *   where this one was going, `finish` (make sure the cluster is there); if it went the other way
 *   (this run read the file it had just edited), `settled`: refuse with one line rather than undo it;
 * - one that stopped after writing the stack file (killed, or failed): `finish` it (the stack file
 *   already says its color; the live Services are refreshed first, as the state may be stale),
 *   instead of flipping the file back, which would undo that rollback;
 * - one that stopped before writing: remove its record and start afresh.
 */
import { Color, otherColor } from "../config";
import { clock } from "./stackLock";
import { createRecord, newRecord, readRecord, recordOwner, recordPath, removeRecord, removeStaleRecord, SwitchRecord, updateRecord } from "./switchRecord";
import { SwitchRefused } from "./targetedSwitch";

export interface SwitchSession {
  /** The color traffic goes to. */
  readonly to: Color;
  /** Why the state may not match the cluster (an earlier switch stopped half-way); undefined when it should. */
  readonly recovering?: string;
  /** Records that the stack file is about to say `to`: call just before writing it. */
  willWriteFile(): void;
  /** The switch is confirmed in the cluster, or nothing was changed: the record goes. */
  close(): void;
  /** The run stops short: the record stays when the stack file was written (the next run finishes the switch). */
  abandon(): void;
}

export type Opened =
  | { readonly kind: "fresh"; readonly session: SwitchSession }
  /** The stack file already says `session.to`: switch the cluster there, without editing. */
  | { readonly kind: "finish"; readonly session: SwitchSession; readonly line: string }
  /** Nothing to do: `code` 0 when traffic went where this run was asked to send it, 1 otherwise. */
  | { readonly kind: "settled"; readonly code: 0 | 1; readonly line: string };

export interface OpenOptions {
  readonly stackFile: string;
  readonly stack: string;
  /** `activeColor` as the stack file said when the command started. */
  readonly fileColor: Color;
  /** Reads the stack file's `activeColor` now. */
  readonly currentFileColor: () => Color;
  /** The command that finishes the switch when run again. */
  readonly rerun: string;
  readonly say: (line: string) => void;
  /** How long to wait for another switch of the stack. */
  readonly waitMs: number;
}

const PROGRESS_EVERY_MS = 10_000;
const POLL_MS = 200;
const INTERRUPTED = "An earlier `rollback --apply` stopped half-way";

export async function openSwitch(options: OpenOptions): Promise<Opened> {
  const { stack, say } = options;
  const file = recordPath(options.stackFile, stack);
  const to = otherColor(options.fileColor);
  const waitEnds = Date.now() + options.waitMs;
  let waitedFor: SwitchRecord | undefined;
  let recovering: string | undefined;
  for (;;) {
    const mine = newRecord(stack, options.fileColor, to);
    if (createRecord(file, mine)) {
      if (waitedFor === undefined) return { kind: "fresh", session: session(file, mine, recovering) };
      return afterWaiting(file, mine, waitedFor, options);
    }
    const found = readRecord(file);
    if (found === undefined) continue; // removed meanwhile
    if (found === "unreadable") {
      if (removeStaleRecord(file, found)) say(`Removed the unreadable switch record ${file} (a run stopped while writing it; it had changed nothing yet).`);
      continue;
    }
    const owner = recordOwner(found);
    if (owner === "elsewhere") {
      throw new SwitchRefused(
        `${file} records a switch of stack \`${stack}\` to ${found.to} by pid ${found.pid} on ${found.host} (started ${clock(found.startedAt)}): if no \`rollback --apply\` runs there any more, remove that file, then rerun \`${options.rerun}\``,
      );
    }
    if (owner === "running") {
      await waitForOther(file, found, waitEnds, options);
      waitedFor = found;
      continue;
    }
    // Its owner is gone.
    const by = `An earlier \`rollback --apply\` (pid ${found.pid}, started ${clock(found.startedAt)})`;
    if (!found.stackFileWritten) {
      if (removeStaleRecord(file, found)) say(`${by} stopped before it changed anything; its record is removed.`);
      continue;
    }
    const fileColor = options.currentFileColor();
    if (fileColor !== found.to) {
      if (removeStaleRecord(file, found)) say(`${by} stopped half-way to ${found.to}, and the stack file says ${fileColor} again; its record is removed.`);
      recovering = INTERRUPTED;
      continue;
    }
    // Finish it: the stack file says its color; make the cluster say so too.
    if (!removeStaleRecord(file, found)) continue;
    const takeover = { ...newRecord(stack, found.from, found.to), stackFileWritten: true };
    if (!createRecord(file, takeover)) continue;
    const line = `${by} stopped before its switch to ${found.to} was confirmed; finishing it.`;
    return { kind: "finish", session: session(file, takeover, INTERRUPTED), line };
  }
}

/** Another switch was running when this one started, and has ended (its record is gone). */
function afterWaiting(file: string, mine: SwitchRecord, other: SwitchRecord, options: OpenOptions): Opened {
  const by = `\`rollback --apply\` pid ${other.pid}`;
  if (other.to !== mine.to) {
    removeRecord(file);
    return {
      kind: "settled",
      code: 1,
      line: `bluegreen rollback: refused: another ${by} switched traffic to ${other.to} while this one waited; it stays there; to switch to ${mine.to}, run \`${options.rerun}\` again`,
    };
  }
  if (options.currentFileColor() !== mine.to) {
    // It stopped before writing the stack file and cleaned up: this switch goes ahead as asked.
    return { kind: "fresh", session: session(file, mine, undefined) };
  }
  const marked = { ...mine, stackFileWritten: true };
  updateRecord(file, marked);
  return { kind: "finish", session: session(file, marked, undefined), line: `Another ${by} switched to ${mine.to} while this one waited; checking the cluster is there.` };
}

async function waitForOther(file: string, other: SwitchRecord, waitEnds: number, options: OpenOptions): Promise<void> {
  const started = Date.now();
  const seconds = Math.round(options.waitMs / 1000);
  options.say(`Another \`rollback --apply\` of stack \`${options.stack}\` (pid ${other.pid}, started ${clock(other.startedAt)}) is switching traffic to ${other.to}; waiting up to ${seconds} s for it...`);
  let nextProgress = started + PROGRESS_EVERY_MS;
  for (;;) {
    const now = readRecord(file);
    if (now === undefined || now === "unreadable" || now.pid !== other.pid || recordOwner(now) !== "running") return;
    if (Date.now() >= waitEnds) {
      throw new SwitchRefused(
        `another \`rollback --apply\` of stack \`${options.stack}\` (pid ${other.pid}) still runs after ${seconds} s; let it finish or stop it (\`kill ${other.pid}\`), then rerun \`${options.rerun}\``,
      );
    }
    if (Date.now() >= nextProgress) {
      options.say(`...still waiting for pid ${other.pid} after ${Math.round((Date.now() - started) / 1000)} s`);
      nextProgress += PROGRESS_EVERY_MS;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function session(file: string, record: SwitchRecord, recovering: string | undefined): SwitchSession {
  let current = record;
  let open = true;
  return {
    to: record.to,
    recovering,
    willWriteFile() {
      current = { ...current, stackFileWritten: true };
      updateRecord(file, current);
    },
    close() {
      if (open) removeRecord(file);
      open = false;
    },
    abandon() {
      if (open && !current.stackFileWritten) removeRecord(file);
      open = false;
    },
  };
}
