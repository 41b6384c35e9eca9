/**
 * The notices the release CLI sends itself: where they go (the stack's notify config and outputs as
 * the `pulumi` CLI prints them), what `report-failure` finds failed in the cluster's objects, and the
 * notices it makes of that.
 */
import { describe, expect, it } from "vitest";
import { failedWorkloads } from "../../release/failedWorkloads";
import { noticeRouteOf } from "../../release/noticeRoute";
import { failureFacts } from "../../release/reportFailure";

const HOOK = "https://hooks.slack.example/services/T0/B0/secret";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:shop-production-alarms";

describe("noticeRouteOf", () => {
  const config = (notify: unknown, more: Record<string, unknown> = {}) => ({
    "bluegreen:notify": { value: JSON.stringify(notify), objectValue: notify, secret: false },
    "bluegreen:releaseWebhook": { value: HOOK, secret: true },
    ...more,
  });

  it("takes the webhook URL from the secret key the section names, and the alarm topic from the outputs", () => {
    expect(noticeRouteOf(config({ webhookSecret: "releaseWebhook", snsTopicArn: "alarms" }), { alarmTopicArn: TOPIC }, "bluegreen")).toEqual({
      targets: [
        { kind: "webhook", url: HOOK },
        { kind: "sns", topicArn: TOPIC, region: "eu-west-1" },
      ],
      events: ["staged", "switch", "watchVerdict", "releaseFailed", "maintenance"],
    });
  });

  it("keeps `events`, and a topic ARN given as it is", () => {
    const other = "arn:aws:sns:us-east-1:123456789012:releases";
    expect(noticeRouteOf(config({ snsTopicArn: other, events: ["releaseFailed"] }), {}, "bluegreen")).toEqual({
      targets: [{ kind: "sns", topicArn: other, region: "us-east-1" }],
      events: ["releaseFailed"],
    });
  });

  it("reads a section printed as a JSON string only", () => {
    const route = noticeRouteOf({ "bluegreen:notify": { value: '{"webhookSecret":"releaseWebhook"}' }, "bluegreen:releaseWebhook": { value: HOOK, secret: true } }, {}, "bluegreen");
    expect(route).toEqual({ targets: [{ kind: "webhook", url: HOOK }], events: ["staged", "switch", "watchVerdict", "releaseFailed", "maintenance"] });
  });

  it("is undefined without the section; names what is wrong otherwise", () => {
    expect(noticeRouteOf({ "bluegreen:app": { value: "shop" } }, {}, "bluegreen")).toBeUndefined();
    expect(noticeRouteOf(config({ webhookSecret: "missing" }), {}, "bluegreen")).toEqual({ problem: "`notify.webhookSecret` names config key `missing`, which is not set" });
    expect(noticeRouteOf(config({ events: ["deploy"], webhookSecret: "releaseWebhook" }), {}, "bluegreen")).toEqual({ problem: "`notify` has config problems; `pulumi preview` names them" });
    // `alarms` on a stack whose alarm topic is not deployed: no SNS target, the webhook still.
    expect(noticeRouteOf(config({ webhookSecret: "releaseWebhook", snsTopicArn: "alarms" }), { alarmTopicArn: "none" }, "bluegreen")).toMatchObject({ targets: [{ kind: "webhook", url: HOOK }] });
  });
});

