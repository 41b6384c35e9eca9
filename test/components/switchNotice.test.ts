/**
 * SwitchNotice: its dynamic provider's diff/create/update called directly against a real local
 * receiver (and the real SNS client against a local query-protocol server), the same provider
 * serialized and run in another process as the engine's dynamic-provider plugin runs it, and the
 * component under mocks (what it registers, and when it warns).
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { switchNoticeUrn } from "../../domain/names";
import { SwitchNotice } from "../../components/switchNotice";
import { noticeProvider as provider } from "../../components/noticeProvider";
import { SwitchNoticeInputs, SwitchNoticeState } from "../../components/switchNoticeProvider";
import { ROOT } from "../helpers/program";
import { Answer, Receiver, startReceiver } from "../lib/notify/receiver";
import { startSnsServer, useLocalAwsCredentials } from "../lib/notify/snsServer";

const SECRET_PATH = "/services/T0000/B0000/s3cr3tT0k3n";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:shop-staging-releases";
const BLUE = { "shop-web": "ghcr.io/acme/web:1.4.0", "shop-bff": "ghcr.io/acme/bff:1.4.0" };
const GREEN = { "shop-web": "ghcr.io/acme/web:1.5.0", "shop-bff": "ghcr.io/acme/bff:1.5.0" };

const opened: { close(): Promise<void> }[] = [];
async function receiver(answers?: Answer[]): Promise<Receiver> {
  const r = await startReceiver(answers);
  opened.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});
beforeAll(useLocalAwsCredentials);

const inputs = (r: Receiver | undefined, more: Partial<SwitchNoticeInputs>): SwitchNoticeInputs => ({
  stack: "staging",
  app: "shop",
  live: "blue",
  images: BLUE,
  how: "pulumi up",
  ...(r ? { webhookUrl: `${r.origin}${SECRET_PATH}` } : {}),
  ...more,
});

/** What the engine does with one `pulumi up`: diff against the state, update when it says so. */
async function up(olds: SwitchNoticeState, news: SwitchNoticeInputs): Promise<{ changes: boolean; outs: SwitchNoticeState }> {
  const { changes } = await provider.diff!("switch-notice", olds, news);
  if (!changes) return { changes: false, outs: olds };
  const { outs } = await provider.update!("switch-notice", olds, news);
  return { changes: true, outs: outs as SwitchNoticeState };
}

async function created(news: SwitchNoticeInputs): Promise<SwitchNoticeState> {
  return (await provider.create(news)).outs as SwitchNoticeState;
}

const postedTexts = (r: Receiver) => r.requests.map((q) => JSON.parse(q.body).text as string);

