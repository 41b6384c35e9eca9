import { describe, expect, it } from "vitest";
import { notice, Notice, noticeId } from "../../../lib/notify/notice";
import { escapeMrkdwn, noticeJson, noticeLabel, noticeSummary, slackMessage, snsSubject } from "../../../lib/notify/format";

const AT = new Date("2025-01-31T12:00:00Z");
const base = { stack: "staging", app: "shop" } as const;
const images = { "shop-web": "ghcr.io/acme/web:1.5.0", "shop-bff": "ghcr.io/acme/bff:1.5.0" };

const promotion = notice({ ...base, kind: "switch", from: "blue", to: "green", images, how: "pulumi up", who: "alice", commit: "3f2c1a9" }, AT);

describe("noticeSummary", () => {
  const cases: [string, Notice][] = [
    ["shop-staging: traffic switched blue → green (pulumi up by alice)", promotion],
    ["shop-staging: traffic switched green → blue (rollback --apply)", notice({ ...base, kind: "switch", from: "green", to: "blue", images, how: "rollback --apply" }, AT)],
    ["shop-staging: staged web:1.5.0, bff:1.5.0 on green (by alice)", notice({ ...base, kind: "staged", color: "green", images, who: "alice" }, AT)],
    [
      "shop-staging: staged web@sha256:0123456789ab on blue",
      notice({ ...base, kind: "staged", color: "blue", images: { "shop-web": `ghcr.io/acme/web@sha256:${"0123456789abcdef".repeat(4)}` } }, AT),
    ],
    ["shop-staging: green passed its 15-minute watch", notice({ ...base, kind: "watchVerdict", color: "green", verdict: "passed", minutes: 15 }, AT)],
    [
      "shop-staging: watch of green failed, green stays live: the release alarms could not be read: AccessDenied (by ci)",
      notice({ ...base, kind: "watchVerdict", color: "green", verdict: "failed", reason: "the release alarms could not be read: AccessDenied\nmore", who: "ci" }, AT),
    ],
    [
      "shop-staging: watch rolled back green → blue on alarm shop-staging-5xx-rate",
      notice({ ...base, kind: "watchVerdict", color: "green", verdict: "rolledBack", alarm: "shop-staging-5xx-rate", to: "blue" }, AT),
    ],
    [
      "shop-staging: release failed: Job shop-migrate-1a2b3c: BackoffLimitExceeded: Job has reached the specified backoff limit",
      notice({ ...base, kind: "releaseFailed", workload: { kind: "Job", name: "shop-migrate-1a2b3c" }, reason: "BackoffLimitExceeded: Job has reached the specified backoff limit\nsecond line" }, AT),
    ],
    ["shop-staging: maintenance on: Back at 14:00 UTC", notice({ ...base, kind: "maintenance", on: true, color: "green", message: "Back at 14:00 UTC" }, AT)],
    ["shop-staging: maintenance on (by bob)", notice({ ...base, kind: "maintenance", on: true, color: "green", how: "maintenance", who: "bob" }, AT)],
    ["shop-staging: maintenance off: traffic back on blue (by carol)", notice({ ...base, kind: "maintenance", on: false, color: "blue", images, who: "carol" }, AT)],
    ["shop-staging: release failed: pulumi up failed: policy violation", notice({ ...base, kind: "releaseFailed", reason: "pulumi up failed: policy violation" }, AT)],
  ];
  it.each(cases)("%s", (summary, n) => {
    expect(noticeSummary(n)).toBe(summary);
  });

  it("names the stack, prefixed with the app unless the stack already names it", () => {
    expect([noticeLabel("shop", "staging"), noticeLabel("shop", "shop-staging"), noticeLabel("shop", "shop")]).toEqual(["shop-staging", "shop-staging", "shop"]);
  });

  it("is one line whatever the values hold", () => {
    const n = notice({ ...base, kind: "switch", from: "blue", to: "green", images, how: "pulumi up", who: "mallory\n@channel\r\u2028x" }, AT);
    expect(noticeSummary(n)).toBe("shop-staging: traffic switched blue → green (pulumi up by mallory @channel x)");
  });
});

