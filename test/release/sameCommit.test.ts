import { describe, expect, it } from "vitest";
import { retireProblems, switchProblems } from "../../release/sameCommit";
import { ReleaseState } from "../../release/transitions";

const colors = { blue: { image: "ghcr.io/acme/web:1.4.2", replicas: 4 }, green: { image: "ghcr.io/acme/web:1.5.0", replicas: 4 } };
const committed: ReleaseState = {
  stack: "production",
  app: "web",
  activeColor: "blue",
  colors,
  services: [{ displayName: "web", colors }],
};

describe("a color never scales down in the commit that moves traffic off it", () => {
  it("promote is refused when the uncommitted change lowers the live color's idle size", () => {
    const now: ReleaseState = { ...committed, colors: { ...committed.colors, blue: { ...committed.colors.blue, previewReplicas: 1 } } };
    expect(switchProblems(committed, now)).toEqual([
      "`colors.blue.previewReplicas` is lowered (4 → 1 Pods while idle) in the same commit that moves traffic off `blue` (`activeColor`): commit and apply the switch first, then scale `blue` down in a later commit",
    ]);
  });

  it("promote goes ahead when nothing is lowered, when sizes grow, or outside git", () => {
    expect(switchProblems(committed, committed)).toEqual([]);
    const bigger: ReleaseState = { ...committed, colors: { ...committed.colors, blue: { ...committed.colors.blue, replicas: 6 } } };
    expect(switchProblems(committed, bigger)).toEqual([]);
    expect(switchProblems(undefined, committed)).toEqual([]);
  });

  it("retire is refused for the color that traffic leaves in the same uncommitted change", () => {
    const switched: ReleaseState = { ...committed, activeColor: "green" };
    expect(retireProblems(committed, switched, "blue")).toEqual([
      "`activeColor` moves off `blue` in this uncommitted change, and retiring `blue` (`colors.blue.replicas`) in the same commit would scale it down while traffic leaves it: commit and apply the switch first, then retire it in a later commit",
    ]);
    expect(retireProblems(switched, switched, "blue")).toEqual([]);
    expect(retireProblems(undefined, switched, "blue")).toEqual([]);
  });

  it("an app's service lowering its own idle size in the switching commit is refused too, naming the service", () => {
    // Only bff's own `previewReplicas` changes; the colors' keys stay.
    const shop = (bffIdle: number): ReleaseState => {
      const colors = { blue: { images: {}, replicas: 2 }, green: { images: {}, replicas: 2 } };
      const service = (name: string, idle: number) => ({
        service: name,
        displayName: name,
        colors: { blue: { image: `ghcr.io/acme/${name}:1.4.0`, replicas: 2, previewReplicas: idle }, green: { image: `ghcr.io/acme/${name}:1.5.0`, replicas: 2 } },
      });
      return { stack: "staging", app: "shop", activeColor: "blue", colors, services: [service("bff", bffIdle), service("web", 2)] };
    };
    expect(switchProblems(shop(2), shop(1))).toEqual([
      "`services.bff` is lowered (2 → 1 Pods of `bff` while idle) in the same commit that moves traffic off `blue` (`activeColor`): commit and apply the switch first, then scale `blue` down in a later commit",
    ]);
    expect(switchProblems(shop(1), shop(2))).toEqual([]);
  });
});
