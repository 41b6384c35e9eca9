import { describe, expect, it } from "vitest";
import { oneService, runProgram } from "../helpers/program";
import { smokeJob } from "../helpers/releaseJobs";

const SERVICE = "kubernetes:core/v1:Service";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

/** A live Service's inputs: the Service named `name` (its `app` label too), selecting `color`. */
const liveServiceInputs = (name: string, color: string, port = 80) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: {
    name,
    namespace: "web-staging",
    labels: { app: name, role: "live" },
    annotations: { "pulumi.com/skipAwait": "true" },
  },
  spec: {
    type: "ClusterIP",
    selector: { app: name, color },
    ports: [{ name: "http", port, targetPort: "http", protocol: "TCP" }],
  },
});

describe("LiveService", () => {
  it("staging (web and its BFF): each service's Service selects the active color, after both services' active Deployments and smoke Jobs, skipping the endpoint await", async () => {
    const run = await runProgram("staging");
    expect(run.error).toBeUndefined();
    const gates = [
      run.get(DEPLOYMENT, "web-green").urn,
      smokeJob(run, "web", "green").urn,
      run.get(DEPLOYMENT, "web-bff-green").urn,
      smokeJob(run, "web-bff", "green").urn,
    ];
    // web is named like the app: its Service keeps the name `web`; the BFF's is `web-bff`.
    for (const name of ["web", "web-bff"]) {
      const live = run.get(SERVICE, `${name}-live`);
      expect(live.inputs, name).toEqual(liveServiceInputs(name, "green"));
      expect(live.parent, name).toBe(run.get("bluegreen:k8s:LiveService", `${name}-live`).urn);
      expect(live.dependencies, name).toEqual(gates);
      for (const idle of ["web-blue", "web-bff-blue"]) expect(live.dependencies, name).not.toContain(run.get(DEPLOYMENT, idle).urn);
      // Nothing but the contract Job (none here) waits on it: `pulumi up --target` of it always works,
      // and the Deployments wait on their own colors' Jobs, never on it.
      expect(run.resources.filter((r) => r.dependencies.includes(live.urn)), name).toEqual([]);
    }
    expect(run.ofType(SERVICE).filter((s) => s.inputs.metadata.labels.role === "live").map((s) => s.name)).toEqual(["web-live", "web-bff-live"]);
  });

  it("staging as one service (the shorthand): the app-named Service selecting the active color, after the active Deployment and its smoke Job only", async () => {
    const run = await runProgram("staging", { edit: oneService });
    expect(run.error).toBeUndefined();
    const live = run.get(SERVICE, "web-live");
    expect(live.inputs).toEqual(liveServiceInputs("web", "green"));
    expect(live.parent).toBe(run.get("bluegreen:k8s:LiveService", "web-live").urn);
    expect(live.dependencies).toEqual([run.get(DEPLOYMENT, "web-green").urn, smokeJob(run, "web", "green").urn]);
    expect(live.dependencies).not.toContain(run.get(DEPLOYMENT, "web-blue").urn);
    expect(run.resources.filter((r) => r.dependencies.includes(live.urn))).toEqual([]);
    expect(run.ofType(SERVICE).filter((s) => s.inputs.metadata.labels.role === "live").map((s) => s.name)).toEqual(["web-live"]);
  });

  it("exposes the configured service port on every live Service", async () => {
    const run = await runProgram("staging", { edit: (c) => (c.servicePort = 8443) });
    for (const name of ["web", "web-bff"]) {
      expect(run.get(SERVICE, `${name}-live`).inputs.spec.ports, name).toEqual([{ name: "http", port: 8443, targetPort: "http", protocol: "TCP" }]);
    }
  });
});