describe("failedWorkloads", () => {
  const since = new Date("2026-12-03T12:00:00Z");
  const job = (name: string, failedAt?: string, more: Record<string, unknown> = {}) => ({
    kind: "Job",
    metadata: { name },
    status: { conditions: failedAt ? [{ type: "Failed", status: "True", lastTransitionTime: failedAt, reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit", ...more }] : [{ type: "Complete", status: "True" }] },
  });
  const deployment = (name: string, color: string, image: string, status: Record<string, unknown>) => ({
    kind: "Deployment",
    metadata: { name, generation: 2 },
    spec: { replicas: 2, selector: { matchLabels: { app: "shop-web", color } }, template: { spec: { containers: [{ image }] } } },
    status: { observedGeneration: 2, ...status },
  });
  const pod = (name: string, color: string, image: string, state: Record<string, unknown>, ready = false) => ({
    kind: "Pod",
    metadata: { name, labels: { app: "shop-web", color } },
    spec: { containers: [{ image }] },
    status: { containerStatuses: [{ ready, state }] },
  });

  it("names the Jobs that failed since the update began and the Deployments not rolled out, with the cluster's reasons", () => {
    const items = [
      deployment("shop-web-green", "green", "ghcr.io/acme/web:1.6.0", { replicas: 3, updatedReplicas: 1, availableReplicas: 2, readyReplicas: 2 }),
      // Its old Pod still serves: available, but the rollout is not done.
      deployment("shop-bff-green", "green", "ghcr.io/acme/bff:1.6.0", { replicas: 3, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 }),
      pod("shop-web-green-new", "green", "ghcr.io/acme/web:1.6.0", { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "ghcr.io/acme/web:1.6.0"' } }),
      pod("shop-web-green-old", "green", "ghcr.io/acme/web:1.5.0", {}, true),
      deployment("shop-web-blue", "blue", "ghcr.io/acme/web:1.5.0", { replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 }),
      job("shop-migrate-9f8e7d", "2026-12-03T12:04:00Z"),
      job("shop-migrate-0a1b2c", "2026-12-02T09:00:00Z"),
      job("shop-web-smoke-green-1a2b", undefined),
    ];
    expect(failedWorkloads(items, since)).toEqual([
      { kind: "Job", name: "shop-migrate-9f8e7d", reason: "BackoffLimitExceeded: Job has reached the specified backoff limit" },
      { kind: "Deployment", name: "shop-bff-green", reason: "rollout not complete (2/2 updated, 2 available, 1 old)" },
      {
        kind: "Deployment",
        name: "shop-web-green",
        reason: 'rollout not complete (1/2 updated, 2 available, 2 old): Pod shop-web-green-new: ImagePullBackOff: Back-off pulling image "ghcr.io/acme/web:1.6.0"',
      },
    ]);
  });

  it("says a rollout is stuck, and why a crashed container ended", () => {
    const items = [
      deployment("shop-web-green", "green", "web:2", {
        updatedReplicas: 2,
        availableReplicas: 0,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: 'ReplicaSet "shop-web-green-7d" has timed out progressing.' }],
      }),
      pod("p1", "green", "web:2", { waiting: { reason: "CrashLoopBackOff" } }),
    ];
    expect(failedWorkloads(items, since)).toEqual([
      {
        kind: "Deployment",
        name: "shop-web-green",
        reason: 'ProgressDeadlineExceeded: ReplicaSet "shop-web-green-7d" has timed out progressing.; rollout not complete (2/2 updated, 0 available): Pod p1: CrashLoopBackOff',
      },
    ]);
    const restarted = pod("p2", "green", "web:2", { running: {} });
    restarted.status.containerStatuses[0] = { ready: false, state: { running: {} }, lastState: { terminated: { reason: "Error", exitCode: 1 } } } as never;
    const crashed = [deployment("d", "green", "web:2", { updatedReplicas: 2, availableReplicas: 0 }), restarted];
    expect(failedWorkloads(crashed, since)[0].reason).toBe("rollout not complete (2/2 updated, 0 available): Pod p2: Error: exit code 1");
  });

  it("finds nothing when everything rolled out and no Job failed lately", () => {
    expect(failedWorkloads([deployment("d", "blue", "web:1", { replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), job("j", "2026-12-03T11:00:00Z")], since)).toEqual([]);
  });
});

describe("failureFacts", () => {
  it("one notice per failure; one for the update when the cluster shows none or cannot be read", () => {
    expect(failureFacts([{ kind: "Job", name: "j", reason: "DeadlineExceeded: Job was active longer than specified deadline" }], undefined)).toEqual([
      { workload: { kind: "Job", name: "j" }, reason: "DeadlineExceeded: Job was active longer than specified deadline" },
    ]);
    expect(failureFacts([], "https://ci.example/run/42")).toEqual([{ reason: "https://ci.example/run/42" }]);
    expect(failureFacts([], undefined)[0].reason).toBe(
      "`pulumi up` failed, and no Job or Deployment of the app failed in the cluster (a config, policy or engine error): see the update's log",
    );
    expect(failureFacts(new Error("kubectl get: no answer within 10 s"), undefined)).toEqual([{ reason: "`pulumi up` failed (the cluster could not be read: kubectl get: no answer within 10 s)" }]);
  });
});
