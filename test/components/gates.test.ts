/**
 * The release gates under mocks: the smoke Job per color before the switch (named by what it
 * checks, gating the live Service), the `promotionWatch` output that `npx bluegreen watch`
 * reads after it (no resource: nothing in `pulumi up` waits for the watch), and the promotion
 * property: a promotion changes the live Service, nothing else.
 */
import { createHash } from "node:crypto";
import { Job } from "kubernetes-models/batch/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { colorMigrationHash } from "../../components/migrationJob";
import { validateStackConfig } from "../../config";
import { ProgramRun, changedResources, loadStackConfig, runProgram } from "../helpers/program";
import { JOBS_IMAGE, smokeJob, smokeJobKey, smokeJobResource, sqlExpandSpec } from "../helpers/releaseJobs";

const JOB = "kubernetes:batch/v1:Job";
const SERVICE = "kubernetes:core/v1:Service";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

const PRODUCTION_CHECKS = [
  { path: "/healthz", status: 200 },
  { path: "/ready", status: 200 },
  { path: "/api/version", status: 200, bodyContains: '"status":"ok"' },
];

/** The `promotionWatch` output of the staging stack with its default watch settings. */
const stagingWatch = (minutes: number, alarmNames: string[]) => ({
  minutes,
  alarmNames,
  pollSeconds: 60,
  settleMinutes: 10,
  ignorePollFailures: false,
  region: "eu-west-1",
});

