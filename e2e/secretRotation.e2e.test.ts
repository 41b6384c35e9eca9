/**
 * Rotating a secret reaches the running Pods: the env Secret is named by its content, so a new
 * value is a new Secret, both colors' Deployments name it and roll their Pods, and the old Secret
 * goes away after them. The live Service does not move.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eStack, kubectlJson, timing } from "./harness";

const NS = `e2e-secret-${process.pid}`;
const STACK = `e2e-secret-${process.pid}`;
let stack: E2eStack;

const secretRefs = (color: string) =>
  kubectlJson("get", "deployment", `web-${color}`, "-n", NS)
    .spec.template.spec.containers[0].env.filter((e: any) => e.valueFrom?.secretKeyRef)
    .map((e: any) => e.valueFrom.secretKeyRef.name as string);
const envSecrets = () =>
  kubectlJson("get", "secrets", "-n", NS)
    .items.map((s: any) => s.metadata.name as string)
    .filter((n: string) => n.startsWith("web-env-"));
const podNames = (color: string) =>
  kubectlJson("get", "pods", "-n", NS, "-l", `app=web,color=${color},!role`).items.map((p: any) => p.metadata.name as string).sort();

beforeAll(async () => {
  stack = await E2eStack.create(STACK, {
    namespace: NS,
    config: {
      colors: { blue: { image: "ghcr.io/acme/web:3.0.0", replicas: 1 }, green: { image: "ghcr.io/acme/web:3.1.0", replicas: 1 } },
      secretEnv: { SESSION_SECRET: "sessionSecret" },
      jobsImage: "ghcr.io/acme/web-jobs:3.0.0",
      rolloutTimeoutSeconds: 60,
    },
    secrets: { sessionSecret: "first-session-secret" },
  });
  expect((await stack.up()).error).toBe("");
});

afterAll(async () => {
  await stack?.destroy();
});

describe("secret rotation", () => {
  it("rolls both colors' Pods onto a new Secret and removes the old one", async () => {
    const [before] = envSecrets();
    expect(secretRefs("blue")).toEqual([before]);
    expect(secretRefs("green")).toEqual([before]);
    const pods = { blue: podNames("blue"), green: podNames("green") };
    const selector = kubectlJson("get", "service", "web", "-n", NS).metadata.resourceVersion;

    await stack.stack.setConfig("bluegreen:sessionSecret", { value: "rotated-session-secret", secret: true });
    const up = await stack.up();
    timing("secret rotation up", up.seconds);
    expect(up.error).toBe("");

    const after = envSecrets();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
    expect(secretRefs("blue")).toEqual(after);
    expect(secretRefs("green")).toEqual(after);
    // New Pods in both colors (the Deployments rolled), none of the old ones left.
    for (const color of ["blue", "green"] as const) {
      const now = podNames(color);
      expect(now).toHaveLength(1);
      expect(now.filter((p: string) => pods[color].includes(p))).toEqual([]);
    }
    expect(kubectlJson("get", "service", "web", "-n", NS).metadata.resourceVersion).toBe(selector);
    // The value reached the cluster, and never as plain text in the Deployment.
    const secret = kubectlJson("get", "secret", after[0], "-n", NS);
    expect(Buffer.from(secret.data.SESSION_SECRET, "base64").toString()).toBe("rotated-session-secret");
    expect(secret.immutable).toBe(true);
    expect(JSON.stringify(kubectlJson("get", "deployment", "web-blue", "-n", NS))).not.toContain("rotated-session-secret");
  });
});
