/**
 * Names of restore-check's scratch databases: `restore_check_<UTC yyyymmddhhmmss>_<6 hex>`. The
 * creation time in the name is what lets a later check find the databases of a check that was
 * killed before it could drop its own: a check runs no longer than its deadline (the Job's
 * activeDeadlineSeconds), so a scratch database older than that belongs to no running check.
 */
import { randomBytes } from "node:crypto";

const NAME = /^restore_check_(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_[0-9a-f]{6}$/;

/** `LIKE` pattern matching every scratch database name (and a few others, which `createdAt` rejects). */
export const SCRATCH_LIKE = "restore\\_check\\_%";

export function scratchName(now: Date): string {
  return `restore_check_${now.toISOString().slice(0, 19).replace(/[-:T]/g, "")}_${randomBytes(3).toString("hex")}`;
}

/** When a scratch database was created (to the second), or undefined for a name of another shape. */
export function createdAt(name: string): Date | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  const date = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The scratch databases among `names` created more than `deadlineMs` before `now`, oldest first. */
export function staleScratchNames(names: readonly string[], now: Date, deadlineMs: number): string[] {
  return names
    .filter((name) => {
      const created = createdAt(name);
      return created !== undefined && now.getTime() - created.getTime() > deadlineMs;
    })
    .sort();
}