describe("smoke gate", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("production");
    expect(run.error).toBeUndefined();
  });

  it("runs one Job per color against that color's preview Service, in the jobs image", () => {
    const green = smokeJob(run, "web", "green").inputs;
    const container = green.spec.template.spec.containers[0];
    expect(container.image).toBe("ghcr.io/acme/web-jobs:1.5.0");
    expect(container.command).toEqual([
      "node",
      "dist/jobs/cli.js",
      "smoke",
      "--url",
      "http://web-green-preview.web-production.svc:80",
      "--checks",
      JSON.stringify(PRODUCTION_CHECKS),
      "--timeout-seconds",
      "5",
      "--retries",
      "3",
      "--backoff-seconds",
      "2",
    ]);
    expect(smokeJob(run, "web", "blue").inputs.spec.template.spec.containers[0].command[4]).toBe(
      "http://web-blue-preview.web-production.svc:80",
    );
    expect(run.outputs.smokeJobNames).toEqual({
      blue: smokeJob(run, "web", "blue").inputs.metadata.name,
      green: smokeJob(run, "web", "green").inputs.metadata.name,
    });
  });

  it("is a restricted, self-contained Job that a failed run replaces and that is never garbage-collected", () => {
    const job = smokeJob(run, "web", "green").inputs;
    expect(job.metadata.name).toMatch(/^web-smoke-green-[0-9a-f]{10}$/);
    expect(job.metadata.annotations).toEqual({ "pulumi.com/replaceUnready": "true" });
    expect(job.metadata.labels).toEqual({ app: "web", color: "green", role: "smoke" });
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
    // 3 checks × (4 attempts × 5 s + backoffs 2 + 4 + 8 s) + 60 s to start.
    expect(job.spec.activeDeadlineSeconds).toBe(3 * (4 * 5 + 14) + 60);
    expect(job.spec.podFailurePolicy.rules[0]).toEqual({
      action: "FailJob",
      onExitCodes: { containerName: "smoke", operator: "NotIn", values: [0] },
    });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    // It writes nothing but a few log lines: no /tmp, a small ephemeral-storage budget.
    expect(pod.containers[0].resources).toEqual({
      requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "16Mi" },
      limits: { cpu: "200m", memory: "128Mi", "ephemeral-storage": "64Mi" },
    });
    expect(pod.volumes).toBeUndefined();
    for (const smoke of run.ofType(JOB)) expect(() => new Job(smoke.inputs).validate()).not.toThrow();
  });

  it("waits for its color's Deployment, and the live Service waits for the active color's smoke Job", () => {
    expect(smokeJob(run, "web", "green").dependencies).toEqual([run.get(DEPLOYMENT, "web-green").urn]);
    expect(smokeJob(run, "web", "blue").dependencies).toEqual([run.get(DEPLOYMENT, "web-blue").urn]);
    expect(run.get(SERVICE, "web-live").dependencies).toEqual([run.get(DEPLOYMENT, "web-blue").urn, smokeJob(run, "web", "blue").urn]);
  });

  it("is a resource named like its Job (by the hash), aliased to its name before the hash so a deployed stack keeps its Job", async () => {
    const staging = await runProgram("staging");
    expect(staging.error).toBeUndefined();
    for (const [r, qualified] of [
      [run, "web"],
      [staging, "web"],
      [staging, "web-bff"],
    ] as const) {
      for (const color of ["blue", "green"] as const) {
        const job = smokeJob(r, qualified, color);
        expect(job.name, `${qualified} ${color}`).toBe(job.inputs.metadata.name);
        expect(job.name, `${qualified} ${color}`).toMatch(new RegExp(`^${qualified}-smoke-${color}-[0-9a-f]{10}$`));
        // The alias keeps the parent (the service's SmokeGate): only the name before the hash differs.
        expect(job.parent).toMatch(new RegExp(`\\$bluegreen:k8s:SmokeGate::${qualified}-smoke$`));
        expect(job.aliases, `${qualified} ${color}`).toEqual([{ spec: { name: `${qualified}-smoke-${color}`, type: "", stack: "", project: "", parenturn: job.parent } }]);
      }
    }
  });

  it("is named by what it checks: a new app image or new checks give a new Job, anything else keeps it", async () => {
    // The resource is named like the Job: a new Job is a new resource, the same Job the same resource.
    const name = (r: ProgramRun, color: "blue" | "green") => {
      const job = smokeJob(r, "web", color);
      expect(job.name).toBe(job.inputs.metadata.name);
      return job.inputs.metadata.name;
    };
    const release = await runProgram("production", { edit: (c) => (c.colors.green.image = "ghcr.io/acme/web:1.5.1") });
    expect(name(release, "green")).not.toBe(name(run, "green"));
    expect(name(release, "blue")).toBe(name(run, "blue"));
    const checks = await runProgram("production", { edit: (c) => c.smoke.checks.push({ path: "/api/users/me", status: 401 }) });
    expect(name(checks, "green")).not.toBe(name(run, "green"));
    const scaled = await runProgram("production", { edit: (c) => (c.colors.green.replicas = 6) });
    expect(name(scaled, "green")).toBe(name(run, "green"));
    const tool = await runProgram("production", { edit: (c) => (c.jobsImage = "ghcr.io/acme/web-jobs:1.6.0") });
    expect(name(tool, "green")).toBe(name(run, "green"));
    expect(name(tool, "blue")).toBe(name(run, "blue"));
  });

  it("hashes exactly {color, the color's app image, command}: not the jobs image", () => {
    for (const color of ["blue", "green"] as const) {
      const job = smokeJob(run, "web", color).inputs;
      const container = job.spec.template.spec.containers[0];
      const image = color === "blue" ? "ghcr.io/acme/web:1.4.2" : "ghcr.io/acme/web:1.5.0";
      const hash = createHash("sha256").update(JSON.stringify({ color, image, command: container.command })).digest("hex").slice(0, 10);
      expect(job.metadata.name).toBe(`web-smoke-${color}-${hash}`);
    }
  });

  it("a new jobs image alone re-runs no passed gate: the Job keeps its name and ignores the image change", async () => {
    const tool = await runProgram("production", { edit: (c) => (c.jobsImage = "ghcr.io/acme/web-jobs:1.6.0") });
    expect(tool.error).toBeUndefined();
    for (const color of ["blue", "green"] as const) {
      const before = smokeJob(run, "web", color);
      const after = smokeJob(tool, "web", color);
      // The same hash, so the same resource: nothing created or deleted.
      expect(after.name).toBe(before.name);
      // Besides the settings outside its hash (test/components/jobIdentity.test.ts), the jobs image.
      const ignored = ["spec.activeDeadlineSeconds", "spec.backoffLimit", "spec.template.spec.containers[0].resources", "spec.template.spec.containers[0].image"];
      expect(after.ignoreChanges).toEqual(ignored);
      expect(before.ignoreChanges).toEqual(ignored);
      // The image is the one difference, and it is ignored: no replacement, no new run.
      const afterContainer = after.inputs.spec.template.spec.containers[0];
      expect(afterContainer.image).toBe("ghcr.io/acme/web-jobs:1.6.0");
      const withOldImage = structuredClone(after.inputs);
      withOldImage.spec.template.spec.containers[0].image = "ghcr.io/acme/web-jobs:1.5.0";
      expect(withOldImage).toEqual(before.inputs);
    }
    expect(tool.outputs.smokeJobNames).toEqual(run.outputs.smokeJobNames);
    expect(tool.get(SERVICE, "web-live").wireInputs).toEqual(run.get(SERVICE, "web-live").wireInputs);
  });

  it("skips a color that runs no Pods, and checks the health path when no checks are configured (staging: web and its BFF)", async () => {
    const r = await runProgram("staging", {
      edit: (c) => {
        c.colors.blue.replicas = 0;
        delete c.smoke;
      },
    });
    expect(r.error).toBeUndefined();
    expect(r.ofType(JOB).filter((j) => j.inputs.metadata.labels?.role === "smoke").map((j) => j.name)).toEqual([
      smokeJobResource(r, "web", "green"),
      smokeJobResource(r, "web-bff", "green"),
    ]);
    for (const [job, url] of [
      [smokeJobResource(r, "web", "green"), "http://web-green-preview.web-staging.svc:80"],
      [smokeJobResource(r, "web-bff", "green"), "http://web-bff-green-preview.web-staging.svc:80"],
    ]) {
      const command = r.get(JOB, job).inputs.spec.template.spec.containers[0].command;
      expect(command.slice(3, 7), job).toEqual(["--url", url, "--checks", '[{"path":"/healthz","status":200}]']);
    }
  });

  it("can be turned off outside production; every live Service then waits for the active Deployments only (staging: web's and the BFF's)", async () => {
    const r = await runProgram("staging", { edit: (c) => (c.smoke = { enabled: false }) });
    expect(r.error).toBeUndefined();
    expect(r.ofType(JOB).filter((j) => j.inputs.metadata.labels?.role === "smoke")).toEqual([]);
    for (const live of ["web-live", "web-bff-live"]) {
      expect(r.get(SERVICE, live).dependencies, live).toEqual([r.get(DEPLOYMENT, "web-green").urn, r.get(DEPLOYMENT, "web-bff-green").urn]);
    }
  });
});

