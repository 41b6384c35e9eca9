import { describe, expect, it } from "vitest";
import { validateStackConfig } from "../../config";
import { maintenanceCommitProblems, maintenanceTarget, maintenanceToggle, MaintenanceState, rollbackInMaintenanceProblem } from "../../release/maintenance";
import { flip } from "../../release/transitions";
import { loadStackConfig } from "../helpers/program";

const colors = { blue: { image: "ghcr.io/acme/web:1.4.2", replicas: 4 }, green: { image: "ghcr.io/acme/web:1.5.0", replicas: 4 } };
const live: MaintenanceState = { stack: "production", app: "web", activeColor: "blue", colors, services: [{ displayName: "web", colors }], maintenance: { enabled: false } };
const inMaintenance: MaintenanceState = { ...live, maintenance: { enabled: true } };

describe("maintenance on|off", () => {
  it("on: one edit, `maintenance.enabled: true`; activeColor stays, and the notes say where traffic returns and how a breaking release goes", () => {
    expect(maintenanceToggle(live, true)).toEqual({
      kind: "edit",
      edits: [{ path: ["maintenance", "enabled"], value: true }],
      commitMessage: "production: maintenance on (traffic to the maintenance page)",
      notes: [
        "Every live Service of `web` will select the maintenance page; `activeColor` stays `blue`, where `maintenance off` returns traffic.",
        "To release a migration that cannot be made backward compatible: stage and `pulumi up` the new release now, then `npx bluegreen promote -s production` (traffic stays on the page), then `maintenance off`, each in its own commit.",
      ],
    });
  });

  it("off: `maintenance.enabled: false`, back to activeColor", () => {
    expect(maintenanceToggle(inMaintenance, false)).toEqual({
      kind: "edit",
      edits: [{ path: ["maintenance", "enabled"], value: false }],
      commitMessage: "production: maintenance off (traffic back to blue)",
      notes: ["Every live Service of `web` will select `blue` again."],
    });
  });

  it("nothing to change when already so; refused without a section (no page runs to switch to)", () => {
    expect(maintenanceToggle(inMaintenance, true)).toEqual({ kind: "unchanged", reason: "`maintenance.enabled` is already true: traffic is on the maintenance page" });
    expect(maintenanceToggle(live, false)).toEqual({ kind: "unchanged", reason: "`maintenance.enabled` is already false: traffic is on `blue`" });
    expect(maintenanceToggle({ ...live, maintenance: undefined }, true)).toEqual({
      kind: "refused",
      problems: [
        "cannot turn maintenance on: `production` has no `maintenance` section, so no maintenance page runs; add one with `pulumi config set --path maintenance.enabled false -s production`, commit it and `pulumi up` (it starts `web-maintenance`), then turn maintenance on",
      ],
    });
  });
});

describe("one commit never toggles maintenance and promotes", () => {
  it("refuses maintenance on after an uncommitted promotion, and a promotion after an uncommitted maintenance on", () => {
    const promoted = flip(live, "promote");
    if (promoted.kind !== "edit") throw new Error("promote was refused");
    const afterPromote: MaintenanceState = { ...live, activeColor: "green" };
    expect(maintenanceCommitProblems(live, { ...afterPromote, maintenance: { enabled: true } })).toEqual([
      "the stack file's last commit and this change: traffic would go from `blue` straight to the maintenance page while `activeColor` changes from `blue` to `green` in the same update: a promotion and a maintenance toggle are two commits; turn maintenance on alone first (`activeColor` stays `blue`), then promote while in maintenance",
    ]);
    expect(maintenanceCommitProblems(inMaintenance, { ...afterPromote, maintenance: { enabled: false } })).toEqual([
      "the stack file's last commit and this change: traffic would leave the maintenance page straight for `green` while `activeColor` changes from `blue` to `green` in the same update: a promotion and a maintenance toggle are two commits; promote while still in maintenance first, then turn maintenance off alone",
    ]);
  });

  it("lets each alone through, a promotion while in maintenance too, and anything outside git", () => {
    expect(maintenanceCommitProblems(live, inMaintenance)).toEqual([]);
    expect(maintenanceCommitProblems(inMaintenance, live)).toEqual([]);
    expect(maintenanceCommitProblems(live, { ...live, activeColor: "green" })).toEqual([]);
    expect(maintenanceCommitProblems(inMaintenance, { ...inMaintenance, activeColor: "green" })).toEqual([]);
    expect(maintenanceCommitProblems(undefined, { ...inMaintenance, activeColor: "green" })).toEqual([]);
  });

  it("refuses a section added already enabled: the page must be running before it takes traffic", () => {
    expect(maintenanceCommitProblems({ ...live, maintenance: undefined }, inMaintenance)).toEqual([
      "`maintenance` is added and enabled in the same commit: its page would start and take the traffic in one update, which a targeted switch cannot do; commit the section with `enabled: false` and `pulumi up` first, then turn maintenance on",
    ]);
    expect(maintenanceCommitProblems({ ...live, maintenance: undefined }, live)).toEqual([]);
  });

  it("a rollback --apply in maintenance would move no selector: it says to roll back by commit instead", () => {
    expect(rollbackInMaintenanceProblem(live)).toBeUndefined();
    expect(rollbackInMaintenanceProblem(inMaintenance)).toBe(
      "`maintenance.enabled` is true: traffic is on the maintenance page, not on `blue`; a rollback now only changes the color `maintenance off` returns to: run `npx bluegreen rollback -s production` without `--apply`, commit and `pulumi up`",
    );
  });
});

describe("where the switch lands", () => {
  it("staging (web and its BFF): every live Service's name and URN, the page's Deployment and image, and the selector value to wait for", () => {
    const config = loadStackConfig("staging");
    config.maintenance = { enabled: true };
    const parsed = validateStackConfig(config);
    if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
    const urn = (name: string) => `urn:pulumi:staging::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService$kubernetes:core/v1:Service::${name}-live`;
    const liveServices = [
      { service: "web", liveServiceName: "web", liveServiceUrn: urn("web") },
      { service: "bff", liveServiceName: "web-bff", liveServiceUrn: urn("web-bff") },
    ];
    const page = { deploymentName: "web-maintenance", image: "ghcr.io/acme/web-jobs:1.5.0-rc.2" };
    expect(maintenanceTarget(parsed.config, "staging", "bluegreen", true)).toEqual({ stack: "staging", namespace: "web-staging", selects: "maintenance", page, liveServices });
    expect(maintenanceTarget(parsed.config, "staging", "bluegreen", false)).toEqual({ stack: "staging", namespace: "web-staging", selects: "green", page, liveServices });
    const without = validateStackConfig(loadStackConfig("staging"));
    if (!without.ok) throw new Error(without.problems.join("\n"));
    expect(() => maintenanceTarget(without.config, "staging", "bluegreen", true)).toThrow("`staging` has no `maintenance` section: there is no maintenance page to switch to");
  });
});
