/**
 * The post-promotion watch: the pure verdict over alarm states in time, the loop on a simulated
 * clock, the CloudWatch adapter against a loopback server speaking the DescribeAlarms protocol,
 * and the CLI end to end.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudWatchAlarmReader } from "../../jobs/watch/cloudwatch";
import { AlarmReading, AlarmStateValue, Poll, Verdict, WatchSettings, describeVerdict, judge, rollbackCommands } from "../../jobs/watch/verdict";
import { watchAlarms } from "../../jobs/watch/watcher";

const START = new Date("2026-03-02T10:00:00Z");
const at = (minutes: number) => new Date(START.getTime() + minutes * 60_000);
const NAMES = ["web-production-release-health", "web-production-http-5xx-rate", "web-production-p99-latency"];
const settings: WatchSettings = { alarmNames: NAMES, startedAt: START, minutes: 30, settleMinutes: 10, ignorePollFailures: false };
const ctx = { stack: "production", previousColor: "blue", commit: { sha: "3f9c2ab41d07", isMerge: false } };

/** A poll at `minute` where every alarm is OK except the ones given. */
function poll(minute: number, states: Record<string, [AlarmStateValue, number]> = {}): Poll {
  return {
    at: at(minute),
    readings: NAMES.map((name) => {
      const [state, since] = states[name] ?? ["OK", -120];
      return { name, state, since: at(since), reason: state === "ALARM" ? "Threshold Crossed: 3 out of the last 5 datapoints" : undefined };
    }),
  };
}

const readingsOf = (p: Poll): AlarmReading[] => ("readings" in p ? [...p.readings] : []);

