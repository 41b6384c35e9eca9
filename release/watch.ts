/**
 * `release watch`: the post-promotion watch, run after `pulumi up` as its own step, so the stack is
 * never locked while watching and a rollback can start from anywhere at any moment. It reads what
 * to watch from the stack's outputs (`promotionWatch`), polls the release alarms, and when one
 * fires it rolls back with the targeted switch (`rollback --apply`), then prints, or with `--commit`
 * commits and pushes, the stack-file change so git and the cluster agree again.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { awsClientOptions } from "../jobs/backup/awsHttp";
import { cloudWatchAlarmReader } from "../jobs/watch/cloudwatch";
import { describeVerdict } from "../jobs/watch/verdict";
import { watchAlarms } from "../jobs/watch/watcher";
import { selectedColor } from "./cluster";
import { readDeployedStack } from "./deployedStack";
import { Paint } from "./paint";
import { headCommit, whoAmI, WatchRecord } from "./switchRecords";
import type { NoticeFacts, WatchVerdictNotice } from "../lib/notify/notice";


export interface WatchIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface WatchActions {
  /** Rolls back with the targeted switch; its exit code. */
  readonly rollback: () => Promise<number>;
  /** Records the watch in the cluster (`status` and `history` show it); resolves with the warning to print, if any. */
  readonly record: (record: WatchRecord) => Promise<string | undefined>;
  /** Sends the verdict's notice to the stack's notify targets (never throws). */
  readonly announce: (facts: NoticeFacts<WatchVerdictNotice>) => Promise<unknown>;
}

class TrafficMoved extends Error {}

const number = (value: string | boolean | undefined, fallback: number) => (typeof value === "string" ? Number(value) : fallback);

export async function runWatch(
  stackName: string,
  app: string,
  options: Readonly<Record<string, string | boolean>>,
  stackFile: string,
  io: WatchIo,
  paint: Paint,
  actions: WatchActions,
): Promise<number> {
  const deployed = await readDeployedStack(stackName, path.dirname(stackFile));
  const configured = deployed.promotionWatch;
  const alarmNames = typeof options.alarms === "string" ? options.alarms.split(",").filter(Boolean) : [...configured.alarmNames];
  const minutes = number(options.minutes, configured.minutes);
  if (!(minutes > 0) || alarmNames.length === 0) {
    io.out(`Nothing to watch on \`${stackName}\`: no release alarms or \`watch.minutes\` is 0.`);
    return 0;
  }
  const watched = deployed.activeColor;
  const previous = watched === "blue" ? "green" : "blue";
  const pollMs = number(options["poll-seconds"], configured.pollSeconds) * 1000;
  const client = new CloudWatchClient({
    region: (typeof options.region === "string" ? options.region : configured.region) || process.env.AWS_REGION || "us-east-1",
    endpoint: typeof options.endpoint === "string" ? options.endpoint : undefined,
    ...awsClientOptions({ connectTimeoutMs: 5_000, requestTimeoutMs: 15_000 }),
  });
  io.out(`Watching ${alarmNames.join(", ")} for ${minutes} min: ${watched} is live, ${previous} is the rollback.`);
  const who = whoAmI(path.dirname(stackFile));
  const record = async (state: WatchRecord["state"], verdict?: string) => {
    const started = new Date();
    const why = await actions.record({
      kind: "watch",
      at: started.toISOString(),
      stack: stackName,
      color: watched,
      state,
      until: state === "running" ? new Date(started.getTime() + minutes * 60_000).toISOString() : undefined,
      verdict,
      who,
    });
    if (why) io.err(paint.yellow(why));
  };
  await record("running");

  let verdict;
  try {
    verdict = await watchAlarms(
      {
        alarmNames,
        startedAt: new Date(),
        minutes,
        settleMinutes: number(options["settle-minutes"], configured.settleMinutes),
        ignorePollFailures: options["ignore-poll-failures"] === true || configured.ignorePollFailures,
      },
      pollMs,
      {
        read: cloudWatchAlarmReader(client, alarmNames),
        now: () => new Date(),
        // Between polls: stop when traffic was moved by someone else (a rollback from a workstation),
        // on any of the live Services.
        sleep: async (ms) => {
          await new Promise((resolve) => setTimeout(resolve, ms));
          for (const service of deployed.liveServiceNames) {
            const live = await selectedColor(deployed.namespace, service).catch(() => watched);
            if (live !== watched) throw new TrafficMoved(`traffic moved to ${live} during the watch${deployed.liveServiceNames.length > 1 ? ` (Service \`${service}\`)` : ""}`);
          }
        },
        onPoll: (poll, v) =>
          io.out(
            "error" in poll
              ? `  ${poll.at.toISOString()} unreadable: ${poll.error}`
              : `  ${poll.at.toISOString()} ${poll.readings.map((r) => `${r.name}=${r.state}`).join(" ")} (${v.status})`,
          ),
      },
    );
  } catch (error) {
    if (!(error instanceof TrafficMoved)) throw error;
    io.out(paint.yellow(`Watch stopped: ${error.message}; nothing more to do here.`));
    await record("failed", `stopped: ${error.message}`);
    return 0;
  } finally {
    client.destroy();
  }

  const report = describeVerdict(verdict, { stack: stackName, previousColor: previous });
  const told = { stack: stackName, app, who, commit: headCommit(path.dirname(stackFile)) };
  if (verdict.status === "pass") {
    io.out(paint.green(`Watch passed: ${watched} stayed healthy for ${minutes} min.`));
    await record("passed", `healthy for ${minutes} min`);
    await actions.announce({ kind: "watchVerdict", ...told, color: watched, verdict: "passed", minutes });
    return 0;
  }
  io.err(report);
  const summary = report.split("\n")[0];
  if (verdict.status !== "fail" || verdict.cause !== "alarm" || options["no-rollback"] === true) {
    await record("failed", summary);
    const reason =
      verdict.status === "fail" && verdict.cause === "alarm"
        ? `${verdict.firing.map((f) => f.name).join(", ")} in ALARM, and the rollback is off (--no-rollback)`
        : verdict.status === "fail"
          ? `the release alarms could not be read: ${verdict.problem}`
          : summary;
    await actions.announce({ kind: "watchVerdict", ...told, color: watched, verdict: "failed", reason });
    return 1;
  }
  await record("rolled back", summary);

  io.err(paint.red(`A release alarm fired: rolling back to ${previous}.`));
  const code = await actions.rollback();
  if (code !== 0) return code;
  // After the rollback: its switch notice (sent by the program) comes first, then why.
  const alarm = verdict.firing.map((f) => f.name).join(", ");
  await actions.announce({ kind: "watchVerdict", ...told, color: watched, verdict: "rolledBack", alarm, to: previous });
  if (options.commit === true) {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: path.dirname(stackFile), stdio: ["ignore", "inherit", "inherit"], timeout: 60_000 });
    git("commit", "-m", `${stackName}: roll back to ${previous} (release alarm fired during the watch)`, "--", path.basename(stackFile));
    git("push");
    io.out("Committed and pushed the rollback.");
  }
  return 1;
}
