/**
 * Every Pod the program declares, in both real stacks: no Kubernetes API token mounted (Pod spec and
 * ServiceAccount), every container with CPU, memory and ephemeral-storage requests and limits, and
 * every emptyDir with a sizeLimit.
 */
import { describe, expect, it } from "vitest";
import { runProgram, StackName } from "./helpers/program";

function podSpecOf(type: string, inputs: any): any {
  if (type === "kubernetes:apps/v1:Deployment" || type === "kubernetes:batch/v1:Job") return inputs.spec.template.spec;
  if (type === "kubernetes:batch/v1:CronJob") return inputs.spec.jobTemplate.spec.template.spec;
  return undefined;
}

describe.each([
  ["staging", false],
  ["production", false],
  ["staging", true],
] as [StackName, boolean][])("Pods of %s (with a maintenance page: %s)", (stack, maintenance) => {
  it("mount no API token, size every emptyDir, and request and limit CPU, memory and ephemeral storage", async () => {
    const run = await runProgram(stack, maintenance ? { edit: (c) => (c.maintenance = { enabled: true }) } : {});
    if (maintenance) expect(run.get("kubernetes:apps/v1:Deployment", "web-maintenance").inputs.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(run.error).toBeUndefined();
    const pods = run.resources.flatMap((r) => {
      const pod = podSpecOf(r.type, r.inputs);
      return pod ? [{ name: `${r.type} ${r.name}`, pod }] : [];
    });
    // Two colors and, per color, a smoke Job, an expand migration Job and a pre-migration backup Job; two CronJobs.
    expect(pods.length).toBeGreaterThanOrEqual(10);
    for (const { name, pod } of pods) {
      expect(pod.automountServiceAccountToken, name).toBe(false);
      for (const volume of pod.volumes ?? []) {
        if (volume.emptyDir) expect(volume.emptyDir.sizeLimit, `${name} volume ${volume.name}`).toMatch(/^\d+(Mi|Gi)$/);
      }
      for (const container of pod.containers) {
        for (const side of ["requests", "limits"]) {
          expect(Object.keys(container.resources[side]).sort(), `${name} ${container.name} ${side}`).toEqual(["cpu", "ephemeral-storage", "memory"]);
        }
      }
    }
    for (const account of run.ofType("kubernetes:core/v1:ServiceAccount")) {
      expect(account.inputs.automountServiceAccountToken, account.name).toBe(false);
    }
    expect(run.ofType("kubernetes:core/v1:ServiceAccount")).toHaveLength(2);
  });
});