describe("post-promotion watch (the promotionWatch output)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("production");
    expect(run.error).toBeUndefined();
  });

  const PRODUCTION_RELEASE_ALARMS = ["web-production-release-health", "web-production-http-5xx-rate", "web-production-p99-latency"];

  it("is no resource of the program: no Command, no PromotionWatch component", () => {
    expect(run.resources.filter((r) => r.type.startsWith("command:"))).toEqual([]);
    expect(run.resources.filter((r) => r.type === "bluegreen:ops:PromotionWatch")).toEqual([]);
  });

  it("names the release alarms and the stack's watch settings", () => {
    expect(run.outputs.promotionWatch).toEqual({
      minutes: 30,
      alarmNames: PRODUCTION_RELEASE_ALARMS,
      pollSeconds: 60,
      settleMinutes: 10,
      ignorePollFailures: false,
      region: "eu-west-1",
    });
    expect(run.outputs.liveServiceUrn).toBe(run.get(SERVICE, "web-live").urn);
    expect(run.outputs.liveServiceUrn).toBe("urn:pulumi:production::bluegreen::bluegreen:k8s:LiveService$kubernetes:core/v1:Service::web-live");
  });

  it("carries ignorePollFailures and the other settings as configured, and watch.minutes 0 turns it off", async () => {
    const tuned = await runProgram("production", {
      edit: (c) => (c.watch = { minutes: 45, pollSeconds: 30, settleMinutes: 5, ignorePollFailures: true }),
    });
    expect(tuned.outputs.promotionWatch).toEqual({
      minutes: 45,
      alarmNames: PRODUCTION_RELEASE_ALARMS,
      pollSeconds: 30,
      settleMinutes: 5,
      ignorePollFailures: true,
      region: "eu-west-1",
    });
    const off = await runProgram("production", { edit: (c) => (c.watch.minutes = 0) });
    expect(off.error).toBeUndefined();
    expect(off.outputs.promotionWatch).toEqual({
      minutes: 0,
      alarmNames: PRODUCTION_RELEASE_ALARMS,
      pollSeconds: 60,
      settleMinutes: 10,
      ignorePollFailures: false,
      region: "eu-west-1",
    });
  });

  it("defaults to 30 minutes when the stack has release alarms", async () => {
    const defaulted = await runProgram("staging", { edit: (c) => delete c.watch });
    expect(defaulted.error).toBeUndefined();
    expect(defaulted.outputs.promotionWatch).toEqual(stagingWatch(30, ["web-staging-release-health", "web-staging-http-5xx-rate", "web-staging-p99-latency"]));
  });

  it("defaults to 0 minutes, with no alarm names, when the alarms have no release alarms", async () => {
    const noRelease = await runProgram("staging", {
      edit: (c) => {
        delete c.watch;
        delete c.alarms.dimensions.loadBalancer;
        delete c.alarms.dimensions.targetGroup;
      },
    });
    expect(noRelease.error).toBeUndefined();
    expect(noRelease.outputs.promotionWatch).toEqual(stagingWatch(0, []));
  });

  it("defaults to 0 minutes, with no alarm names, when the stack has no alarms", async () => {
    const noAlarms = await runProgram("staging", {
      edit: (c) => {
        delete c.watch;
        delete c.alarms;
      },
    });
    expect(noAlarms.error).toBeUndefined();
    expect(noAlarms.outputs.promotionWatch).toEqual(stagingWatch(0, []));
  });
});

