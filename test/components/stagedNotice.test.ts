/**
 * A color's staged notice: its part of the notice provider called as the engine calls it, against
 * a real local receiver, and the same provider serialized and run in another process.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { noticeProvider as provider } from "../../components/noticeProvider";
import { StagedNoticeInputs, StagedNoticeState } from "../../components/stagedNoticeProvider";
import { ROOT } from "../helpers/program";
import { Receiver, startReceiver } from "../lib/notify/receiver";

const V14 = { "shop-web": "ghcr.io/acme/web:1.4.0", "shop-bff": "ghcr.io/acme/bff:1.4.0" };
const V15 = { "shop-web": "ghcr.io/acme/web:1.5.0", "shop-bff": "ghcr.io/acme/bff:1.5.0" };

const opened: Receiver[] = [];
async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  opened.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

const inputs = (r: Receiver, more: Partial<StagedNoticeInputs>): StagedNoticeInputs => ({
  stack: "staging",
  app: "shop",
  color: "green",
  activeColor: "blue",
  images: V14,
  webhookUrl: `${r.origin}/hook`,
  ...more,
});

async function up(olds: StagedNoticeState, news: StagedNoticeInputs): Promise<{ changes: boolean; outs: StagedNoticeState }> {
  const { changes } = await provider.diff!("staged-notice-green", olds, news);
  if (!changes) return { changes: false, outs: olds };
  return { changes: true, outs: (await provider.update!("staged-notice-green", olds, news)).outs as StagedNoticeState };
}

const texts = (r: Receiver) => r.requests.map((q) => JSON.parse(q.body).text as string);

describe("the staged notice", () => {
  it("announces new images on the idle color once, and nothing for a promotion, a rollback or a hotfix of the live color", async () => {
    const r = await receiver();
    let state = (await provider.create(inputs(r, {}))).outs as StagedNoticeState;
    expect(state).toMatchObject({ color: "green", images: V14, lastNoticeId: "", delivered: "none (first deploy: nothing staged yet)" });
    const steps: [Partial<StagedNoticeInputs>, boolean, number][] = [
      // 1.5.0 staged on green (idle): one notice
      [{ images: V15, who: "alice", commit: "3f2c1a9" }, true, 1],
      // the same up again; the keys in another order; more replicas are not inputs
      [{ images: V15, who: "bob" }, false, 0],
      [{ images: { "shop-bff": V15["shop-bff"], "shop-web": V15["shop-web"] } }, false, 0],
      // promotion and rollback move activeColor only: no change
      [{ images: V15, activeColor: "green" }, false, 0],
      // a hotfix of green while it is live: an update, but no staged notice
      [{ images: { ...V15, "shop-web": "ghcr.io/acme/web:1.5.1" }, activeColor: "green" }, true, 0],
      // back to idle, the next release staged: one more
      [{ images: { ...V15, "shop-web": "ghcr.io/acme/web:1.6.0" }, activeColor: "blue" }, true, 1],
    ];
    for (const [news, changes, sent] of steps) {
      const before = r.requests.length;
      const result = await up(state, inputs(r, news));
      expect([result.changes, r.requests.length - before], JSON.stringify(news)).toEqual([changes, sent]);
      state = result.outs;
    }
    expect(texts(r)).toEqual(["shop-staging: staged web:1.5.0, bff:1.5.0 on green (by alice)", "shop-staging: staged web:1.6.0, bff:1.5.0 on green"]);
    expect(JSON.parse(r.requests[0].body).blocks[1].fields.map((f: { text: string }) => f.text)).toEqual([
      "*Color*\n`green`",
      "*Images*\n```shop-web: ghcr.io/acme/web:1.5.0\nshop-bff: ghcr.io/acme/bff:1.5.0```",
      "*Commit*\n`3f2c1a9`",
      "*Who*\n`alice`",
    ]);
    expect(state).toMatchObject({ images: { ...V15, "shop-web": "ghcr.io/acme/web:1.6.0" }, delivered: "webhook: delivered (1 attempt)", warning: "" });
  });

  it("the hotfix of the live color says why nothing was sent", async () => {
    const r = await receiver();
    const state = (await provider.create(inputs(r, { activeColor: "green" }))).outs as StagedNoticeState;
    const { outs } = await up(state, inputs(r, { activeColor: "green", images: V15 }));
    expect(outs).toMatchObject({ images: V15, lastNoticeId: "", delivered: "none (green is live: new images on it are not a staged release)" });
    expect(r.requests).toEqual([]);
  });

  it("sends nothing when `events` leaves `staged` out, and keeps the images", async () => {
    const r = await receiver();
    const state = (await provider.create(inputs(r, { events: ["switch"] }))).outs as StagedNoticeState;
    const { changes, outs } = await up(state, inputs(r, { images: V15, events: ["switch"] }));
    expect(changes).toBe(true);
    expect(outs).toMatchObject({ images: V15, delivered: "none (`staged` is not in notify.events)" });
    expect(r.requests).toEqual([]);
  });

  it("serialized with the switch notice's provider, it runs in another process as the engine runs it", async () => {
    const r = await receiver();
    const script = path.join(ROOT, "dist/test/components/switchNoticeProcess.js");
    const text = execFileSync(process.execPath, [script, "serialize"], { cwd: ROOT, encoding: "utf8" });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "staged-notice-")), "provider.js");
    fs.writeFileSync(file, text);
    const steps = [inputs(r, {}), inputs(r, { images: V15 }), inputs(r, { images: V15, activeColor: "green" })];
    const lines = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [script, "run", file, JSON.stringify(steps)], { cwd: ROOT, encoding: "utf8", timeout: 30_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const results = lines.trim().split("\n").map((line) => JSON.parse(line) as { changes: boolean; outs: StagedNoticeState });
    expect(results.map((s) => [s.changes, s.outs.delivered])).toEqual([
      [true, "none (first deploy: nothing staged yet)"],
      [true, "webhook: delivered (1 attempt)"],
      [false, "webhook: delivered (1 attempt)"],
    ]);
    expect(texts(r)).toEqual(["shop-staging: staged web:1.5.0, bff:1.5.0 on green"]);
  });
});
