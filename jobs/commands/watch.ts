/**
 * `watch --stack <stack> --active <color> --previous <color> --alarms a,b --minutes 30
 *        [--poll-seconds 60] [--settle-minutes 10] [--ignore-poll-failures] [--region r]`
 *
 * Run by the post-promotion watch Command right after the live Service switched. Watches the
 * release alarms; exit 0 when they stay clear, 1 with each alarm in ALARM and the exact rollback.
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { JobError, log, warn } from "../log";
import { cloudWatchAlarmReader } from "../watch/cloudwatch";
import { describeVerdict, RollbackContext } from "../watch/verdict";
import { watchAlarms } from "../watch/watcher";

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        active: { type: "string" },
        previous: { type: "string" },
        alarms: { type: "string" },
        minutes: { type: "string" },
        "poll-seconds": { type: "string", default: "60" },
        "settle-minutes": { type: "string", default: "10" },
        "ignore-poll-failures": { type: "boolean", default: false },
        region: { type: "string" },
        endpoint: { type: "string" },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new JobError(`watch: ${(error as Error).message}`, 2);
  }
}

function required(flag: string, value: string | undefined): string {
  if (!value) throw new JobError(`\`--${flag}\` is not set`, 2);
  return value;
}

function number(flag: string, value: string | undefined, min: number): number {
  const n = Number(required(flag, value));
  if (!Number.isFinite(n) || n < min) throw new JobError(`\`--${flag}\` is \`${value}\`: must be a number ≥ ${min}`, 2);
  return n;
}

/** The commit being applied: CI's GITHUB_SHA, else the checkout's HEAD; undefined outside git. */
function currentCommit(): RollbackContext["commit"] {
  const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  let sha: string;
  try {
    sha = process.env.GITHUB_SHA || git("rev-parse", "HEAD");
  } catch {
    return undefined;
  }
  let isMerge = false;
  try {
    isMerge = git("rev-list", "--parents", "-n", "1", sha).split(" ").length > 2;
  } catch {
    // a shallow CI checkout may not have the commit's parents; revert it as a plain commit
  }
  return { sha: sha.slice(0, 12), isMerge };
}

/** Set by whoever runs `pulumi up` to skip the watch, e.g. on a rollback to the color that was live before. */
export const SKIP_WATCH_ENV = "BLUEGREEN_SKIP_WATCH";

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (process.env[SKIP_WATCH_ENV] === "1") {
    log("watch.skipped", { reason: `${SKIP_WATCH_ENV}=1`, active: flags.active, previous: flags.previous });
    return 0;
  }
  const alarmNames = required("alarms", flags.alarms).split(",").filter(Boolean);
  const pollMs = number("poll-seconds", flags["poll-seconds"], 1) * 1000;
  const settings = {
    alarmNames,
    startedAt: new Date(),
    minutes: number("minutes", flags.minutes, 0),
    settleMinutes: number("settle-minutes", flags["settle-minutes"], 0),
    ignorePollFailures: flags["ignore-poll-failures"] ?? false,
  };
  const ctx: RollbackContext = { stack: required("stack", flags.stack), previousColor: required("previous", flags.previous), commit: currentCommit() };

  const client = new CloudWatchClient({ region: flags.region, endpoint: flags.endpoint });
  log("watch.started", { active: flags.active, previous: ctx.previousColor, alarms: alarmNames, minutes: settings.minutes });
  const verdict = await watchAlarms(settings, pollMs, {
    read: cloudWatchAlarmReader(client, alarmNames),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    onPoll: (poll, v) =>
      "error" in poll
        ? warn("watch.poll.unreadable", { error: poll.error })
        : log("watch.poll", { states: Object.fromEntries(poll.readings.map((r) => [r.name, r.state])), status: v.status }),
  });
  client.destroy();

  const report = describeVerdict(verdict, ctx);
  if (verdict.status === "pass") {
    log("watch.passed", { alarms: alarmNames, minutes: settings.minutes, warnings: verdict.warnings });
    process.stderr.write(`${report}\n`);
    return 0;
  }
  process.stderr.write(`${report}\n`);
  const summary =
    verdict.status === "fail" && verdict.cause === "alarm"
      ? `in ALARM: ${verdict.firing.map((a) => a.name).join(", ")}; roll back: pulumi config set activeColor ${ctx.previousColor} -s ${ctx.stack} && pulumi up -s ${ctx.stack}`
      : `alarm states unreadable: ${verdict.status === "fail" && verdict.cause === "unreadable" ? verdict.problem : ""}`;
  throw new JobError(`release watch failed: ${summary}`);
}