describe("promotion, rollback and release diffs", () => {
  let before: ProgramRun;
  beforeAll(async () => {
    before = await runProgram("production");
  });

  it("a promotion changes the live Service, and nothing else", async () => {
    const promoted = await runProgram("production", { edit: (c) => (c.activeColor = "green") });
    expect(changedResources(before, promoted)).toEqual([`${SERVICE}::web-live`]);
    // Green's smoke Job stays as it is, the same resource: the switch waits for no new run.
    expect(smokeJobResource(promoted, "web", "green")).toBe(smokeJobResource(before, "web", "green"));
    expect(smokeJob(promoted, "web", "green").inputs).toEqual(smokeJob(before, "web", "green").inputs);
    expect(promoted.outputs.promotionWatch).toEqual(before.outputs.promotionWatch);
    expect(promoted.get(SERVICE, "web-live").dependencies).toEqual([
      promoted.get(DEPLOYMENT, "web-green").urn,
      smokeJob(promoted, "web", "green").urn,
    ]);
  });

  it("a rollback re-runs no Job: the verified color's smoke, expand and backup Jobs are unchanged, so the switch waits for nothing", async () => {
    const promoted = await runProgram("production", { edit: (c) => (c.activeColor = "green") });
    const rolledBack = await runProgram("production");
    expect(changedResources(promoted, rolledBack)).toEqual([`${SERVICE}::web-live`]);
    expect(smokeJobResource(rolledBack, "web", "blue")).toBe(smokeJobResource(promoted, "web", "blue"));
    expect(smokeJob(rolledBack, "web", "blue").inputs).toEqual(smokeJob(promoted, "web", "blue").inputs);
    // Blue's Deployment waits on the same expand Job, which waits on the same backup Job.
    const blueExpand = `web-migrate-${colorMigrationHash("blue", "ghcr.io/acme/web:1.4.2", sqlExpandSpec(JOBS_IMAGE.production))}`;
    expect(rolledBack.get(DEPLOYMENT, "web-blue").dependencies).toEqual(promoted.get(DEPLOYMENT, "web-blue").dependencies);
    expect(rolledBack.get(DEPLOYMENT, "web-blue").dependencies[0]).toBe(rolledBack.get(JOB, `${blueExpand}-job`).urn);
    for (const job of [`${blueExpand}-job`, blueExpand.replace(/^web-migrate-/, "web-backups-pre-")]) {
      expect(rolledBack.get(JOB, job).wireInputs, job).toEqual(promoted.get(JOB, job).wireInputs);
      expect(rolledBack.get(JOB, job).dependencies, job).toEqual(promoted.get(JOB, job).dependencies);
    }
  });

  it("a release on the idle color changes its Deployment, its smoke Job and its own release Jobs, never the live Service or blue's Jobs", async () => {
    const released = await runProgram("production", { edit: (c) => (c.colors.green.image = "ghcr.io/acme/web:1.5.1") });
    expect(released.error).toBeUndefined();
    const spec = sqlExpandSpec(JOBS_IMAGE.production);
    const releaseJobs = (hash: string) => [`bluegreen:k8s:MigrationJob::web-migrate-${hash}`, `${JOB}::web-backups-pre-${hash}`, `${JOB}::web-migrate-${hash}-job`];
    const oldGreen = colorMigrationHash("green", "ghcr.io/acme/web:1.5.0", spec);
    const newGreen = colorMigrationHash("green", "ghcr.io/acme/web:1.5.1", spec);
    // Green's smoke Job is a new resource (its new hash) and the old one goes: added and removed, not replaced.
    const [oldSmoke, newSmoke] = [smokeJobKey(before, "web", "green"), smokeJobKey(released, "web", "green")];
    expect(newSmoke).not.toBe(oldSmoke);
    expect(released.resources.map((r) => `${r.type}::${r.name}`)).not.toContain(oldSmoke);
    expect(changedResources(before, released)).toEqual(
      [...releaseJobs(oldGreen), ...releaseJobs(newGreen), `${DEPLOYMENT}::web-green`, oldSmoke, newSmoke].sort(),
    );
    expect(smokeJobResource(released, "web", "blue")).toBe(smokeJobResource(before, "web", "blue"));
    expect(released.get(SERVICE, "web-live").dependencies).toEqual(before.get(SERVICE, "web-live").dependencies);
    // Green's Deployment waits on its new expand Job; blue (live) on its own, unchanged.
    expect(released.get(DEPLOYMENT, "web-green").dependencies[0]).toBe(released.get(JOB, `web-migrate-${newGreen}-job`).urn);
    expect(released.get(DEPLOYMENT, "web-blue").dependencies).toEqual(before.get(DEPLOYMENT, "web-blue").dependencies);
  });

  it("changing the watch settings changes no resource, only the promotionWatch output", async () => {
    const retuned = await runProgram("production", { edit: (c) => (c.watch.minutes = 45) });
    expect(changedResources(before, retuned)).toEqual([]);
    expect(retuned.outputs.promotionWatch).toEqual({ ...(before.outputs.promotionWatch as object), minutes: 45 });
  });
});

