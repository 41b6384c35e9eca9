/**
 * Whether the process that left a record (a stack lock, a switch record) still runs. A pid alone
 * is not enough: pids are reused, so on Linux the process must also have started no later than the
 * record was written (from /proc); a zombie counts as gone. Elsewhere, `kill(pid, 0)` is all there is.
 */
import * as fs from "node:fs";

/** Clock ticks per second of /proc's times: 100 on every Linux the CLI runs on (x86-64, arm64). */
const CLOCK_TICKS = 100;
/** Slack between the clocks that wrote the record and the kernel's start time, in ms. */
const START_SLACK_MS = 2_000;

/**
 * Whether process `pid` on this host runs, and (when `recordedAt` is given, ms since the epoch)
 * could be the one that wrote a record at that time.
 */
export function processRuns(pid: number, recordedAt?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const proc = linuxProcess(pid);
  if (proc === "no-proc") return signalable(pid);
  if (proc === undefined || proc.zombie) return false;
  if (recordedAt === undefined || proc.startedAt === undefined) return true;
  return proc.startedAt <= recordedAt + START_SLACK_MS;
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The process as /proc shows it; undefined when it does not exist; "no-proc" without /proc. */
function linuxProcess(pid: number): { zombie: boolean; startedAt?: number } | undefined | "no-proc" {
  if (!fs.existsSync("/proc/self/stat")) return "no-proc";
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split after the last `)`.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const zombie = fields[0] === "Z" || fields[0] === "X";
  const startTicks = Number(fields[19]);
  const bootSeconds = bootTime();
  const startedAt = Number.isFinite(startTicks) && bootSeconds !== undefined ? (bootSeconds + startTicks / CLOCK_TICKS) * 1000 : undefined;
  return { zombie, startedAt };
}

function bootTime(): number | undefined {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith("btime "));
    return line ? Number(line.split(" ")[1]) : undefined;
  } catch {
    return undefined;
  }
}
