/** `history` from its three sources, and the progress lines of a wait. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildHistory, historyLines, HistorySources } from "../../release/history";
import { withProgress } from "../../release/progress";
import type { UpdateInfo } from "../../release/pulumiState";
import type { ReleaseRecord } from "../../release/switchRecords";

const update = (startTime: string, endTime: string, color: string, environment: Record<string, string> = {}, result = "succeeded"): UpdateInfo => ({
  version: 0,
  kind: "update",
  result,
  startTime,
  endTime,
  environment,
  config: { "bluegreen:activeColor": color, "bluegreen:app": "web" },
});

const sources = (changes: Partial<HistorySources>): HistorySources => ({
  stack: "staging",
  project: "bluegreen",
  updates: [],
  records: [],
  commits: [],
  imagesOf: (_config, color) => ({ web: `ghcr.io/acme/web:${color === "green" ? "1.5.0" : "1.4.0"}` }),
  ...changes,
});

describe("buildHistory", () => {
  it("takes every update that changed the live color, joins records and commits, newest first", () => {
    const records: ReleaseRecord[] = [
      { kind: "switch", at: "2026-12-03T10:20:03.100Z", stack: "staging", from: "green", to: "blue", images: { web: "ghcr.io/acme/web:1.4.0" }, how: "rollback --apply", who: "alice", commit: "c2" },
      { kind: "watch", at: "2026-12-03T10:10:05.000Z", stack: "staging", color: "green", state: "running", who: "ci" },
      { kind: "watch", at: "2026-12-03T10:19:00.000Z", stack: "staging", color: "green", state: "rolled back", verdict: "web-5xx-rate in ALARM", who: "ci" },
    ];
    const history = buildHistory(
      sources({
        updates: [
          update("2026-12-03T09:00:00.000Z", "2026-12-03T09:00:40.000Z", "blue", { "git.head": "c0" }),
          update("2026-12-03T09:30:00.000Z", "2026-12-03T09:30:20.000Z", "blue", { "git.head": "c1" }),
          update("2026-12-03T10:00:00.000Z", "2026-12-03T10:00:30.000Z", "green", { "git.head": "c2" }),
          update("2026-12-03T10:05:00.000Z", "2026-12-03T10:05:09.000Z", "blue", { "git.head": "c2" }, "failed"),
          update("2026-12-03T10:20:00.000Z", "2026-12-03T10:20:04.000Z", "blue", { "git.head": "c2", "pulumi.flag.target": "set" }),
        ],
        records,
        commits: [
          { commit: "c0", author: "Bob Builder", at: "2026-12-03T08:59:00+00:00", to: "blue" },
          { commit: "c2", author: "Carol Release", at: "2026-12-03T09:59:00+00:00", to: "green" },
        ],
      }),
      20,
    );
    expect(history.switches).toEqual([
      {
        at: "2026-12-03T10:20:04.000Z",
        from: "green",
        to: "blue",
        images: { web: "ghcr.io/acme/web:1.4.0" },
        how: "rollback --apply",
        who: "alice",
        commit: "c2",
        update: 0,
        watch: null,
        sources: ["pulumi", "cluster"],
      },
      {
        at: "2026-12-03T10:00:30.000Z",
        from: "blue",
        to: "green",
        images: { web: "ghcr.io/acme/web:1.5.0" },
        how: "pulumi up",
        who: "Carol Release (commit)",
        commit: "c2",
        update: 0,
        watch: "rolled back: web-5xx-rate in ALARM",
        sources: ["pulumi", "git"],
      },
    ]);
    expect(history.unread).toEqual([]);
    expect(historyLines(history)).toEqual([
      "when (UTC)           switch        how               who                     commit  images                      watch",
      "2026-12-03 10:20:04  green → blue  rollback --apply  alice                   c2      web=ghcr.io/acme/web:1.4.0  -",
      "2026-12-03 10:00:30  blue → green  pulumi up         Carol Release (commit)  c2      web=ghcr.io/acme/web:1.5.0  rolled back: web-5xx-rate in ALARM",
    ]);
  });

  it("keeps a recorded switch whose update it cannot read, and says which source was not read", () => {
    const history = buildHistory(
      sources({
        updates: new Error("pulumi stack history --stack staging: no answer within 20 s"),
        records: [{ kind: "switch", at: "2026-12-03T10:20:03.100Z", stack: "staging", from: "green", to: "blue", images: { web: "w:1" }, how: "watch rollback", who: "ci" }],
      }),
      20,
    );
    expect(history.switches.map((s) => [s.how, s.who, s.sources])).toEqual([["watch rollback", "ci", ["cluster"]]]);
    expect(history.unread).toEqual([{ source: "state", reason: "pulumi stack history --stack staging: no answer within 20 s" }]);
  });

  it("falls back on git's commits when neither the state nor the cluster can be read, and limits", () => {
    const history = buildHistory(
      sources({
        updates: new Error("no state"),
        records: new Error("no cluster"),
        commits: [
          { commit: "c0", author: "Bob", at: "2026-12-01T08:00:00+00:00", to: "blue" },
          { commit: "c1", author: "Carol", at: "2026-12-02T08:00:00+00:00", to: "green" },
          { commit: "c2", author: "Dan", at: "2026-12-03T08:00:00+00:00", to: "blue" },
        ],
      }),
      1,
    );
    expect(history.switches).toEqual([
      { at: "2026-12-03T08:00:00+00:00", from: "green", to: "blue", images: {}, how: "commit (applied or not: the state was not read)", who: "Dan", commit: "c2", update: null, watch: null, sources: ["git"] },
    ]);
    expect(history.unread.map((u) => u.source)).toEqual(["state", "cluster"]);
  });
});

describe("withProgress", () => {
  afterEach(() => vi.useRealTimers());

  it("says what it waits for after a second, then every five, and nothing once done", async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    let finish = () => {};
    const work = withProgress((line) => lines.push(line), "`pulumi up`", new Promise<string>((resolve) => (finish = () => resolve("done"))));
    await vi.advanceTimersByTimeAsync(999);
    expect(lines).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lines).toEqual(["  … waiting for `pulumi up` (1 s)", "  … waiting for `pulumi up` (6 s)"]);
    finish();
    expect(await work).toBe("done");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lines).toHaveLength(2);
  });
});
