/**
 * The post-promotion watch outside `pulumi up`: it runs with the stack unlocked, so a rollback can
 * run while it watches; and when a release alarm fires it rolls back with the targeted update.
 * CloudWatch is a loopback stand-in (no AWS here); the engine and the cluster are real.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FakeCloudWatch } from "./fakeCloudWatch";
import { E2eStack, kubectlJson, releaseCli, startWatch as startWatchOf, timing, waitFor, withoutProgress } from "./harness";

const NS = `e2e-watch-${process.pid}`;
const STACK = `e2e-watch-${process.pid}`;
const ALARM = "web-e2e-release-health";
let stack: E2eStack;
let cloudWatch: FakeCloudWatch;

const liveColor = () => kubectlJson("get", "service", "web", "-n", NS).spec.selector.color as string;
const fileColor = () => parse(stack.read()).config["bluegreen:activeColor"] as string;
const now = () => Math.floor(Date.now() / 1000);
const startWatch = (minutes: number) => startWatchOf(STACK, ALARM, minutes, cloudWatch.endpoint);

beforeAll(async () => {
  cloudWatch = await FakeCloudWatch.start();
  stack = await E2eStack.create(STACK, {
    namespace: NS,
    config: {
      colors: { blue: { image: "ghcr.io/acme/web:2.0.0", replicas: 1 }, green: { image: "ghcr.io/acme/web:2.1.0", replicas: 1 } },
      jobsImage: "ghcr.io/acme/web-jobs:2.0.0",
    },
    secrets: {},
  });
  const up = await stack.up();
  expect(up.error).toBe("");
});

afterAll(async () => {
  await stack?.destroy();
  await cloudWatch?.stop();
});

describe("release watch", () => {
  it("runs with the stack unlocked: a rollback during the watch succeeds, and the watch stops", async () => {
    expect((await releaseCli(["rollback", "--apply", "--stack", STACK])).code).toBe(0); // green live
    cloudWatch.alarms = [{ AlarmName: ALARM, StateValue: "OK", StateUpdatedTimestamp: now(), StateTransitionedTimestamp: now() - 3600, composite: true }];
    cloudWatch.requests = 0;
    const watch = startWatch(5);
    await waitFor("the watch's first poll", () => cloudWatch.requests > 0, watch.output);
    const rollback = await releaseCli(["rollback", "--apply", "--stack", STACK]);
    timing("rollback --apply while the watch runs: start -> end", rollback.seconds);
    expect(withoutProgress(rollback.stderr)).toBe("");
    expect(rollback.code).toBe(0);
    expect(liveColor()).toBe("blue");
    const result = await watch.done;
    expect(result.output).toContain("Watch stopped: traffic moved to blue during the watch");
    expect(result.code).toBe(0);
  });

  it("an alarm firing after the switch rolls back with the targeted update", async () => {
    expect((await releaseCli(["rollback", "--apply", "--stack", STACK])).code).toBe(0); // green live again
    expect(liveColor()).toBe("green");
    // The composite alarm's evaluations move StateUpdatedTimestamp all the time; it is OK since long ago.
    cloudWatch.alarms = [{ AlarmName: ALARM, StateValue: "OK", StateUpdatedTimestamp: now(), StateTransitionedTimestamp: now() - 3600, composite: true }];
    cloudWatch.requests = 0;
    const watch = startWatch(5);
    await waitFor("the watch's first poll", () => cloudWatch.requests > 0, watch.output);
    const firedAt = Date.now();
    // Dated a second ahead: CloudWatch's timestamps are whole seconds, the watch's start is not.
    cloudWatch.alarms = [{ AlarmName: ALARM, StateValue: "ALARM", StateReason: "5xx rate above 1%", StateUpdatedTimestamp: now() + 1, StateTransitionedTimestamp: now() + 1, composite: true }];
    const result = await watch.done;
    timing("watch: alarm -> rolled back", (Date.now() - firedAt) / 1000);
    expect(result.output).toContain(`${ALARM}: ALARM since`);
    expect(result.output).not.toContain("NodeVersionSupportWarning");
    expect(result.output).toContain("A release alarm fired: rolling back to blue.");
    expect(result.output).toContain("Traffic is on blue");
    expect(result.code).toBe(1);
    expect(liveColor()).toBe("blue");
    expect(fileColor()).toBe("blue");
  });
});
