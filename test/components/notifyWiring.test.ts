/**
 * The `notify` section on the real stack files: one SwitchNotice per app after every live Service,
 * holding where traffic goes and that color's images, the webhook URL only as a secret; the config
 * rules; and a stack without the section left as it was.
 */
import { describe, expect, it } from "vitest";
import { switchRun } from "../../config/load";
import { changedResources, runProgram, SECRET_SIG, TEST_SECRETS } from "../helpers/program";

const NOTICE = "pulumi-nodejs:dynamic/notify:SwitchNotice";
const STAGED = "pulumi-nodejs:dynamic/notify:StagedNotice";
const WEBHOOK = "https://hooks.slack.example/services/T000/B000/XXXXXXXX";
const withNotify = (section: Record<string, unknown>) => ({
  edit: (c: Record<string, any>) => {
    c.notify = section;
  },
  secrets: { ...TEST_SECRETS.production, releaseWebhook: WEBHOOK },
});

describe("notify", () => {
  it("declares one SwitchNotice after every live Service, with the live color's images and the webhook as a secret", async () => {
    const run = await runProgram("production", withNotify({ webhookSecret: "releaseWebhook", snsTopicArn: "alarms" }));
    expect(run.error).toBeUndefined();
    const notice = run.get(NOTICE, "web-switch-notice");
    expect(notice.parent).toMatch(/bluegreen:notify:SwitchNotice::web-switch-notice$/);
    expect(notice.inputs).toMatchObject({ stack: "production", app: "web", live: "blue", images: { web: "ghcr.io/acme/web:1.4.2" } });
    // The URL goes to the engine only wrapped as a secret.
    expect(notice.wireInputs.webhookUrl[SECRET_SIG]).toBeDefined();
    expect(JSON.stringify(run.outputs)).not.toContain("hooks.slack.example");
    // After the live Service: the engine patches the selector first, then announces it.
    expect(notice.dependencies).toContain(run.get("kubernetes:core/v1:Service", "web-live").urn);
    const own = await runProgram("production", { edit: (c) => (c.notify = { snsTopicArn: "arn:aws:sns:eu-west-1:123456789012:releases" }) });
    expect(own.get(NOTICE, "web-switch-notice").inputs.snsTopicArn).toBe("arn:aws:sns:eu-west-1:123456789012:releases");
  });

  it("announces the maintenance page as where traffic goes while maintenance is on, with no images", async () => {
    const run = await runProgram("production", {
      ...withNotify({ webhookSecret: "releaseWebhook" }),
      edit: (c) => {
        c.notify = { webhookSecret: "releaseWebhook" };
        c.maintenance = { enabled: true };
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.get(NOTICE, "web-switch-notice").inputs).toMatchObject({ live: "maintenance", images: {} });
  });

  it("changes nothing else: adding the section adds the notice and its component only", async () => {
    const before = await runProgram("production");
    const after = await runProgram("production", withNotify({ webhookSecret: "releaseWebhook" }));
    expect(changedResources(before, after)).toEqual([
      "bluegreen:notify:StagedNotice::web-blue-staged-notice",
      "bluegreen:notify:StagedNotice::web-green-staged-notice",
      "bluegreen:notify:SwitchNotice::web-switch-notice",
      `${STAGED}::web-blue-staged-notice`,
      `${STAGED}::web-green-staged-notice`,
      `${NOTICE}::web-switch-notice`,
    ]);
  });

  it("declares per color a staged notice after that color's Deployments and smoke Jobs, with the color's images", async () => {
    const run = await runProgram("production", withNotify({ webhookSecret: "releaseWebhook", events: ["staged", "switch"] }));
    expect(run.error).toBeUndefined();
    for (const color of ["blue", "green"]) {
      const staged = run.get(STAGED, `web-${color}-staged-notice`);
      expect(staged.inputs).toMatchObject({ stack: "production", app: "web", color, activeColor: "blue", events: ["staged", "switch"] });
      expect(staged.wireInputs.webhookUrl[SECRET_SIG]).toBeDefined();
      const deployment = run.get("kubernetes:apps/v1:Deployment", `web-${color}`).urn;
      expect(staged.dependencies).toContain(deployment);
      const smoke = run.resources.filter((r) => r.type === "kubernetes:batch/v1:Job" && r.name.includes("smoke") && r.name.includes(color));
      for (const job of smoke) expect(staged.dependencies).toContain(job.urn);
      // And after the live Service: its provider's plugin never starts while a selector is patched.
      expect(staged.dependencies).toContain(run.get("kubernetes:core/v1:Service", "web-live").urn);
      // Nothing waits on it: a rollback never does.
      expect(run.resources.filter((r) => r.dependencies?.includes(staged.urn))).toEqual([]);
    }
    expect(run.get(STAGED, "web-green-staged-notice").inputs.images).toEqual({ web: "ghcr.io/acme/web:1.5.0" });
    expect(run.get(NOTICE, "web-switch-notice").inputs.events).toEqual(["staged", "switch"]);
  });

  it("declares no staged notices when `events` leaves `staged` out", async () => {
    const run = await runProgram("production", withNotify({ webhookSecret: "releaseWebhook", events: ["switch", "maintenance"] }));
    expect(run.error).toBeUndefined();
    expect(run.resources.filter((r) => r.type === STAGED)).toEqual([]);
    expect(run.get(NOTICE, "web-switch-notice").inputs.events).toEqual(["switch", "maintenance"]);
  });

  it.each([
    [{}, "`notify` names no target: set `notify.webhookSecret` (the secret config key holding a webhook URL) or `notify.snsTopicArn`, or remove the section with `pulumi config rm notify`"],
    [{ snsTopicArn: "releases" }, "`notify.snsTopicArn` is `releases`: must be an SNS topic ARN such as `arn:aws:sns:eu-west-1:123456789012:releases`, or `alarms` for the alarm topic"],
    [{ webhookSecret: "releaseWebhook", events: ["switch", "deploy"] }, "`notify.events.1` is `deploy`: must list notice kinds out of staged, switch, watchVerdict, releaseFailed, maintenance"],
    [{ webhookSecret: "releaseWebhook", events: [] }, "`notify.events` is `[]`: must list at least one notice kind out of staged, switch, watchVerdict, releaseFailed, maintenance; to send nothing, remove the section with `pulumi config rm notify`"],
    [{ webhookSecret: "releaseWebhook", events: ["switch", "switch"] }, "`notify.events` is `[\"switch\",\"switch\"]`: lists a kind twice; list each kind once"],
    [{ webhookSecret: "missingKey" }, "`notify.webhookSecret` names config key `missingKey`, which is not set: set it with `pulumi config set --secret missingKey <webhook URL> -s production`"],
  ])("refuses %j with one line naming the key", async (section, problem) => {
    const run = await runProgram("production", withNotify(section));
    expect(run.error?.message).toContain(problem);
  });

  it("refuses a webhook URL stored in plain text", async () => {
    const run = await runProgram("production", { edit: (c) => (c.notify = { webhookSecret: "releaseWebhook" }), plain: { releaseWebhook: WEBHOOK } });
    expect(run.error?.message).toContain("`notify.webhookSecret` names config key `releaseWebhook`, which is stored in plain text: re-set it with `pulumi config set --secret releaseWebhook <webhook URL> -s production`");
    expect(run.error?.message).not.toContain("hooks.slack.example");
  });
});

describe("switchRun", () => {
  it("takes how, who and commit from the release CLI's variables, then GitHub's, else a plain pulumi up", () => {
    expect(switchRun({ BLUEGREEN_SWITCH_HOW: "rollback --apply", BLUEGREEN_SWITCH_WHO: "alice", BLUEGREEN_SWITCH_COMMIT: "abc", GITHUB_ACTOR: "ci" })).toEqual({ how: "rollback --apply", who: "alice", commit: "abc" });
    expect(switchRun({ GITHUB_ACTOR: "octocat", GITHUB_SHA: "def" })).toEqual({ how: "pulumi up", who: "octocat", commit: "def" });
    expect(switchRun({ BLUEGREEN_SWITCH_HOW: "rm -rf" }).how).toBe("pulumi up");
  });
});