const minutes = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("watch verdict", () => {
  it("keeps watching while all is OK, and passes once the minutes are up", () => {
    expect(judge(settings, minutes(0, 29).map((m) => poll(m)), at(29))).toEqual({ status: "watching", warnings: [] });
    const verdict = judge(settings, minutes(0, 30).map((m) => poll(m)), at(30));
    expect(verdict).toEqual({ status: "pass", warnings: [] });
    expect(describeVerdict(verdict, ctx)).toBe("Release alarms stayed clear for the whole watch.");
  });

  it("fails as soon as an alarm fires mid-watch, naming it and printing the exact rollback", () => {
    const fired = { "web-production-http-5xx-rate": ["ALARM", 11.5] as [AlarmStateValue, number], "web-production-release-health": ["ALARM", 11.6] as [AlarmStateValue, number] };
    const polls = [...minutes(0, 11).map((m) => poll(m)), poll(12, fired)];
    const verdict = judge(settings, polls, at(12));
    expect(verdict).toEqual({
      status: "fail",
      cause: "alarm",
      warnings: [],
      firing: [
        { name: "web-production-release-health", since: at(11.6), reason: "Threshold Crossed: 3 out of the last 5 datapoints", inherited: false },
        { name: "web-production-http-5xx-rate", since: at(11.5), reason: "Threshold Crossed: 3 out of the last 5 datapoints", inherited: false },
      ],
    });
    expect(describeVerdict(verdict, ctx)).toBe(
      [
        "Release alarms in ALARM after switching away from blue:",
        "  - web-production-release-health: ALARM since 2026-03-02T10:11:36.000Z (Threshold Crossed: 3 out of the last 5 datapoints)",
        "  - web-production-http-5xx-rate: ALARM since 2026-03-02T10:11:30.000Z (Threshold Crossed: 3 out of the last 5 datapoints)",
        "Roll back (blue is still running, so the switch back is instant):",
        "  git revert --no-edit 3f9c2ab41d07 && git push",
        "  pulumi up -s production",
        "or, straight from this machine (then commit the stack file):",
        "  pulumi config set activeColor blue -s production",
        "  pulumi up -s production",
      ].join("\n"),
    );
  });

  it("does not blame the new color for an alarm that fired before the switch and clears in time (a rollback)", () => {
    const inherited = { "web-production-http-5xx-rate": ["ALARM", -4] as [AlarmStateValue, number] };
    const polls = [...minutes(0, 6).map((m) => poll(m, inherited)), ...minutes(7, 30).map((m) => poll(m))];
    expect(judge(settings, polls.slice(0, 7), at(6)).status).toBe("watching");
    expect(judge(settings, polls, at(30))).toEqual({ status: "pass", warnings: [] });
  });

  it("fails when an alarm from before the switch is still in ALARM after the settle time", () => {
    const inherited = { "web-production-p99-latency": ["ALARM", -4] as [AlarmStateValue, number] };
    const polls = minutes(0, 10).map((m) => poll(m, inherited));
    expect(judge(settings, polls.slice(0, 10), at(9)).status).toBe("watching");
    const verdict = judge(settings, polls, at(10));
    expect(verdict).toMatchObject({ status: "fail", cause: "alarm", firing: [{ name: "web-production-p99-latency", inherited: true }] });
    expect(describeVerdict(verdict, ctx)).toContain(
      "  - web-production-p99-latency: ALARM already before the switch, since 2026-03-02T09:56:00.000Z, and it has not cleared",
    );
  });

  it("fails at the end of a watch shorter than the settle time if an alarm is still in ALARM", () => {
    const short = { ...settings, minutes: 5 };
    const inherited = { "web-production-p99-latency": ["ALARM", -4] as [AlarmStateValue, number] };
    expect(judge(short, minutes(0, 5).map((m) => poll(m, inherited)), at(5))).toMatchObject({ status: "fail", cause: "alarm" });
  });

  it("treats INSUFFICIENT_DATA as not firing", () => {
    const quiet = { "web-production-p99-latency": ["INSUFFICIENT_DATA", 1] as [AlarmStateValue, number] };
    expect(judge(settings, minutes(0, 30).map((m) => poll(m, quiet)), at(30)).status).toBe("pass");
  });

  it("fails with a clear message when the alarm states cannot be read", () => {
    const polls: Poll[] = [poll(0), { at: at(1), error: "AccessDenied: not authorized to perform cloudwatch:DescribeAlarms" }];
    const verdict = judge(settings, polls, at(1));
    expect(verdict).toEqual({
      status: "fail",
      cause: "unreadable",
      problem: "could not read the alarm states at 2026-03-02T10:01:00.000Z: AccessDenied: not authorized to perform cloudwatch:DescribeAlarms",
      warnings: [],
    });
    expect(describeVerdict(verdict, ctx).split("\n").slice(0, 2)).toEqual([
      "The release alarms could not be read, so the release is not verified: could not read the alarm states at 2026-03-02T10:01:00.000Z: AccessDenied: not authorized to perform cloudwatch:DescribeAlarms.",
      "Check the AWS credentials and region this `pulumi up` runs with (cloudwatch:DescribeAlarms), or set `watch.ignorePollFailures` to pass in that case.",
    ]);
  });

  it("counts a watched alarm missing from CloudWatch as unreadable", () => {
    const missing: Poll = { at: at(0), readings: readingsOf(poll(0)).slice(1) };
    expect(judge(settings, [missing], at(0))).toMatchObject({
      status: "fail",
      cause: "unreadable",
      problem: "alarm web-production-release-health not found in CloudWatch at 2026-03-02T10:00:00.000Z (deleted, renamed or another region?)",
    });
  });

  it("with ignorePollFailures, carries on past unreadable polls and still fails on an alarm", () => {
    const ignoring = { ...settings, ignorePollFailures: true };
    const polls: Poll[] = [{ at: at(0), error: "socket hang up" }, ...minutes(1, 30).map((m) => poll(m))];
    const passed = judge(ignoring, polls, at(30));
    expect(passed).toEqual({
      status: "pass",
      warnings: ["could not read the alarm states at 2026-03-02T10:00:00.000Z: socket hang up; carrying on because ignorePollFailures is set"],
    });
    const fired = [...polls.slice(0, 5), poll(5, { "web-production-http-5xx-rate": ["ALARM", 4.5] })];
    expect(judge(ignoring, fired, at(5))).toMatchObject({ status: "fail", cause: "alarm" });
  });

  it("with ignorePollFailures, passes a watch where nothing could be read, saying so", () => {
    const polls: Poll[] = minutes(0, 30).map((m) => ({ at: at(m), error: "ENOTFOUND monitoring.eu-west-1.amazonaws.com" }));
    const verdict = judge({ ...settings, ignorePollFailures: true }, polls, at(30));
    expect(verdict.status).toBe("pass");
    expect(verdict.warnings.at(-1)).toBe("no alarm state could be read during the whole watch; passing because ignorePollFailures is set");
  });

  it("prints a merge commit's revert against its first parent, and a placeholder without git", () => {
    expect(rollbackCommands({ ...ctx, commit: { sha: "9d1e0c7b2a44", isMerge: true } })[1]).toBe("  git revert --no-edit -m 1 9d1e0c7b2a44 && git push");
    expect(rollbackCommands({ stack: "staging", previousColor: "green" })[1]).toBe("  git revert --no-edit <promotion commit> && git push");
  });
});

