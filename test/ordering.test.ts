/**
 * The order of one `pulumi up` on the production stack, as dependencies the engine enforces:
 * pre-migration backup Job -> migration Job -> Deployments -> smoke Job -> live Service -> watch,
 * and the color going idle scales down only after the live Service has switched away from it.
 * Long Jobs are awaited for their whole deadline, not pulumi-kubernetes' default 10 minutes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ProgramRun, RegisteredResource, runProgram } from "./helpers/program";

const JOB = "kubernetes:batch/v1:Job";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

describe("the order of a pulumi up (production)", () => {
  let run: ProgramRun;
  const byObjectName = (prefix: string): RegisteredResource => {
    const found = run.ofType(JOB).filter((j) => j.inputs.metadata.name.startsWith(prefix));
    expect(found, prefix).toHaveLength(1);
    return found[0];
  };
  beforeAll(async () => {
    run = await runProgram("production");
    expect(run.error).toBeUndefined();
  });

  it("backup Job -> migration Job -> both Deployments", () => {
    const backup = byObjectName("web-backup-pre-");
    const migrate = byObjectName("web-migrate-");
    expect(migrate.dependencies).toContain(backup.urn);
    for (const color of ["blue", "green"]) expect(run.get(DEPLOYMENT, `web-${color}`).dependencies).toContain(migrate.urn);
  });

  it("Deployment -> its smoke Job -> live Service -> watch Command", () => {
    const smokeBlue = byObjectName("web-smoke-blue-");
    const live = run.get("kubernetes:core/v1:Service", "web-live");
    expect(smokeBlue.dependencies).toContain(run.get(DEPLOYMENT, "web-blue").urn);
    expect(live.dependencies).toEqual(expect.arrayContaining([run.get(DEPLOYMENT, "web-blue").urn, smokeBlue.urn]));
    expect(live.dependencies).not.toContain(byObjectName("web-smoke-green-").urn);
    expect(run.get("command:local:Command", "web-watch").dependencies).toContain(live.urn);
  });

  it("the idle color's Deployment waits for the live Service; the live color's never does", () => {
    const live = run.get("kubernetes:core/v1:Service", "web-live");
    expect(run.get(DEPLOYMENT, "web-green").dependencies).toContain(live.urn);
    expect(run.get(DEPLOYMENT, "web-blue").dependencies).not.toContain(live.urn);
  });

  it("after a promotion with previewReplicas, blue scales down only after traffic moved to green", async () => {
    const promoted = await runProgram("production", {
      edit: (c) => {
        c.activeColor = "green";
        c.colors.blue.previewReplicas = 1;
      },
    });
    const live = promoted.get("kubernetes:core/v1:Service", "web-live");
    const blue = promoted.get(DEPLOYMENT, "web-blue");
    expect(blue.inputs.spec.replicas).toBe(1);
    expect(blue.dependencies).toContain(live.urn);
    expect(live.dependencies).toContain(promoted.get(DEPLOYMENT, "web-green").urn);
  });

  it("migration and backup Jobs are awaited for their deadline plus two minutes", () => {
    const migrate = byObjectName("web-migrate-");
    expect(migrate.inputs.spec.activeDeadlineSeconds).toBe(900);
    expect(migrate.customTimeouts).toMatchObject({ create: "1020s", update: "1020s" });
    const backup = byObjectName("web-backup-pre-");
    expect(backup.inputs.spec.activeDeadlineSeconds).toBe(7200);
    expect(backup.customTimeouts).toMatchObject({ create: "7320s", update: "7320s" });
  });
});
