import { describe, expect, it } from "vitest";
import { runProgram } from "../helpers/program";

describe("LiveService", () => {
  it("is the app-named Service selecting the active color, after the active Deployment", async () => {
    const run = await runProgram("staging");
    const live = run.get("kubernetes:core/v1:Service", "web-live");
    expect(live.inputs).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "web-staging", labels: { app: "web", role: "live" } },
      spec: {
        type: "ClusterIP",
        selector: { app: "web", color: "green" },
        ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
      },
    });
    expect(live.parent).toBe(run.get("bluegreen:k8s:LiveService", "web-live").urn);
    expect(live.dependencies).toContain(run.get("kubernetes:apps/v1:Deployment", "web-green").urn);
    expect(live.dependencies).not.toContain(run.get("kubernetes:apps/v1:Deployment", "web-blue").urn);
  });

  it("exposes the configured service port", async () => {
    const run = await runProgram("staging", { edit: (c) => (c.servicePort = 8443) });
    expect(run.get("kubernetes:core/v1:Service", "web-live").inputs.spec.ports).toEqual([
      { name: "http", port: 8443, targetPort: "http", protocol: "TCP" },
    ]);
  });
});

describe("stack outputs", () => {
  it("staging: the live and idle colors, images, Service names and the rollback hint", async () => {
    const run = await runProgram("staging");
    // (the alarm and gate outputs are asserted in test/components/alarms.test.ts and gates.test.ts)
    expect(run.outputs).toMatchObject({
      activeColor: "green",
      idleColor: "blue",
      liveImage: "ghcr.io/acme/web:1.5.0-rc.2",
      idleImage: "ghcr.io/acme/web:1.4.2",
      liveServiceName: "web",
      previewServiceNames: { blue: "web-blue-preview", green: "web-green-preview" },
      migrationJobs: { expand: [expect.stringMatching(/^web-migrate-[0-9a-f]{10}$/)], contract: "none" },
      rollbackHint:
        "Roll back: git revert <promotion commit> && pulumi up -s staging (or: pulumi config set activeColor blue -s staging && pulumi up -s staging)",
    });
    expect(run.secretOutputs).toEqual([]);
  });
});