describe("the switch notice provider", () => {
  it("diff: a change only when the live color (or maintenance) changes", async () => {
    const state = await created(inputs(undefined, {}));
    const diff = (news: Partial<SwitchNoticeInputs>) => provider.diff!("switch-notice", state, inputs(undefined, news)).then((d) => d.changes);
    expect(await diff({})).toBe(false);
    // Images of the live color, who, how, the targets: not a switch.
    expect(await diff({ images: GREEN, who: "alice", how: "rollback --apply", webhookUrl: "https://hooks.example/x", snsTopicArn: TOPIC })).toBe(false);
    expect(await diff({ live: "green" })).toBe(true);
    expect(await diff({ live: "maintenance" })).toBe(true);
  });

  it("create: announces nothing (there is no switch on a first deploy)", async () => {
    const r = await receiver();
    const outs = await created(inputs(r, { live: "green", images: GREEN }));
    expect(outs).toEqual({ stack: "staging", app: "shop", live: "green", images: GREEN, lastNoticeId: "", delivered: "none (first deploy: no switch to announce)", warning: "", noticeAt: "" });
    expect(r.requests).toEqual([]);
  });

  it("sends exactly one notice per live-color change, none for idle-only changes, over a release's life", async () => {
    const r = await receiver();
    let state = await created(inputs(r, {}));
    const steps: [Partial<SwitchNoticeInputs>, boolean][] = [
      // green staged and released: the idle color's images are not this resource's inputs; nothing changes.
      [{}, false],
      // promotion
      [{ live: "green", images: GREEN, who: "alice", commit: "3f2c1a9" }, true],
      // the same up again, and one run by someone else
      [{ live: "green", images: GREEN, who: "alice", commit: "3f2c1a9" }, false],
      [{ live: "green", images: GREEN, who: "bob", how: "watch" }, false],
      // rollback --apply
      [{ live: "blue", images: BLUE, how: "rollback --apply", who: "carol" }, true],
      // maintenance on, a promotion while on (traffic stays on the page), then off onto green
      [{ live: "maintenance", images: {}, how: "maintenance", who: "carol", maintenanceMessage: "Back at 14:00 UTC" }, true],
      [{ live: "maintenance", images: {}, how: "pulumi up", who: "carol", maintenanceMessage: "Back at 14:00 UTC" }, false],
      [{ live: "green", images: GREEN, how: "maintenance", who: "carol", maintenanceMessage: "Back at 14:00 UTC" }, true],
    ];
    for (const [news, expected] of steps) {
      const before = r.requests.length;
      const result = await up(state, inputs(r, news));
      expect(result.changes, JSON.stringify(news)).toBe(expected);
      expect(r.requests.length - before, JSON.stringify(news)).toBe(expected ? 1 : 0);
      state = result.outs;
    }
    expect(postedTexts(r)).toEqual([
      "shop-staging: traffic switched blue → green (pulumi up by alice)",
      "shop-staging: traffic switched green → blue (rollback --apply by carol)",
      "shop-staging: maintenance on: Back at 14:00 UTC (by carol)",
      "shop-staging: maintenance off: traffic back on green (by carol)",
    ]);
    const [on, off] = [JSON.parse(r.requests[2].body), JSON.parse(r.requests[3].body)];
    expect(on.blocks[1].fields.map((f: { text: string }) => f.text)).toEqual(["*Traffic*\n`blue → maintenance`", "*Message*\n`Back at 14:00 UTC`", "*How*\n`maintenance`", "*Who*\n`carol`"]);
    expect(off.blocks[1].fields.map((f: { text: string }) => f.text)).toEqual([
      "*Traffic*\n`maintenance → green`",
      "*Images*\n```shop-web: ghcr.io/acme/web:1.5.0\nshop-bff: ghcr.io/acme/bff:1.5.0```",
      "*How*\n`maintenance`",
      "*Who*\n`carol`",
    ]);
    const rollback = JSON.parse(r.requests[1].body);
    expect(rollback.blocks[1].fields.map((f: { text: string }) => f.text)).toEqual([
      "*Traffic*\n`green → blue`",
      "*Images*\n```shop-web: ghcr.io/acme/web:1.4.0\nshop-bff: ghcr.io/acme/bff:1.4.0```",
      "*How*\n`rollback --apply`",
      "*Who*\n`carol`",
    ]);
    expect(state).toMatchObject({ live: "green", delivered: "webhook: delivered (1 attempt)", warning: "" });
    expect(state.lastNoticeId).toMatch(/^[0-9a-f]{16}$/);
    expect(Date.parse(state.noticeAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("gives the same switch the same id", async () => {
    const r = await receiver();
    const blue = await created(inputs(r, {}));
    const first = await up(blue, inputs(r, { live: "green", images: GREEN, who: "alice" }));
    const again = await up(blue, inputs(r, { live: "green", images: GREEN, who: "bob", how: "watch" }));
    expect(again.outs.lastNoticeId).toBe(first.outs.lastNoticeId);
    expect(new Set(r.requests.map((q) => JSON.parse(q.body).blocks[2].elements[0].text.split("`")[1]))).toEqual(new Set([first.outs.lastNoticeId]));
  });

  it("never fails the update: a receiver that fails twice is reported in the outputs, without the URL", async () => {
    const r = await receiver([{ status: 500, body: "internal_error" }]);
    const blue = await created(inputs(r, {}));
    const { outs } = await up(blue, inputs(r, { live: "green", images: GREEN }));
    expect(r.requests).toHaveLength(2);
    expect(outs.delivered).toBe("webhook: answered HTTP 500: internal_error (after 2 attempts)");
    expect(outs.warning).toBe(`switch notice ${outs.lastNoticeId} (blue → green) not delivered: webhook: answered HTTP 500: internal_error (after 2 attempts)`);
    expect(outs.live).toBe("green");
    expect(JSON.stringify(outs)).not.toContain("s3cr3tT0k3n");
    expect(Object.keys(outs)).not.toContain("webhookUrl");
  });

  it("publishes to the SNS topic as well, in the topic's region by default", async () => {
    const r = await receiver();
    const sns = await startSnsServer();
    opened.push(sns);
    // The SNS client takes its endpoint from the environment here: the provider has no endpoint input.
    vi.stubEnv("AWS_ENDPOINT_URL_SNS", sns.endpoint);
    try {
      const blue = await created(inputs(r, { snsTopicArn: TOPIC }));
      const { outs } = await up(blue, inputs(r, { live: "green", images: GREEN, snsTopicArn: TOPIC }));
      expect(outs.delivered).toBe(`webhook: delivered (1 attempt); sns:${TOPIC}: delivered (1 attempt)`);
      expect(sns.requests).toHaveLength(1);
      expect(sns.requests[0]).toMatchObject({ Action: "Publish", TopicArn: TOPIC, Subject: "shop-staging: traffic switched blue -> green (pulumi up)" });
      expect(JSON.parse(sns.requests[0].Message)).toMatchObject({ version: 1, kind: "switch", from: "blue", to: "green", images: GREEN, id: outs.lastNoticeId });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("sends only the kinds in `events`, and still follows where traffic goes", async () => {
    const r = await receiver();
    const events = ["maintenance"] as const;
    let state = await created(inputs(r, { events: [...events] }));
    const promoted = await up(state, inputs(r, { live: "green", images: GREEN, events: [...events] }));
    expect(promoted.changes).toBe(true);
    expect(promoted.outs).toMatchObject({ live: "green", lastNoticeId: "", delivered: "none (`switch` is not in notify.events)", warning: "" });
    state = promoted.outs;
    const on = await up(state, inputs(r, { live: "maintenance", images: {}, events: [...events] }));
    expect(on.outs).toMatchObject({ live: "maintenance", delivered: "webhook: delivered (1 attempt)" });
    expect(postedTexts(r)).toEqual(["shop-staging: maintenance on"]);
    expect(JSON.parse(r.requests[0].body).blocks[1].fields[0].text).toBe("*Traffic*\n`green → maintenance`");
  });

  it("with no target, records the switch and says nothing was sent", async () => {
    const blue = await created(inputs(undefined, {}));
    const { outs } = await up(blue, inputs(undefined, { live: "green", images: GREEN }));
    expect(outs).toMatchObject({ live: "green", delivered: "none (no webhook or SNS topic configured)", warning: "" });
    expect(outs.lastNoticeId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("the switch notice provider, serialized and run in another process as the engine runs it", () => {
  it("loads, and sends one notice per live-color change", async () => {
    const r = await receiver();
    const script = path.join(ROOT, "dist/test/components/switchNoticeProcess.js");
    const text = execFileSync(process.execPath, [script, "serialize"], { cwd: ROOT, encoding: "utf8" });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "switch-notice-")), "provider.js");
    fs.writeFileSync(file, text);
    const steps = [inputs(r, {}), inputs(r, { live: "green", images: GREEN, who: "alice" }), inputs(r, { live: "green", images: GREEN, who: "bob" }), inputs(r, { live: "blue", how: "rollback --apply" })];
    // Asynchronously: the receiver answers from this process.
    const lines = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [script, "run", file, JSON.stringify(steps)], { cwd: ROOT, encoding: "utf8", timeout: 30_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const results = lines.trim().split("\n").map((line) => JSON.parse(line) as { changes: boolean; outs: SwitchNoticeState });
    expect(results.map((s) => [s.changes, s.outs.live, s.outs.delivered])).toEqual([
      [true, "blue", "none (first deploy: no switch to announce)"],
      [true, "green", "webhook: delivered (1 attempt)"],
      [false, "green", "webhook: delivered (1 attempt)"],
      [true, "blue", "webhook: delivered (1 attempt)"],
    ]);
    expect(postedTexts(r)).toEqual(["shop-staging: traffic switched blue → green (pulumi up by alice)", "shop-staging: traffic switched green → blue (rollback --apply)"]);
    // The provider holds no secret and nothing of this machine but code.
    expect(text).not.toContain("s3cr3tT0k3n");
  });
});

describe("SwitchNotice (the component, under mocks)", () => {
  interface Registered {
    type: string;
    name: string;
    parent: string;
    urn: string;
    dependencies: string[];
    wireInputs: Record<string, unknown>;
  }

  /** Runs `program` under mocks whose dynamic resource answers `state`; returns what was registered and what was warned. */
  async function underMocks(state: Partial<SwitchNoticeState>, program: () => void) {
    const registered: Registered[] = [];
    const warned: string[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation((line: string) => void warned.push(line));
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.type.startsWith("pulumi-nodejs:dynamic") ? { ...args.inputs, ...state } : args.inputs }),
        call: (args) => args.inputs,
      },
      "bluegreen",
      "staging",
      false,
    );
    const monitor = require("@pulumi/pulumi/runtime/state").getStore().settings.monitor;
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, res: any) => void) =>
      registerResource(req, (err: any, res: any) => {
        if (!err) {
          registered.push({
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            urn: res.getUrn(),
            dependencies: req.getDependenciesList(),
            wireInputs: req.getObject()?.toJavaScript() ?? {},
          });
        }
        callback(err, res);
      });
    try {
      program();
      await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
    } finally {
      warn.mockRestore();
    }
    return { registered, warned, get: (type: string) => registered.find((r) => r.type === type)! };
  }

  /** A live Service as the engine sees it: a custom resource of the Service type. */
  class LiveServiceStandIn extends pulumi.CustomResource {
    constructor(name: string, opts: pulumi.CustomResourceOptions) {
      super("kubernetes:core/v1:Service", name, {}, opts);
    }
  }

  const construct = () => {
    const app = new pulumi.ComponentResource("bluegreen:k8s:BlueGreenApp", "shop", {}, {});
    const lives = ["shop-web-live", "shop-bff-live"].map((name) => new LiveServiceStandIn(name, { parent: app }));
    return new SwitchNotice(
      "shop-switch-notice",
      { stack: "staging", app: "shop", live: "green", images: GREEN, liveServices: lives, webhookUrl: `https://hooks.example${SECRET_PATH}`, snsTopicArn: TOPIC },
      { parent: app },
    );
  };

  it("registers the dynamic resource under the component, after every live Service, the webhook URL as a secret, at the URN switchNoticeUrn names", async () => {
    const run = await underMocks({}, construct);
    const component = run.get("bluegreen:notify:SwitchNotice");
    const resource = run.get("pulumi-nodejs:dynamic/notify:SwitchNotice");
    expect(resource.name).toBe("shop-switch-notice");
    expect(resource.parent).toBe(component.urn);
    // The mocks put only the immediate parent's type in a URN, the engine every ancestor's: compared from the parent type on.
    const urn = switchNoticeUrn("staging", "bluegreen", "shop");
    expect(urn).toBe("urn:pulumi:staging::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:notify:SwitchNotice$pulumi-nodejs:dynamic/notify:SwitchNotice::shop-switch-notice");
    const fromParentType = (u: string) => u.slice(u.indexOf("bluegreen:notify:SwitchNotice$"));
    expect(fromParentType(resource.urn)).toBe(fromParentType(urn));
    expect(component.parent).toMatch(/::bluegreen:k8s:BlueGreenApp::shop$/);
    expect(resource.dependencies).toEqual(run.registered.filter((r) => r.type === "kubernetes:core/v1:Service").map((r) => r.urn));
    expect(resource.dependencies).toHaveLength(2);
    const wire = resource.wireInputs;
    expect(wire.webhookUrl).toEqual({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: `https://hooks.example${SECRET_PATH}` });
    expect(wire).toMatchObject({ stack: "staging", app: "shop", live: "green", images: GREEN, how: "pulumi up", snsTopicArn: TOPIC });
    expect(typeof wire.__provider).toBe("string");
    expect(wire.__provider).not.toContain("s3cr3tT0k3n");
    // The component itself is given nothing: no secret reaches its inputs.
    expect(component.wireInputs).toEqual({});
  });

  it("warns when this run's notice was not delivered", async () => {
    const run = await underMocks({ warning: "switch notice 0123456789abcdef (blue → green) not delivered: webhook: answered HTTP 500", noticeAt: new Date().toISOString() }, construct);
    expect(run.warned).toEqual(["warning: [runtime] switch notice 0123456789abcdef (blue → green) not delivered: webhook: answered HTTP 500"]);
  });

  it("does not warn again about an earlier run's notice (an unchanged SwitchNotice keeps its outputs)", async () => {
    const run = await underMocks({ warning: "switch notice 0123456789abcdef (blue → green) not delivered: webhook: answered HTTP 500", noticeAt: "2025-01-31T12:00:00.000Z" }, construct);
    expect(run.warned).toEqual([]);
  });

  it("refuses a live target or a how it does not know, naming the argument", () => {
    const args = { stack: "staging", app: "shop", live: "green", images: GREEN, liveServices: [new LiveServiceStandIn("x", {})] } as const;
    expect(() => new SwitchNotice("n", { ...args, live: "purple" as never })).toThrow("SwitchNotice n: `live` is `purple`; use one of blue, green, maintenance");
    expect(() => new SwitchNotice("n", { ...args, how: "kubectl" as never })).toThrow(
      "SwitchNotice n: `how` is `kubectl`; use one of `pulumi up`, `rollback --apply`, `watch`, `maintenance`",
    );
  });

  it("refuses to be made without the live Services it follows", () => {
    expect(() => new SwitchNotice("shop-switch-notice", { stack: "staging", app: "shop", live: "green", images: GREEN, liveServices: [] })).toThrow(
      "SwitchNotice shop-switch-notice: `liveServices` is empty; pass every live Service of the app so the notice follows the switch",
    );
  });
});
