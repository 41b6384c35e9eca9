/**
 * The post-promotion watch's judgement, pure: the alarm states read so far in, a verdict out.
 *
 * - An alarm that enters ALARM after the switch fails the watch at once.
 * - An alarm already in ALARM before the switch was caused by the color that just lost traffic
 *   (typically: this is the rollback). It fails the watch only if it is still in ALARM
 *   `settleMinutes` after the switch, or at the end of the watch.
 * - Alarm states that cannot be read (CloudWatch error, alarm missing) fail the watch, unless
 *   `ignorePollFailures` is set, in which case they are reported and the watch carries on.
 * - Otherwise the watch passes once `minutes` have gone by.
 */

export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";

export interface AlarmReading {
  readonly name: string;
  readonly state: AlarmStateValue;
  /** CloudWatch's StateReason. */
  readonly reason?: string;
  /** When the alarm entered its current state (StateTransitionedTimestamp). */
  readonly since: Date;
}

/** One read of the alarm states: what was read, or why nothing could be. */
export type Poll = { readonly at: Date; readonly readings: readonly AlarmReading[] } | { readonly at: Date; readonly error: string };

export interface WatchSettings {
  /** The alarms that must be read on every poll. */
  readonly alarmNames: readonly string[];
  /** When the live Service switched (the watch starts right after it). */
  readonly startedAt: Date;
  readonly minutes: number;
  readonly settleMinutes: number;
  readonly ignorePollFailures: boolean;
}

export interface FiringAlarm {
  readonly name: string;
  readonly since: Date;
  readonly reason?: string;
  /** It was already in ALARM before the switch and did not clear in time. */
  readonly inherited: boolean;
}

export type Verdict =
  | { readonly status: "watching"; readonly warnings: readonly string[] }
  | { readonly status: "pass"; readonly warnings: readonly string[] }
  | { readonly status: "fail"; readonly cause: "alarm"; readonly firing: readonly FiringAlarm[]; readonly warnings: readonly string[] }
  | { readonly status: "fail"; readonly cause: "unreadable"; readonly problem: string; readonly warnings: readonly string[] };

const MINUTE = 60_000;

const minutesAfter = (start: Date, at: Date) => (at.getTime() - start.getTime()) / MINUTE;

/** Why a poll could not be used, or undefined when every alarm was read. */
function unreadable(settings: WatchSettings, poll: Poll): string | undefined {
  if ("error" in poll) return `could not read the alarm states at ${poll.at.toISOString()}: ${poll.error}`;
  const read = new Set(poll.readings.map((r) => r.name));
  const missing = settings.alarmNames.filter((name) => !read.has(name));
  if (missing.length > 0) {
    return `alarm${missing.length === 1 ? "" : "s"} ${missing.join(", ")} not found in CloudWatch at ${poll.at.toISOString()} (deleted, renamed or another region?)`;
  }
  return undefined;
}

export function judge(settings: WatchSettings, polls: readonly Poll[], now: Date): Verdict {
  const warnings: string[] = [];
  const watched = new Set(settings.alarmNames);
  let lastReadings: readonly AlarmReading[] | undefined;

  for (const poll of polls) {
    const problem = unreadable(settings, poll);
    if (problem) {
      if (!settings.ignorePollFailures) return { status: "fail", cause: "unreadable", problem, warnings };
      warnings.push(`${problem}; carrying on because ignorePollFailures is set`);
      continue;
    }
    const readings = "readings" in poll ? poll.readings.filter((r) => watched.has(r.name)) : [];
    lastReadings = readings;
    const settled = minutesAfter(settings.startedAt, poll.at) >= settings.settleMinutes;
    const inAlarm = readings.filter((r) => r.state === "ALARM");
    const blamed = inAlarm.filter((r) => r.since >= settings.startedAt || settled);
    if (blamed.length > 0) {
      return { status: "fail", cause: "alarm", firing: inAlarm.map((r) => firing(r, settings)), warnings };
    }
  }

  if (minutesAfter(settings.startedAt, now) < settings.minutes) return { status: "watching", warnings };

  if (lastReadings === undefined) {
    warnings.push("no alarm state could be read during the whole watch; passing because ignorePollFailures is set");
    return { status: "pass", warnings };
  }
  const stillFiring = lastReadings.filter((r) => r.state === "ALARM");
  if (stillFiring.length > 0) {
    return { status: "fail", cause: "alarm", firing: stillFiring.map((r) => firing(r, settings)), warnings };
  }
  return { status: "pass", warnings };
}

function firing(r: AlarmReading, settings: WatchSettings): FiringAlarm {
  return { name: r.name, since: r.since, reason: r.reason, inherited: r.since < settings.startedAt };
}

export interface RollbackContext {
  readonly stack: string;
  /** The color that had traffic before the switch. */
  readonly previousColor: string;
  /** The commit being applied, when known; a merge commit is reverted against its first parent. */
  readonly commit?: { readonly sha: string; readonly isMerge: boolean };
}

/** The exact commands that undo the switch. */
export function rollbackCommands(ctx: RollbackContext): string[] {
  const revert = ctx.commit
    ? `git revert --no-edit ${ctx.commit.isMerge ? "-m 1 " : ""}${ctx.commit.sha}`
    : "git revert --no-edit <promotion commit>";
  return [
    `Roll back (${ctx.previousColor} is still running, so the switch back is instant):`,
    `  ${revert} && git push`,
    `  pulumi up -s ${ctx.stack}`,
    "or, straight from this machine (then commit the stack file):",
    `  pulumi config set activeColor ${ctx.previousColor} -s ${ctx.stack}`,
    `  pulumi up -s ${ctx.stack}`,
  ];
}

/** The operator-facing report of a finished watch. */
export function describeVerdict(verdict: Verdict, ctx: RollbackContext): string {
  const lines: string[] = [];
  if (verdict.status === "fail" && verdict.cause === "alarm") {
    lines.push(`Release alarms in ALARM after switching away from ${ctx.previousColor}:`);
    for (const a of verdict.firing) {
      const when = a.inherited ? `already before the switch, since ${a.since.toISOString()}, and it has not cleared` : `since ${a.since.toISOString()}`;
      lines.push(`  - ${a.name}: ALARM ${when}${a.reason ? ` (${a.reason})` : ""}`);
    }
    lines.push(...rollbackCommands(ctx));
  } else if (verdict.status === "fail") {
    lines.push(`The release alarms could not be read, so the release is not verified: ${verdict.problem}.`);
    lines.push(
      "Check the AWS credentials and region this `pulumi up` runs with (cloudwatch:DescribeAlarms), or set `watch.ignorePollFailures` to pass in that case.",
    );
    lines.push(...rollbackCommands(ctx));
  } else if (verdict.status === "pass") {
    lines.push("Release alarms stayed clear for the whole watch.");
  }
  lines.push(...verdict.warnings.map((w) => `warning: ${w}`));
  return lines.join("\n");
}
