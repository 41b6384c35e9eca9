/**
 * The pack over everything the real program registers, for both stacks: whatever resources the
 * program grows (migration Jobs, backups, alarms, gates), it must pass its own policies. And the
 * pack must catch a program that breaks an invariant.
 */
import { describe, expect, it } from "vitest";
import { runProgram, StackName } from "../helpers/program";
import { check, fromProgram } from "./harness";

describe.each<StackName>(["staging", "production"])("the %s stack", (stack) => {
  it("passes every policy", async () => {
    const run = await runProgram(stack);
    expect(run.error).toBeUndefined();
    const resources = fromProgram(run);
    expect(resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment").length).toBeGreaterThan(0);
    expect(await check(resources, { stack })).toEqual([]);
  });
});

describe("the pack on a broken program", () => {
  it("catches the live Service pointed at a color scaled to 0, which only the policy sees once config is bypassed", async () => {
    const run = await runProgram("staging");
    const resources = fromProgram(run).map((r) =>
      r.type === "kubernetes:apps/v1:Deployment" && r.props.metadata.name === "web-green"
        ? { ...r, props: { ...r.props, spec: { ...r.props.spec, replicas: 0 } } }
        : r,
    );
    expect(await check(resources, { stack: "staging" })).toEqual([
      {
        policy: "live-service-targets-ready-color",
        resource: "web-live",
        message:
          "live Service `web` selects {app: web, color: green}, but Deployment `web-green` has 0 replicas: scale it up with `pulumi config set --path colors.green.replicas 2 -s staging`, or point `activeColor` back with `npx bluegreen rollback -s staging`",
      },
    ]);
  });

  it("catches a plain-text secret env var", async () => {
    const run = await runProgram("production", { edit: (config) => (config.env = { ...config.env, API_TOKEN: "tok-123" }) });
    expect(run.error).toBeUndefined();
    const violations = await check(fromProgram(run), { stack: "production" });
    expect(violations.map((v) => [v.policy, v.resource])).toEqual([
      ["no-secret-env-literals", "web-blue"],
      ["no-secret-env-literals", "web-green"],
    ]);
  });
});