describe("gate config rules", () => {
  const problems = (edit: (config: any) => void) => {
    const config = loadStackConfig("production");
    edit(config);
    const result = validateStackConfig(config);
    return result.ok ? [] : result.problems;
  };

  it("needs a pinned jobs image in production", () => {
    const noJobsImage = (c: any) => {
      delete c.jobsImage;
      delete c.migrations; // sql migrations run from jobsImage too and would report it as well
    };
    expect(problems(noJobsImage)).toEqual([
      "`jobsImage` is not set: the smoke gate runs in the jobs image; set it with `pulumi config set jobsImage ghcr.io/acme/web-jobs:1.5.0`",
    ]);
    expect(problems((c) => (c.jobsImage = "ghcr.io/acme/web-jobs:latest"))).toEqual([
      "`jobsImage` is `ghcr.io/acme/web-jobs:latest`: production images must be pinned and `latest` moves; use a version tag or a digest, such as `ghcr.io/acme/web-jobs:1.4.2` or `ghcr.io/acme/web-jobs@sha256:<digest>`",
    ]);
  });

  it("keeps the smoke gate on in production", () => {
    expect(problems((c) => (c.smoke.enabled = false))).toEqual([
      "`smoke.enabled` is `false`: production keeps the smoke gate, so traffic never switches to an unchecked color; remove it with `pulumi config rm --path smoke.enabled`",
    ]);
  });

  it("rejects bad checks and timings, naming the key", () => {
    expect(problems((c) => (c.smoke.checks[0].path = "healthz"))).toEqual([
      "`smoke.checks.0.path` is `healthz`: must be an HTTP path starting with `/`, such as `/healthz`",
    ]);
    expect(problems((c) => (c.smoke.retries = -1))).toEqual([
      "`smoke.retries` is `-1`: must be a whole number of retries from 0 to 10; set it with `pulumi config set --path smoke.retries 3`",
    ]);
    expect(problems((c) => (c.watch.minutes = -5))).toEqual([
      "`watch.minutes` is `-5`: must be a whole number of minutes from 0 to 240; set it with `pulumi config set --path watch.minutes 30`",
    ]);
  });

  it("refuses a watch with no release alarms to read", () => {
    expect(problems((c) => delete c.alarms.dimensions.loadBalancer)).toEqual([
      "`alarms.dimensions.targetGroup` is `targetgroup/web-production/73e2d6bc24d8a067` but `alarms.dimensions.loadBalancer` is not set: target group metrics are keyed by both; set it with `pulumi config set --path alarms.dimensions.loadBalancer app/<name>/<id>`",
      "`watch.minutes` is 30 but `alarms.dimensions.loadBalancer` is not set, so there are no release alarms to watch: set it with `pulumi config set --path alarms.dimensions.loadBalancer app/<name>/<id>` or turn the watch off with `pulumi config set --path watch.minutes 0`",
    ]);
  });

  it("defaults the watch to what there is to watch: no watch problem when release alarms are missing and watch.minutes is unset", () => {
    expect(
      problems((c) => {
        delete c.watch.minutes;
        delete c.alarms.dimensions.loadBalancer;
        delete c.alarms.dimensions.targetGroup;
      }),
    ).toEqual([]);
  });

  it("refuses a production stack without alarms, and a watch with no alarms section to read", () => {
    expect(
      problems((c) => {
        delete c.alarms;
        c.watch.minutes = 0;
      }),
    ).toEqual([
      "`alarms` is not set but `production` is true: a production stack must be monitored; add an `alarms` section (see README, Alarms)",
    ]);
    expect(problems((c) => delete c.alarms)).toEqual([
      "`alarms` is not set but `production` is true: a production stack must be monitored; add an `alarms` section (see README, Alarms)",
      "`watch.minutes` is 30 but `alarms` is not set, so there are no release alarms to watch: turn the watch off with `pulumi config set --path watch.minutes 0` or add an `alarms` section (see README, Alarms)",
    ]);
  });

  it("outside production, alarms are optional, but a watch set without them is refused", () => {
    const staging = (edit: (config: any) => void) => {
      const config = loadStackConfig("staging");
      edit(config);
      const result = validateStackConfig(config);
      return result.ok ? [] : result.problems;
    };
    expect(staging((c) => delete c.alarms)).toEqual([]);
    expect(staging((c) => (delete c.alarms, delete c.watch))).toEqual([]);
    expect(staging((c) => (delete c.alarms, (c.watch = { minutes: 15 })))).toEqual([
      "`watch.minutes` is 15 but `alarms` is not set, so there are no release alarms to watch: turn the watch off with `pulumi config set --path watch.minutes 0` or add an `alarms` section (see README, Alarms)",
    ]);
  });
});
