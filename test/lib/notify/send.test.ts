/**
 * sendNotice against real local receivers: an HTTP server for the webhook, a server speaking the SNS
 * query protocol for the real SNS client, a TCP endpoint that never answers, a closed port.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { notice, SwitchNotice } from "../../../lib/notify/notice";
import { noticeJson, slackMessage } from "../../../lib/notify/format";
import { DEFAULT_RETRY_PAUSE_MS, DEFAULT_TIMEOUT_MS, MAX_ATTEMPTS, sendNotice } from "../../../lib/notify/send";
import { startHangingEndpoint } from "../../jobs/hangingEndpoint";
import { Answer, closedPort, Receiver, startReceiver } from "./receiver";
import { startSnsServer, useLocalAwsCredentials } from "./snsServer";

const SECRET_PATH = "/services/T0000/B0000/s3cr3tT0k3n";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:shop-staging-releases";
const FAST = { timeoutMs: 300, retryPauseMs: 50 };

const rollback: SwitchNotice = notice(
  {
    kind: "switch",
    stack: "staging",
    app: "shop",
    from: "green",
    to: "blue",
    images: { "shop-web": "ghcr.io/acme/web:1.4.0", "shop-bff": "ghcr.io/acme/bff:1.4.0" },
    how: "rollback --apply",
    who: "alice",
    commit: "3f2c1a9",
  },
  new Date("2025-01-31T12:00:00Z"),
);

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

/** No reason may carry the webhook URL or its secret path. */
function expectNoSecret(value: unknown) {
  expect(JSON.stringify(value)).not.toContain("s3cr3tT0k3n");
}

describe("the webhook target", () => {
  it("POSTs the Slack message as JSON and reports one attempt", async () => {
    const r = await receiver();
    const [delivery] = await sendNotice(rollback, [{ kind: "webhook", url: `${r.origin}${SECRET_PATH}` }]);
    expect(delivery).toEqual({ target: "webhook", delivered: true, attempts: 1 });
    expect(r.requests).toHaveLength(1);
    const [request] = r.requests;
    expect(request.method).toBe("POST");
    expect(request.path).toBe(SECRET_PATH);
    expect(request.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(request.body);
    expect(body).toEqual(slackMessage(rollback));
    expect(body.text).toBe("shop-staging: traffic switched green → blue (rollback --apply by alice)");
  });

  it("tries again after a 500 and is delivered by the second attempt", async () => {
    const r = await receiver([{ status: 500, body: "oops" }, { status: 200, body: "ok" }]);
    const [delivery] = await sendNotice(rollback, [{ kind: "webhook", url: `${r.origin}${SECRET_PATH}` }], FAST);
    expect(delivery).toEqual({ target: "webhook", delivered: true, attempts: 2 });
    expect(r.requests.map((q) => q.body)).toEqual([r.requests[0].body, r.requests[0].body]);
  });

  it("tries again after a 429", async () => {
    const r = await receiver([{ status: 429, body: "rate_limited" }, { status: 200, body: "ok" }]);
    const [delivery] = await sendNotice(rollback, [{ kind: "webhook", url: `${r.origin}${SECRET_PATH}` }], FAST);
    expect(delivery).toMatchObject({ delivered: true, attempts: 2 });
  });

  it("gives up after two 500s, saying what the receiver answered", async () => {
    const r = await receiver([{ status: 500, body: "internal_error" }]);
    const [delivery] = await sendNotice(rollback, [{ kind: "webhook", url: `${r.origin}${SECRET_PATH}` }], FAST);
    expect(delivery).toEqual({ target: "webhook", delivered: false, attempts: 2, reason: "webhook: answered HTTP 500: internal_error (after 2 attempts)" });
    expect(r.requests).toHaveLength(2);
    expectNoSecret(delivery);
  });

  it("does not try again after a 400", async () => {
    const r = await receiver([{ status: 400, body: "invalid_payload" }]);
    const [delivery] = await sendNotice(rollback, [{ kind: "webhook", url: `${r.origin}${SECRET_PATH}` }], FAST);
    expect(delivery).toEqual({ target: "webhook", delivered: false, attempts: 1, reason: "webhook: answered HTTP 400: invalid_payload" });
    expect(r.requests).toHaveLength(1);
  });

  it("gives up on a receiver that never answers, each attempt within the timeout", async () => {
    const r = await receiver(["hang"]);
    const started = Date.now();
    const [delivery] = await sendNotice(rollback, [{ kind: "webhook", url: `${r.origin}${SECRET_PATH}` }], FAST);
    const elapsed = Date.now() - started;
    expect(delivery).toEqual({ target: "webhook", delivered: false, attempts: 2, reason: "webhook: no answer within 300 ms (after 2 attempts)" });
    expect(r.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(2 * 300 + 50);
    expect(elapsed).toBeLessThan(2 * 300 + 50 + 1000);
  });

  it("waits 5 s per attempt by default, ~11 s in all, on a receiver that never answers", async () => {
    expect([DEFAULT_TIMEOUT_MS, DEFAULT_RETRY_PAUSE_MS, MAX_ATTEMPTS]).toEqual([5000, 1000, 2]);
    const r = await receiver(["hang"]);
    const started = Date.now();
    const [delivery] = await sendNotice(rollback, [{ kind: "webhook", url: `${r.origin}${SECRET_PATH}` }]);
    const elapsed = Date.now() - started;
    expect(delivery).toEqual({ target: "webhook", delivered: false, attempts: 2, reason: "webhook: no answer within 5000 ms (after 2 attempts)" });
    expect(r.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(11_000 - 50);
    expect(elapsed).toBeLessThan(12_500);
  }, 20_000);

  it("reports a refused connection after two attempts, without the URL", async () => {
    const port = await closedPort();
    const [delivery] = await sendNotice(rollback, [{ kind: "webhook", url: `http://127.0.0.1:${port}${SECRET_PATH}` }], FAST);
    expect(delivery).toEqual({ target: "webhook", delivered: false, attempts: 2, reason: "webhook: connection refused (ECONNREFUSED) (after 2 attempts)" });
    expectNoSecret(delivery);
    expect(JSON.stringify(delivery)).not.toContain(String(port));
  });

  it("refuses a URL that is not http(s) without sending, and without repeating it", async () => {
    const deliveries = await sendNotice(rollback, [
      { kind: "webhook", url: "ftp://hooks.example/s3cr3tT0k3n" },
      { kind: "webhook", url: "not a url s3cr3tT0k3n" },
    ]);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ target: "webhook", delivered: false, attempts: 0 });
      expect(delivery.reason).toMatch(/^webhook: the URL is not an http\(s\) URL/);
      expectNoSecret(delivery);
    }
  });

  it("does not follow a redirect", async () => {
    const r = await receiver([{ status: 302, body: "" }]);
    const [delivery] = await sendNotice(rollback, [{ kind: "webhook", url: `${r.origin}${SECRET_PATH}` }], FAST);
    expect(delivery).toEqual({ target: "webhook", delivered: false, attempts: 1, reason: "webhook: answered HTTP 302 (redirects are not followed)" });
  });
});

