import { describe, expect, it } from "vitest";
import { runProgram } from "../helpers/program";

describe("LiveService", () => {
  it("is the app-named Service selecting the active color, after the active Deployment and its smoke Job, skipping the endpoint await", async () => {
    const run = await runProgram("staging");
    const live = run.get("kubernetes:core/v1:Service", "web-live");
    expect(live.inputs).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "web",
        namespace: "web-staging",
        labels: { app: "web", role: "live" },
        annotations: { "pulumi.com/skipAwait": "true" },
      },
      spec: {
        type: "ClusterIP",
        selector: { app: "web", color: "green" },
        ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
      },
    });
    expect(live.parent).toBe(run.get("bluegreen:k8s:LiveService", "web-live").urn);
    expect(live.dependencies).toEqual([run.get("kubernetes:apps/v1:Deployment", "web-green").urn, run.get("kubernetes:batch/v1:Job", "web-smoke-green").urn]);
    expect(live.dependencies).not.toContain(run.get("kubernetes:apps/v1:Deployment", "web-blue").urn);
    // Nothing but the contract Job (none here) waits on it: `pulumi up --target` of it always works,
    // and the Deployments wait on their own colors' Jobs, never on it.
    expect(run.resources.filter((r) => r.dependencies.includes(live.urn))).toEqual([]);
  });

  it("exposes the configured service port", async () => {
    const run = await runProgram("staging", { edit: (c) => (c.servicePort = 8443) });
    expect(run.get("kubernetes:core/v1:Service", "web-live").inputs.spec.ports).toEqual([
      { name: "http", port: 8443, targetPort: "http", protocol: "TCP" },
    ]);
  });
});

describe("stack outputs", () => {
  it("staging: the live and idle colors, images, Service names, the live Service's URN and the rollback hint", async () => {
    const run = await runProgram("staging");
    // (the alarm and gate outputs are asserted in test/components/alarms.test.ts and gates.test.ts)
    expect(run.outputs).toMatchObject({
      activeColor: "green",
      idleColor: "blue",
      liveImage: "ghcr.io/acme/web:1.5.0-rc.2",
      idleImage: "ghcr.io/acme/web:1.4.2",
      liveServiceName: "web",
      previewServiceNames: { blue: "web-blue-preview", green: "web-green-preview" },
      // One expand Job per color, blue's then green's.
      migrationJobs: { expand: [expect.stringMatching(/^web-migrate-[0-9a-f]{10}$/), expect.stringMatching(/^web-migrate-[0-9a-f]{10}$/)], contract: "none" },
      rollbackHint:
        "Roll back: npm run release -- rollback --stack staging --apply (or: git revert <promotion commit> && pulumi up -s staging)",
      liveServiceUrn: "urn:pulumi:staging::bluegreen::bluegreen:k8s:LiveService$kubernetes:core/v1:Service::web-live",
    });
    expect(run.outputs.liveServiceUrn).toBe(run.get("kubernetes:core/v1:Service", "web-live").urn);
    // Each listed expand Job is the one its color's Deployment waits on.
    const gatingJob = (color: string) => run.resources.find((r) => r.urn === run.get("kubernetes:apps/v1:Deployment", `web-${color}`).dependencies[0])!;
    expect((run.outputs.migrationJobs as { expand: string[] }).expand).toEqual(["blue", "green"].map((color) => gatingJob(color).inputs.metadata.name));
    expect(run.secretOutputs).toEqual([]);
  });
});
