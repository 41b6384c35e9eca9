/**
 * Every Kubernetes object the program registers, for both stacks, validates against the Kubernetes
 * OpenAPI schema (kubernetes-models). A kind with no model fails the test rather than being skipped.
 */
import { describe, expect, it } from "vitest";
import { runProgram, StackName } from "./helpers/program";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Replaces Pulumi secret envelopes with their plain values. */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (SECRET_SIG in record) return unwrapSecrets(record.value);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** `kubernetes:apps/v1:Deployment` -> the kubernetes-models class for it. */
async function modelFor(type: string): Promise<{ new (data: unknown): { validate(): void } }> {
  const match = /^kubernetes:([^/]+)\/([^:]+):(.+)$/.exec(type);
  if (!match) throw new Error(`not a Kubernetes type token: ${type}`);
  const [, group, version, kind] = match;
  const modulePath = group === "core" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
  // kubernetes-models is an ES module only: imported, not required.
  return (await import(modulePath))[kind];
}

async function expectValid(run: Awaited<ReturnType<typeof runProgram>>): Promise<void> {
  expect(run.error).toBeUndefined();
  const objects = run.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm"));
  expect(objects.length).toBeGreaterThanOrEqual(8);
  for (const object of objects) {
    const Model = await modelFor(object.type);
    const model = new Model(unwrapSecrets(object.inputs));
    expect(() => model.validate(), `${object.type} ${object.name}`).not.toThrow();
  }
}

describe.each(["staging", "production"] as StackName[])("Kubernetes objects of %s", (stack) => {
  it("all validate against the Kubernetes schema", async () => {
    await expectValid(await runProgram(stack));
  });

  it("with a `maintenance` section, on: the maintenance page's Deployment and NetworkPolicy and the live Services selecting it validate too", async () => {
    const run = await runProgram(stack, { edit: (c) => (c.maintenance = { enabled: true, message: `Back soon <b>"ok"</b>` }) });
    expect(run.ofType("kubernetes:apps/v1:Deployment").map((d) => d.inputs.metadata.name)).toContain("web-maintenance");
    expect(run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs.metadata.name)).toContain("web-allow-maintenance");
    await expectValid(run);
  });

  it("the validator does reject an invalid object", async () => {
    const Deployment = await modelFor("kubernetes:apps/v1:Deployment");
    const broken = new Deployment({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { replicas: "four" } });
    expect(() => broken.validate()).toThrow();
  });
});

describe("names derived from the longest app name allowed", () => {
  it("stay within Kubernetes' limits (63 for objects, 52 for CronJobs) and IAM's (64 for roles, with the 8-character auto-name suffix)", async () => {
    const app = "a".repeat(30);
    const run = await runProgram("production", { edit: (c) => ((c.app = app), (c.maintenance = {})) });
    expect(run.ofType("kubernetes:apps/v1:Deployment").map((d) => d.inputs.metadata.name)).toContain(`${app}-maintenance`);
    expect(run.error).toBeUndefined();
    const k8sObjects = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8sObjects.length).toBeGreaterThan(10);
    for (const object of k8sObjects) {
      const limit = object.type === "kubernetes:batch/v1:CronJob" ? 52 : 63;
      expect(object.inputs.metadata.name.length, `${object.type} ${object.inputs.metadata.name}`).toBeLessThanOrEqual(limit);
    }
    for (const role of run.ofType("aws:iam/role:Role")) {
      const name = role.inputs.name ?? `${role.name}-xxxxxxx`;
      expect(name.length, name).toBeLessThanOrEqual(64);
    }
  });
});
