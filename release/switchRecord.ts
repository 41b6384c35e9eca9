/**
 * The record of a `rollback --apply` in progress: `.release-switch.<stack>.json` beside the stack
 * file (git-ignored). It is created exclusively before anything changes, so two switches of one
 * checkout never run at once, and it says where traffic is going. It is removed when the switch is
 * confirmed in the cluster, and kept when the command stops after writing the stack file (a
 * failure, a kill): the next run then finishes that switch instead of flipping the edited file
 * back, which would silently undo the rollback.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Color, COLORS } from "../config";
import { processRuns } from "./processLiveness";

export interface SwitchRecord {
  readonly pid: number;
  readonly host: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly stack: string;
  readonly from: Color;
  readonly to: Color;
  /** Whether the stack file already says `to`: from then on, the switch must be finished, not redone. */
  readonly stackFileWritten: boolean;
}

/** Who owns a record: a process still running on this host, nobody any more, or a process elsewhere. */
export type RecordOwner = "running" | "gone" | "elsewhere";

/** Where the record of `stack`'s switch lives, beside its stack file. */
export function recordPath(stackFile: string, stack: string): string {
  return path.join(path.dirname(stackFile), `.release-switch.${stack}.json`);
}

/** A new record for this process. */
export function newRecord(stack: string, from: Color, to: Color): SwitchRecord {
  return { pid: process.pid, host: os.hostname(), startedAt: Date.now(), stack, from, to, stackFileWritten: false };
}

/** Creates the record unless one exists; false when one does. */
export function createRecord(file: string, record: SwitchRecord): boolean {
  try {
    fs.writeFileSync(file, `${JSON.stringify(record)}\n`, { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** Rewrites this process's own record (a temp file renamed over it: never half written). */
export function updateRecord(file: string, record: SwitchRecord): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(record)}\n`);
  fs.renameSync(temporary, file);
}

/**
 * The record at `file`: undefined when there is none, "unreadable" when it cannot be parsed (a
 * process killed while creating it wrote nothing else yet).
 */
export function readRecord(file: string): SwitchRecord | "unreadable" | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const r = JSON.parse(text);
    const color = (c: unknown): c is Color => (COLORS as readonly unknown[]).includes(c);
    if (Number.isInteger(r.pid) && typeof r.host === "string" && typeof r.startedAt === "number" && color(r.from) && color(r.to) && typeof r.stackFileWritten === "boolean") {
      return r as SwitchRecord;
    }
  } catch {
    // not JSON: fall through
  }
  return "unreadable";
}

export function recordOwner(record: SwitchRecord, host = os.hostname()): RecordOwner {
  if (record.host !== host) return "elsewhere";
  // This process's own record is from an earlier switch it made (the watch may roll back more than once).
  if (record.pid === process.pid) return "gone";
  return processRuns(record.pid, record.startedAt) ? "running" : "gone";
}

/**
 * Removes a record whose owner is gone, only if it is still that record (another process may have
 * removed it and created its own meanwhile): it is moved aside first, checked, and put back when it
 * turns out to be someone else's. False when it was not removed.
 */
export function removeStaleRecord(file: string, stale: SwitchRecord | "unreadable"): boolean {
  const aside = `${file}.${process.pid}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  const moved = readRecord(aside);
  const same = stale === "unreadable" ? moved === "unreadable" : typeof moved === "object" && moved.pid === stale.pid && moved.startedAt === stale.startedAt;
  if (!same) {
    try {
      fs.linkSync(aside, file); // put it back, unless yet another record was created meanwhile
    } catch {
      // that newer record stands
    }
  }
  fs.rmSync(aside, { force: true });
  return same;
}

/** Removes this process's own record (the switch is confirmed, or nothing was changed). */
export function removeRecord(file: string): void {
  fs.rmSync(file, { force: true });
}