describe("watch loop", () => {
  /** A simulated clock: sleeping moves it forward; the reader answers from a timeline. */
  function simulate(timeline: (minute: number) => AlarmReading[] | Error, s: WatchSettings, pollMs = 60_000) {
    let now = START.getTime();
    const readsAt: number[] = [];
    const verdict = watchAlarms(s, pollMs, {
      now: () => new Date(now),
      sleep: async (ms) => {
        now += ms;
      },
      read: async () => {
        const minute = (now - START.getTime()) / 60_000;
        readsAt.push(minute);
        const result = timeline(minute);
        if (result instanceof Error) throw result;
        return result;
      },
    });
    return { verdict, readsAt };
  }
  const states = (minute: number, firingFrom?: number) =>
    readingsOf(poll(minute, firingFrom !== undefined && minute >= firingFrom ? { "web-production-http-5xx-rate": ["ALARM", firingFrom] } : {}));

  it("polls every interval for the whole watch, ending with a poll at the end", async () => {
    const { verdict, readsAt } = simulate((m) => states(m), { ...settings, minutes: 5 }, 120_000);
    expect(await verdict).toEqual({ status: "pass", warnings: [] });
    expect(readsAt).toEqual([0, 2, 4, 5]);
  });

  it("stops at the first poll that sees an alarm fire", async () => {
    const { verdict, readsAt } = simulate((m) => states(m, 7), settings);
    expect(await verdict).toMatchObject({ status: "fail", cause: "alarm", firing: [{ name: "web-production-http-5xx-rate" }] });
    expect(readsAt).toEqual(minutes(0, 7));
  });

  it("turns a reader error into an unreadable verdict", async () => {
    const { verdict } = simulate((m) => (m === 3 ? new Error("Rate exceeded") : states(m)), settings);
    expect((await verdict) as Verdict).toMatchObject({ status: "fail", cause: "unreadable", problem: expect.stringContaining(": Rate exceeded") });
  });
});