describe("notice ids", () => {
  it("are 16 hex digits of the facts: the same switch has the same id, whenever and by whomever it is sent", () => {
    const again = notice({ ...base, kind: "switch", from: "blue", to: "green", images: { "shop-bff": images["shop-bff"], "shop-web": images["shop-web"] }, how: "watch", who: "ci" }, new Date());
    expect(promotion.id).toMatch(/^[0-9a-f]{16}$/);
    expect(again.id).toBe(promotion.id);
    expect(noticeId({ ...base, kind: "switch", from: "blue", to: "green", images, how: "rollback --apply" })).toBe(promotion.id);
  });

  it("differ when the stack, the source, the target or an image differs", () => {
    const facts = { ...base, kind: "switch", from: "blue", to: "green", images, how: "pulumi up" } as const;
    const ids = [
      noticeId(facts),
      noticeId({ ...facts, stack: "production" }),
      noticeId({ ...base, kind: "maintenance", on: true, color: "blue" }),
      noticeId({ ...base, kind: "maintenance", on: false, color: "blue" }),
      noticeId({ ...facts, to: "blue", from: "green" }),
      noticeId({ ...facts, images: { ...images, "shop-web": "ghcr.io/acme/web:1.5.1" } }),
      noticeId({ ...base, kind: "staged", color: "green", images }),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("noticeJson", () => {
  it("is { version, kind, id, at, summary, ...facts }", () => {
    const json = noticeJson(promotion);
    expect(json).toEqual({
      version: 1,
      kind: "switch",
      id: promotion.id,
      at: "2025-01-31T12:00:00.000Z",
      summary: "shop-staging: traffic switched blue → green (pulumi up by alice)",
      stack: "staging",
      app: "shop",
      from: "blue",
      to: "green",
      images,
      how: "pulumi up",
      who: "alice",
      commit: "3f2c1a9",
    });
    expect(Object.keys(json).slice(0, 5)).toEqual(["version", "kind", "id", "at", "summary"]);
  });

  it("keeps hostile text as it is: JSON receivers escape for themselves", () => {
    const n = notice({ ...base, kind: "maintenance", on: true, color: "blue", message: "<!channel> `rm -rf` & co" }, AT);
    expect(noticeJson(n)).toMatchObject({ kind: "maintenance", on: true, message: "<!channel> `rm -rf` & co" });
  });
});

describe("slackMessage", () => {
  it("has the summary as text, the facts as fields, and the id and time", () => {
    expect(slackMessage(promotion)).toEqual({
      text: "shop-staging: traffic switched blue → green (pulumi up by alice)",
      blocks: [
        { type: "section", text: { type: "mrkdwn", text: "shop-staging: traffic switched blue → green (pulumi up by alice)", verbatim: true } },
        {
          type: "section",
          fields: [
            { type: "mrkdwn", text: "*Traffic*\n`blue → green`", verbatim: true },
            { type: "mrkdwn", text: "*Images*\n```shop-web: ghcr.io/acme/web:1.5.0\nshop-bff: ghcr.io/acme/bff:1.5.0```", verbatim: true },
            { type: "mrkdwn", text: "*How*\n`pulumi up`", verbatim: true },
            { type: "mrkdwn", text: "*Commit*\n`3f2c1a9`", verbatim: true },
            { type: "mrkdwn", text: "*Who*\n`alice`", verbatim: true },
          ],
        },
        { type: "context", elements: [{ type: "mrkdwn", text: `notice \`${promotion.id}\` at \`2025-01-31T12:00:00.000Z\``, verbatim: true }] },
      ],
    });
  });

  it("leaves out the facts a notice does not have", () => {
    const fieldNames = (n: Notice) => (slackMessage(n).blocks[1] as unknown as { fields: { text: string }[] }).fields.map((f) => f.text.split("\n")[0]);
    expect(fieldNames(notice({ ...base, kind: "maintenance", on: true, color: "green", how: "maintenance" }, AT))).toEqual(["*Traffic*", "*How*"]);
    expect(fieldNames(notice({ ...base, kind: "maintenance", on: true, color: "green", message: "Back soon", images }, AT))).toEqual(["*Traffic*", "*Images*", "*Message*"]);
    // Off: the images traffic went back to; the page's message is no longer news.
    expect(fieldNames(notice({ ...base, kind: "maintenance", on: false, color: "blue", message: "Back soon", images }, AT))).toEqual(["*Traffic*", "*Images*"]);
    expect(fieldNames(notice({ ...base, kind: "releaseFailed", reason: "refused by policy" }, AT))).toEqual(["*Reason*"]);
  });

  describe("hostile text", () => {
    const hostile = notice(
      {
        ...base,
        kind: "releaseFailed",
        workload: { kind: "Deployment", name: "shop-web-green" },
        reason: "ImagePullBackOff <!channel> <@U024BE7LH> <https://evil.example|click here> `code` ```block``` & &lt;!here&gt; @here @Everyone *bold* _it_ ~s~",
        who: "<!subteam^S123> `x`",
        commit: "<#C123>",
      },
      AT,
    );
    const message = slackMessage(hostile);
    const texts = [message.text, ...message.blocks.flatMap((b) => ("text" in b ? [b.text.text] : "fields" in b ? b.fields.map((f) => f.text) : b.elements.map((e) => e.text)))];

    it("has no < or > left anywhere: no mention, no channel, no link", () => {
      for (const text of texts) expect(text).not.toMatch(/[<>]/);
      expect(message.text).toContain("&lt;!channel&gt;");
      expect(message.text).toContain("&lt;@U024BE7LH&gt;");
      expect(message.text).toContain("&lt;https://evil.example|click here&gt;");
    });

    it("escapes every & (an already escaped entity shows as typed)", () => {
      for (const text of texts) expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
      expect(message.text).toContain("&amp;lt;!here&amp;gt;");
    });

    it("turns backticks into ˋ, so a value never leaves its code span", () => {
      const reason = texts.find((t) => t.startsWith("*Reason*\n"))!;
      expect(reason).toMatch(/^\*Reason\*\n`[^`]*`$/);
      expect(reason).toContain("ˋcodeˋ ˋˋˋblockˋˋˋ");
      expect(texts.find((t) => t.startsWith("*Who*\n"))).toBe("*Who*\n`&lt;!subteam^S123&gt; ˋxˋ`");
    });

    it("breaks @channel, @here and @everyone with a zero-width space", () => {
      expect(message.text).toContain("@\u200bhere @\u200bEveryone");
      expect(escapeMrkdwn("@channel")).toBe("@\u200bchannel");
      expect(escapeMrkdwn("mail@channelx.example")).toBe("mail@channelx.example");
    });
  });

  it("stays within Slack's limits, cutting after escaping so no entity is split", () => {
    const n = notice({ ...base, kind: "releaseFailed", workload: { kind: "Job", name: "j" }, reason: "&".repeat(5000), who: "w".repeat(10_000) }, AT);
    const message = slackMessage(n);
    const section = message.blocks[0] as { text: { text: string } };
    const fields = (message.blocks[1] as unknown as { fields: { text: string }[] }).fields;
    expect(section.text.text.length).toBeLessThanOrEqual(3000);
    for (const field of fields) expect(field.text.length).toBeLessThanOrEqual(2000);
    const reason = fields.find((f) => f.text.startsWith("*Reason*"))!.text;
    expect(reason).toMatch(/^\*Reason\*\n`(&amp;)+…`$/);
    // What fits is not cut.
    expect(escapeMrkdwn("x".repeat(5000))).toBe("x".repeat(5000));
    const fits = notice({ ...base, kind: "releaseFailed", workload: { kind: "Job", name: "j" }, reason: "r".repeat(2000 - "*Reason*\n``".length) }, AT);
    const fitted = (slackMessage(fits).blocks[1] as unknown as { fields: { text: string }[] }).fields.find((f) => f.text.startsWith("*Reason*"))!.text;
    expect(fitted).toHaveLength(2000);
    expect(fitted.endsWith("r`")).toBe(true);
  });
});

describe("snsSubject", () => {
  it("is the summary in printable ASCII", () => {
    expect(snsSubject(promotion)).toBe("shop-staging: traffic switched blue -> green (pulumi up by alice)");
    const n = notice({ ...base, kind: "maintenance", on: true, color: "blue", message: "Wartung – zurück um 14 Uhr ✓" }, AT);
    expect(snsSubject(n)).toBe("shop-staging: maintenance on: Wartung ? zur?ck um 14 Uhr ?");
  });

  it("is under 100 characters", () => {
    const n = notice({ ...base, kind: "switch", from: "blue", to: "green", images, how: "rollback --apply", who: "a-very-long-ci-actor-name".repeat(6) }, AT);
    const subject = snsSubject(n);
    expect(subject.length).toBe(99);
    expect(subject.endsWith("...")).toBe(true);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});
