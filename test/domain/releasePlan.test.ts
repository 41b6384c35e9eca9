import { describe, expect, it } from "vitest";
import { colorMigrationHash, runnerCommand } from "../../domain/migrationPlan";
import { PlanInput, planRelease } from "../../domain/releasePlan";
import { COLORS } from "../../domain/names";
import { colorReleaseHash } from "../../lib/releaseHash";

const bffWeb = (blue: string | undefined, green: string | undefined) =>
  ["shop-bff", "shop-web"].map((qualifiedName) => ({
    qualifiedName,
    colors: {
      blue: { image: blue && `${qualifiedName}:${blue}`, replicas: 2 },
      green: { image: green && `${qualifiedName}:${green}`, replicas: 2, previewReplicas: 1 },
    },
  }));

const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  activeColor: "blue",
  colors: {
    blue: { release: "bff=shop-bff:1.4,web=shop-web:1.4", replicas: 2 },
    green: { release: "bff=shop-bff:1.5,web=shop-web:1.5", replicas: 2, previewReplicas: 1 },
  },
  services: bffWeb("1.4", "1.5"),
  migrations: { mode: "sql", image: "jobs:1", files: [{ name: "001_a.sql", content: "x", phase: "expand" }], lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5 },
  backups: true,
  smoke: true,
  ...over,
});

describe("planRelease", () => {
  it("one expand Job and one pre-migration backup per released color, shared by every service of it", () => {
    const plan = planRelease(input());
    const spec = { image: "jobs:1", command: runnerCommand("expand", 60, 5), files: [{ name: "001_a.sql", content: "x" }], phase: "expand" as const };
    const blue = colorMigrationHash("blue", "bff=shop-bff:1.4,web=shop-web:1.4", spec);
    const green = colorMigrationHash("green", "bff=shop-bff:1.5,web=shop-web:1.5", spec);
    expect(plan.migrations.expand.map((j) => [j.colors, j.hash])).toEqual([
      [["blue"], blue],
      [["green"], green],
    ]);
    expect(plan.preMigrationFor).toEqual([blue, green]);
    expect(plan.colorGates).toEqual({ blue: { kind: "expand", hashes: [blue] }, green: { kind: "expand", hashes: [green] } });
    expect(plan.releasedColors).toEqual(["blue", "green"]);
  });

  it("a new image of one service is a new release of its color: that color's Jobs change, the other's do not", () => {
    const before = planRelease(input());
    const after = planRelease(input({ colors: { ...input().colors, green: { release: "bff=shop-bff:1.5,web=shop-web:1.6", replicas: 2, previewReplicas: 1 } } }));
    expect(after.colorGates.blue).toEqual(before.colorGates.blue);
    expect(after.colorGates.green).not.toEqual(before.colorGates.green);
  });

  it("the plan's Jobs and gates do not change with activeColor (only the live Services' gates may)", () => {
    for (const over of [{}, { migrations: undefined }, { backups: false }, { migrations: undefined, backups: false }] as Partial<PlanInput>[]) {
      const blue = planRelease(input({ ...over, activeColor: "blue" }));
      const green = planRelease(input({ ...over, activeColor: "green" }));
      expect(green.migrations.expand).toEqual(blue.migrations.expand);
      expect(green.preMigrationFor).toEqual(blue.preMigrationFor);
      expect(green.colorGates).toEqual(blue.colorGates);
    }
  });

  it("without migrations, each color waits on its own pre-migration backup keyed on the release; without backups either, on nothing", () => {
    const plan = planRelease(input({ migrations: undefined }));
    const blue = colorReleaseHash("blue", "bff=shop-bff:1.4,web=shop-web:1.4");
    const green = colorReleaseHash("green", "bff=shop-bff:1.5,web=shop-web:1.5");
    expect(plan.preMigrationFor).toEqual([blue, green]);
    expect(plan.colorGates).toEqual({ blue: { kind: "backup", hashes: [blue] }, green: { kind: "backup", hashes: [green] } });
    const bare = planRelease(input({ migrations: undefined, backups: false }));
    expect(bare.preMigrationFor).toEqual([]);
    expect(bare.colorGates).toEqual({ blue: { kind: "none" }, green: { kind: "none" } });
  });

  it("smoke-tests every service of each color that runs Pods, with that service's image", () => {
    const plan = planRelease(input());
    expect(plan.smoked).toEqual({
      "shop-bff": { blue: { image: "shop-bff:1.4" }, green: { image: "shop-bff:1.5" } },
      "shop-web": { blue: { image: "shop-web:1.4" }, green: { image: "shop-web:1.5" } },
    });
    const scaledDown = planRelease(input({ services: bffWeb("1.4", "1.5").map((s) => ({ ...s, colors: { ...s.colors, green: { ...s.colors.green, previewReplicas: 0 } } })) }));
    expect(Object.keys(scaledDown.smoked["shop-web"])).toEqual(["blue"]);
    expect(planRelease(input({ smoke: false })).smoked).toEqual({ "shop-bff": {}, "shop-web": {} });
  });

  it("a color without a release gets no Job and no gate; the idle color's readiness follows its release and replicas", () => {
    const greenless = input({ colors: { ...input().colors, green: { replicas: 0 } }, services: bffWeb("1.4", undefined) });
    const plan = planRelease(greenless);
    expect(plan.releasedColors).toEqual(["blue"]);
    expect(plan.migrations.expand).toHaveLength(1);
    expect(plan.idleReady).toBe(false);
    expect(planRelease(input()).idleReady).toBe(true);
    expect(planRelease(input({ colors: { ...input().colors, green: { release: "x", replicas: 2, previewReplicas: 0 } } })).idleReady).toBe(false);
  });

  it("the contract Job appears only while the idle color runs no Pods", () => {
    const files = [
      { name: "001_a.sql", content: "x", phase: "expand" as const },
      { name: "002_b.sql", content: "y", phase: "contract" as const },
    ];
    const migrations = { ...input().migrations!, files };
    expect(planRelease(input({ migrations })).migrations.contract).toBeUndefined();
    const retired = planRelease(input({ migrations, colors: { ...input().colors, green: { release: "x", replicas: 0 } } }));
    expect(retired.migrations.contract?.spec.phase).toBe("contract");
    expect(COLORS).toEqual(["blue", "green"]);
  });
});