describe("stack outputs", () => {
  const URN = (name: string) => `urn:pulumi:staging::bluegreen::bluegreen:k8s:LiveService$kubernetes:core/v1:Service::${name}-live`;
  const expandJob = expect.stringMatching(/^web-migrate-[0-9a-f]{10}$/);

  it("staging (web and its BFF): the live and idle colors, each service's images, Service names and live Service URN, and the rollback hint", async () => {
    const run = await runProgram("staging");
    expect(run.error).toBeUndefined();
    // (the alarm and gate outputs are asserted in test/components/alarms.test.ts and gates.test.ts)
    expect(run.outputs).toMatchObject({
      activeColor: "green",
      idleColor: "blue",
      liveImage: { web: "ghcr.io/acme/web:1.5.0-rc.2", bff: "ghcr.io/acme/bff:1.5.0-rc.2" },
      idleImage: { web: "ghcr.io/acme/web:1.4.2", bff: "ghcr.io/acme/bff:1.4.2" },
      liveServiceName: { web: "web", bff: "web-bff" },
      previewServiceNames: {
        web: { blue: "web-blue-preview", green: "web-green-preview" },
        bff: { blue: "web-bff-blue-preview", green: "web-bff-green-preview" },
      },
      deploymentNames: { web: { blue: "web-blue", green: "web-green" }, bff: { blue: "web-bff-blue", green: "web-bff-green" } },
      // One expand Job per color, shared by both services, blue's then green's.
      migrationJobs: { expand: [expandJob, expandJob], contract: "none" },
      rollbackHint:
        "Roll back: npx bluegreen rollback -s staging --apply (or: git revert <promotion commit> && pulumi up -s staging)",
      liveServiceUrn: { web: URN("web"), bff: URN("web-bff") },
      liveServiceUrns: [URN("web"), URN("web-bff")],
    });
    expect(run.outputs.liveServiceUrns).toEqual([run.get(SERVICE, "web-live").urn, run.get(SERVICE, "web-bff-live").urn]);
    expect(Object.keys(run.outputs.services as object)).toEqual(["web", "bff"]);
    expect((run.outputs.services as Record<string, any>).bff).toMatchObject({ liveService: "web-bff", liveServiceUrn: URN("web-bff"), deployments: { blue: "web-bff-blue", green: "web-bff-green" } });
    // Each listed expand Job is the one both services' Deployments of its color wait on.
    const gatingJob = (deployment: string) => run.resources.find((r) => r.urn === run.get(DEPLOYMENT, deployment).dependencies[0])!;
    expect((run.outputs.migrationJobs as { expand: string[] }).expand).toEqual(["blue", "green"].map((color) => gatingJob(`web-${color}`).inputs.metadata.name));
    expect((run.outputs.migrationJobs as { expand: string[] }).expand).toEqual(["blue", "green"].map((color) => gatingJob(`web-bff-${color}`).inputs.metadata.name));
    expect(run.secretOutputs).toEqual([]);
  });

  it("staging as one service (the shorthand): the outputs it always had, a name, an image and a URN", async () => {
    const run = await runProgram("staging", { edit: oneService });
    expect(run.error).toBeUndefined();
    expect(run.outputs).toMatchObject({
      activeColor: "green",
      idleColor: "blue",
      liveImage: "ghcr.io/acme/web:1.5.0-rc.2",
      idleImage: "ghcr.io/acme/web:1.4.2",
      liveServiceName: "web",
      previewServiceNames: { blue: "web-blue-preview", green: "web-green-preview" },
      // One expand Job per color, blue's then green's.
      migrationJobs: { expand: [expandJob, expandJob], contract: "none" },
      rollbackHint:
        "Roll back: npx bluegreen rollback -s staging --apply (or: git revert <promotion commit> && pulumi up -s staging)",
      liveServiceUrn: URN("web"),
      liveServiceUrns: [URN("web")],
    });
    expect(run.outputs.liveServiceUrn).toBe(run.get(SERVICE, "web-live").urn);
    // Each listed expand Job is the one its color's Deployment waits on.
    const gatingJob = (color: string) => run.resources.find((r) => r.urn === run.get(DEPLOYMENT, `web-${color}`).dependencies[0])!;
    expect((run.outputs.migrationJobs as { expand: string[] }).expand).toEqual(["blue", "green"].map((color) => gatingJob(color).inputs.metadata.name));
    expect(run.secretOutputs).toEqual([]);
  });
});
