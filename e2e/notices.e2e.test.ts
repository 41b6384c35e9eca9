/**
 * Notices under the real engine: a local webhook receiver (a real HTTP server on loopback) gets
 * exactly one switch notice per switch, whichever path applied it (a promotion by plain `pulumi up`,
 * `rollback --apply`, the watch's rollback), none from an update that switches nothing; a receiver
 * that hangs delays no flip (the notice goes out after the selectors moved) and fails no update.
 * Then the other kinds: a release staged on the idle color (after its rollout), the watch's verdict,
 * maintenance on and off by `maintenance --apply`, and a failed release by `report-failure`.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeCloudWatch } from "./fakeCloudWatch";
import { E2eStack, kubectlJson, releaseCli, startWatch, timeFlip, timing, waitFor, withoutProgress } from "./harness";

const NS = `e2e-notices-${process.pid}`;
const STACK = `e2e-notices-${process.pid}`;

interface Received {
  readonly text: string;
  readonly body: any;
}

let stack: E2eStack;
let server: http.Server;
const received: Received[] = [];
let hang = false;

const selector = () => kubectlJson("get", "service", "web", "-n", NS).spec.selector;
const ALARM = "web-e2e-notices-health";
const now = () => Math.floor(Date.now() / 1000);
let cloudWatch: FakeCloudWatch;

/** What the receiver got since `from`: each notice's summary line. */
const textsSince = (from: number) => received.slice(from).map((r) => r.text);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const parsed = JSON.parse(body);
      received.push({ text: parsed.text, body: parsed });
      if (hang) return; // never answers: the sender's own timeout must end it
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cloudWatch = await FakeCloudWatch.start();
  const { port } = server.address() as AddressInfo;
  stack = await E2eStack.create(STACK, {
    namespace: NS,
    config: {
      colors: { blue: { image: "ghcr.io/acme/web:1.0.0", replicas: 1 }, green: { image: "ghcr.io/acme/web:1.1.0", replicas: 1 } },
      secretEnv: { DATABASE_URL: "databaseUrl" },
      jobsImage: "ghcr.io/acme/web-jobs:1.0.0",
      rolloutTimeoutSeconds: 20,
      notify: { webhookSecret: "releaseWebhook" },
    },
    secrets: { databaseUrl: "postgres://web:e2e-only@db.invalid:5432/web", releaseWebhook: `http://127.0.0.1:${port}/hook` },
  });
});

afterAll(async () => {
  await cloudWatch?.stop();
  server?.closeAllConnections();
  server?.close();
  await stack?.destroy();
});

describe("every switch is announced exactly once", () => {
  it("the first up announces nothing (there is no switch yet)", async () => {
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(received).toEqual([]);
    // The webhook URL is a secret: never in the outputs.
    expect(JSON.stringify(await stack.outputs())).not.toContain("127.0.0.1");
  });

  it("a promotion by plain pulumi up: one notice, with the images of the color now live", async () => {
    stack.editConfig((c) => (c.activeColor = "green"));
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(received).toHaveLength(1);
    expect(received[0].text).toMatch(new RegExp(`^(web-)?${STACK}: traffic switched blue → green \\(pulumi up by .+\\)$`));
    expect(JSON.stringify(received[0].body.blocks)).toContain("ghcr.io/acme/web:1.1.0");
  });

  it("rollback --apply: one notice, sent by its targeted update; the next full up sends none", async () => {
    const run = await releaseCli(["rollback", "-s", STACK, "--apply"]);
    expect(withoutProgress(run.stderr)).toBe("");
    expect(run.code).toBe(0);
    expect(selector().color).toBe("blue");
    expect(received).toHaveLength(2);
    expect(received[1].text).toMatch(/traffic switched green → blue \(rollback --apply by .+\)$/);
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(up.changes).toEqual([]);
    expect(received).toHaveLength(2);
  });

  it("a receiver that hangs delays no flip and fails no update; the notice is tried twice", async () => {
    hang = true;
    stack.editConfig((c) => (c.activeColor = "green"));
    const { result: up, after: flipped } = await timeFlip(NS, "green", () => stack.up());
    timing("promotion with a hanging receiver: start -> flip", flipped);
    timing("promotion with a hanging receiver: start -> end (the notice's 2 tries of 5 s)", up.seconds);
    expect(up.error).toBe("");
    expect(selector().color).toBe("green");
    expect(received).toHaveLength(4); // two attempts of the same notice
    expect(received[2].text).toBe(received[3].text);
    // The flip came before the notice's attempts: at least their 5 s timeout before the end.
    expect(flipped!).toBeLessThan(up.seconds - 5);
    hang = false;
  });
});