describe("the SNS target (the real SNS client against a local query-protocol server)", () => {
  it("publishes the JSON form with the summary as Subject", async () => {
    const sns = await startSnsServer();
    opened.push(sns);
    const [delivery] = await sendNotice(rollback, [{ kind: "sns", topicArn: TOPIC, region: "eu-west-1", endpoint: sns.endpoint }]);
    expect(delivery).toEqual({ target: `sns:${TOPIC}`, delivered: true, attempts: 1 });
    expect(sns.requests).toHaveLength(1);
    const [form] = sns.requests;
    expect(form).toMatchObject({ Action: "Publish", TopicArn: TOPIC, Subject: "shop-staging: traffic switched green -> blue (rollback --apply by alice)" });
    expect(JSON.parse(form.Message)).toEqual(noticeJson(rollback));
  });

  it("tries twice and reports the error when the service fails twice", async () => {
    const sns = await startSnsServer({ failFirst: 2 });
    opened.push(sns);
    const [delivery] = await sendNotice(rollback, [{ kind: "sns", topicArn: TOPIC, region: "eu-west-1", endpoint: sns.endpoint }], FAST);
    expect(delivery).toEqual({ target: `sns:${TOPIC}`, delivered: false, attempts: 2, reason: `sns:${TOPIC}: InternalError: try again (after 2 attempts)` });
    expect(sns.requests).toHaveLength(2);
  });

  it("is delivered by the second attempt after one failure", async () => {
    const sns = await startSnsServer({ failFirst: 1 });
    opened.push(sns);
    const [delivery] = await sendNotice(rollback, [{ kind: "sns", topicArn: TOPIC, region: "eu-west-1", endpoint: sns.endpoint }], FAST);
    expect(delivery).toEqual({ target: `sns:${TOPIC}`, delivered: true, attempts: 2 });
  });

  it("gives up on an endpoint that never answers within the bound", async () => {
    const hanging = await startHangingEndpoint();
    opened.push(hanging);
    const started = Date.now();
    const [delivery] = await sendNotice(rollback, [{ kind: "sns", topicArn: TOPIC, region: "eu-west-1", endpoint: hanging.url }], FAST);
    expect(delivery).toEqual({ target: `sns:${TOPIC}`, delivered: false, attempts: 2, reason: `sns:${TOPIC}: no answer within 300 ms (after 2 attempts)` });
    expect(Date.now() - started).toBeLessThan(2 * 300 + 50 + 1000);
  });

  it("reports a refused connection after two attempts", async () => {
    const port = await closedPort();
    const [delivery] = await sendNotice(rollback, [{ kind: "sns", topicArn: TOPIC, region: "eu-west-1", endpoint: `http://127.0.0.1:${port}` }], FAST);
    expect(delivery).toEqual({ target: `sns:${TOPIC}`, delivered: false, attempts: 2, reason: `sns:${TOPIC}: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port} (after 2 attempts)` });
  });
});

describe("several targets", () => {
  it("are sent to at once: hanging receivers do not hold each other or the others", async () => {
    const hanging = [await receiver(["hang"]), await receiver(["hang"])];
    const fine = await receiver();
    const sns = await startSnsServer();
    opened.push(sns);
    const started = Date.now();
    const deliveries = await sendNotice(
      rollback,
      [
        { kind: "webhook", url: `${hanging[0].origin}${SECRET_PATH}` },
        { kind: "webhook", url: `${hanging[1].origin}${SECRET_PATH}` },
        { kind: "sns", topicArn: TOPIC, region: "eu-west-1", endpoint: sns.endpoint },
        { kind: "webhook", url: `${fine.origin}/hooks/2` },
      ],
      { timeoutMs: 1000, retryPauseMs: 100 },
    );
    const elapsed = Date.now() - started;
    expect(deliveries.map((d) => [d.target, d.delivered])).toEqual([
      ["webhook", false],
      ["webhook", false],
      [`sns:${TOPIC}`, true],
      ["webhook", true],
    ]);
    // One after the other, the two hanging ones alone would take 2 × 2.1 s.
    expect(elapsed).toBeGreaterThanOrEqual(2100);
    expect(elapsed).toBeLessThan(3500);
  });
});