/** A loopback server answering DescribeAlarms (AWS JSON 1.0) from `alarms`. */
describe("CloudWatch adapter and CLI", () => {
  let server: http.Server;
  let endpoint: string;
  let requests: { target?: string; body: any }[] = [];
  let alarms: { AlarmName: string; StateValue: string; StateReason?: string; StateUpdatedTimestamp: number; StateTransitionedTimestamp?: number; composite?: boolean }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        requests.push({ target: req.headers["x-amz-target"] as string, body: JSON.parse(body) });
        const wanted = new Set<string>(JSON.parse(body).AlarmNames);
        const found = alarms.filter((a) => wanted.has(a.AlarmName));
        const strip = ({ composite: _, ...a }: (typeof alarms)[number]) => a;
        res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
        res.end(
          JSON.stringify({ MetricAlarms: found.filter((a) => !a.composite).map(strip), CompositeAlarms: found.filter((a) => a.composite).map(strip) }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (url: string) =>
    new CloudWatchClient({ region: "eu-west-1", endpoint: url, maxAttempts: 1, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" } });

  it("reads metric and composite alarms with one DescribeAlarms call", async () => {
    requests = [];
    alarms = [
      { AlarmName: NAMES[0], StateValue: "ALARM", StateReason: "web-production-http-5xx-rate in ALARM", StateUpdatedTimestamp: 1772445660, composite: true },
      { AlarmName: NAMES[1], StateValue: "ALARM", StateReason: "Threshold Crossed", StateUpdatedTimestamp: 1772445600 },
      { AlarmName: NAMES[2], StateValue: "OK", StateUpdatedTimestamp: 1772400000 },
    ];
    const readings = await cloudWatchAlarmReader(client(endpoint), NAMES)();
    expect(requests).toEqual([
      { target: "GraniteServiceVersion20100801.DescribeAlarms", body: { AlarmNames: NAMES, AlarmTypes: ["MetricAlarm", "CompositeAlarm"] } },
    ]);
    expect(readings).toEqual([
      { name: NAMES[1], state: "ALARM", reason: "Threshold Crossed", since: new Date(1772445600_000) },
      { name: NAMES[2], state: "OK", reason: undefined, since: new Date(1772400000_000) },
      { name: NAMES[0], state: "ALARM", reason: "web-production-http-5xx-rate in ALARM", since: new Date(1772445660_000) },
    ]);
  });

  it("dates a state by StateTransitionedTimestamp: a composite alarm's evaluations move StateUpdatedTimestamp", async () => {
    // A composite alarm in ALARM since 10:00, re-evaluated at 10:40; the switch was at 10:30.
    const since = Date.UTC(2026, 2, 2, 10, 0) / 1000;
    const evaluated = Date.UTC(2026, 2, 2, 10, 40) / 1000;
    const switchedAt = new Date(Date.UTC(2026, 2, 2, 10, 30));
    alarms = [
      { AlarmName: NAMES[0], StateValue: "ALARM", StateUpdatedTimestamp: evaluated, StateTransitionedTimestamp: since, composite: true },
      { AlarmName: NAMES[1], StateValue: "OK", StateUpdatedTimestamp: evaluated, StateTransitionedTimestamp: since },
      { AlarmName: NAMES[2], StateValue: "OK", StateUpdatedTimestamp: evaluated, StateTransitionedTimestamp: since },
    ];
    const readings = await cloudWatchAlarmReader(client(endpoint), NAMES)();
    expect(readings.find((r) => r.name === NAMES[0])!.since).toEqual(new Date(since * 1000));
    // Read as inherited from before the switch: within settleMinutes it does not fail the watch...
    const poll = { at: new Date(evaluated * 1000), readings };
    const within = judge({ ...settings, startedAt: switchedAt, settleMinutes: 15 }, [poll], poll.at);
    expect(within.status).toBe("watching");
    // ...whereas dated by StateUpdatedTimestamp it would have counted as a new alarm and failed at once.
    const byUpdate = readings.map((r) => (r.name === NAMES[0] ? { ...r, since: new Date(evaluated * 1000) } : r));
    expect(judge({ ...settings, startedAt: switchedAt, settleMinutes: 15 }, [{ at: poll.at, readings: byUpdate }], poll.at).status).toBe("fail");
  });

  it("an unreachable CloudWatch gives an unreadable verdict with the SDK's reason", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const verdict = await watchAlarms({ ...settings, startedAt: new Date(), minutes: 0 }, 1000, {
      read: cloudWatchAlarmReader(client(`http://127.0.0.1:${port}`), NAMES),
      now: () => new Date(),
      sleep: async () => {},
    });
    expect(verdict).toMatchObject({ status: "fail", cause: "unreadable", problem: expect.stringMatching(/could not read the alarm states at .*ECONNREFUSED/) });
  });
});