describe("the other kinds of notice", () => {
  // Traffic is on green here (the hanging receiver's promotion); blue is idle.
  it("a release staged on the idle color: one `staged` notice, after its rollout", async () => {
    const from = received.length;
    stack.editConfig((c) => (c.colors.blue.image = "ghcr.io/acme/web:1.2.0"));
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(textsSince(from)).toEqual([expect.stringMatching(new RegExp(`^(web-)?${STACK}: staged web:1.2.0 on blue \\(by .+\\)$`))]);
    expect(JSON.stringify(received[from].body.blocks)).toContain("web: ghcr.io/acme/web:1.2.0");
    // The same config again: nothing.
    expect((await stack.up()).changes).toEqual([]);
    expect(received.length).toBe(from + 1);
  });

  it("the watch's rollback: exactly one switch notice (how: watch), then the verdict", async () => {
    // Promote blue (1 notice), then let the watch roll back on ALARM.
    stack.editConfig((c) => (c.activeColor = "blue"));
    expect((await stack.up()).error).toBe("");
    const from = received.length;
    cloudWatch.alarms = [{ AlarmName: ALARM, StateValue: "OK", StateUpdatedTimestamp: now(), StateTransitionedTimestamp: now() - 3600, composite: true }];
    cloudWatch.requests = 0;
    const watch = startWatch(STACK, ALARM, 5, cloudWatch.endpoint);
    await waitFor("the watch's first poll", () => cloudWatch.requests > 0, watch.output);
    cloudWatch.alarms = [{ AlarmName: ALARM, StateValue: "ALARM", StateReason: "5xx rate above 1%", StateUpdatedTimestamp: now() + 1, StateTransitionedTimestamp: now() + 1, composite: true }];
    const result = await watch.done;
    expect(result.code, result.output).toBe(1);
    expect(selector().color).toBe("green");
    expect(textsSince(from)).toEqual([
      expect.stringMatching(/traffic switched blue → green \(watch by .+\)$/),
      expect.stringMatching(new RegExp(`watch rolled back blue → green on alarm ${ALARM} \\(by .+\\)$`)),
    ]);
    expect(result.output).toMatch(/Notice sent: .*watch rolled back blue → green .*\(webhook: delivered \(1 attempt\)\)/);
    // The switch notice names the images of the color traffic went back to.
    expect(JSON.stringify(received[from].body.blocks)).toContain("web: ghcr.io/acme/web:1.1.0");
    // The watch left the stack file on green: the next full up switches nothing and says nothing.
    const up = await stack.up();
    expect(up.error).toBe("");
    expect(received.length).toBe(from + 2);
  });

  it("the watch passing: one verdict notice, no switch", async () => {
    const from = received.length;
    cloudWatch.alarms = [{ AlarmName: ALARM, StateValue: "OK", StateUpdatedTimestamp: now(), StateTransitionedTimestamp: now() - 3600, composite: true }];
    const watch = startWatch(STACK, ALARM, 0.05, cloudWatch.endpoint);
    const result = await watch.done;
    expect(result.code, result.output).toBe(0);
    expect(textsSince(from)).toEqual([expect.stringMatching(/: green passed its 0.05-minute watch \(by .+\)$/)]);
  });

  it("the watch failing without a rollback (its alarm cannot be read): one verdict notice saying so, no switch", async () => {
    const from = received.length;
    cloudWatch.alarms = [];
    const watch = startWatch(STACK, ALARM, 5, cloudWatch.endpoint);
    const result = await watch.done;
    expect(result.code, result.output).toBe(1);
    expect(selector().color).toBe("green");
    expect(textsSince(from)).toEqual([expect.stringMatching(new RegExp(`: watch of green failed, green stays live: the release alarms could not be read: alarm ${ALARM} not found in CloudWatch`))]);
  });

  it("maintenance on and off by `maintenance --apply`: one `maintenance` notice each, none from adding the page", async () => {
    const from = received.length;
    stack.editConfig((c) => (c.maintenance = { enabled: false, message: "Upgrading the database; back at 14:00 UTC." }));
    expect((await stack.up()).error).toBe("");
    expect(received.length).toBe(from);
    const on = await releaseCli(["maintenance", "on", "-s", STACK, "--apply"], { namespace: NS, color: "maintenance" });
    expect(withoutProgress(on.stderr)).toBe("");
    expect(on.code).toBe(0);
    timing("maintenance on --apply with notify: Enter -> flip", on.conditionAfter);
    const off = await releaseCli(["maintenance", "off", "-s", STACK, "--apply"], { namespace: NS, color: "green" });
    expect(withoutProgress(off.stderr)).toBe("");
    expect(off.code).toBe(0);
    timing("maintenance off --apply with notify: Enter -> flip", off.conditionAfter);
    expect(textsSince(from)).toEqual([
      expect.stringMatching(/: maintenance on: Upgrading the database; back at 14:00 UTC\. \(by .+\)$/),
      expect.stringMatching(/: maintenance off: traffic back on green \(by .+\)$/),
    ]);
    expect(received[from].body.blocks[1].fields[0].text).toBe("*Traffic*\n`green → maintenance`");
    expect(JSON.stringify(received[from + 1].body.blocks)).toContain("ghcr.io/acme/web:1.1.0");
  });

  it("a failed release: no `staged` notice; `report-failure` sends one `releaseFailed` naming the Deployment", async () => {
    const from = received.length;
    // A release on idle blue whose image never gets ready: `pulumi up` fails, traffic stays on green.
    stack.editConfig((c) => (c.colors.blue.image = "ghcr.io/acme/web:1.3.0-fail"));
    const up = await stack.up();
    expect(up.ok).toBe(false);
    expect(received.length).toBe(from);
    const report = await releaseCli(["report-failure", "-s", STACK, "--reason", "pulumi up failed, see the log"]);
    expect(withoutProgress(report.stderr)).toBe("");
    expect(report.code).toBe(0);
    expect(report.stdout).toContain("Failed: Deployment web-blue: rollout not complete");
    expect(textsSince(from)).toEqual([expect.stringMatching(/: release failed: Deployment web-blue: rollout not complete \(.*\)/)]);
    expect(selector().color).toBe("green");
  });
});
