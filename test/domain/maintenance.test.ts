import { describe, expect, it } from "vitest";
import { liveSelector, toggleWithPromotionProblem, trafficFromService, trafficOf, TrafficState } from "../../domain/maintenance";
import { COLORS } from "../../domain/names";

const state = (activeColor: "blue" | "green", maintenance: boolean): TrafficState => ({ activeColor, maintenance });

describe("maintenance as traffic state", () => {
  it("selects the page for every service of the app while on, else the service's own active color", () => {
    expect(liveSelector("shop-bff", "shop", state("blue", false))).toEqual({ app: "shop-bff", color: "blue" });
    expect(liveSelector("shop-bff", "shop", state("blue", true))).toEqual({ app: "shop", color: "maintenance" });
    expect(liveSelector("shop-web", "shop", state("green", true))).toEqual({ app: "shop", color: "maintenance" });
    expect(trafficOf(state("green", false))).toBe("green");
    expect(trafficOf(state("green", true))).toBe("maintenance");
  });

  it("reads the state back from a Service's selector, and its annotation while in maintenance", () => {
    expect(trafficFromService({ app: "web", color: "green" }, undefined)).toEqual(state("green", false));
    expect(trafficFromService({ app: "web", color: "maintenance" }, { "bluegreen.dev/active-color": "blue" })).toEqual(state("blue", true));
    expect(trafficFromService({ app: "web", color: "maintenance" }, {})).toBeUndefined();
    expect(trafficFromService({ app: "web", color: "maintenance" }, { "bluegreen.dev/active-color": "purple" })).toBeUndefined();
    expect(trafficFromService({ app: "web" }, undefined)).toBeUndefined();
    expect(trafficFromService(undefined, undefined)).toBeUndefined();
  });

  it("refuses exactly a maintenance toggle together with an activeColor change, both ways", () => {
    const allowed: string[] = [];
    const refused: string[] = [];
    for (const a of COLORS) {
      for (const b of COLORS) {
        for (const ma of [false, true]) {
          for (const mb of [false, true]) {
            const label = `${a}${ma ? "+m" : ""} -> ${b}${mb ? "+m" : ""}`;
            (toggleWithPromotionProblem(state(a, ma), state(b, mb)) ? refused : allowed).push(label);
          }
        }
      }
    }
    expect(refused).toEqual(["blue -> green+m", "blue+m -> green", "green -> blue+m", "green+m -> blue"]);
    expect(allowed).toHaveLength(12);
  });

  it("says which way and how to split it", () => {
    expect(toggleWithPromotionProblem(state("blue", false), state("green", true))).toBe(
      "traffic would go from `blue` straight to the maintenance page while `activeColor` changes from `blue` to `green` in the same update: a promotion and a maintenance toggle are two commits; turn maintenance on alone first (`activeColor` stays `blue`), then promote while in maintenance",
    );
    expect(toggleWithPromotionProblem(state("blue", true), state("green", false))).toBe(
      "traffic would leave the maintenance page straight for `green` while `activeColor` changes from `blue` to `green` in the same update: a promotion and a maintenance toggle are two commits; promote while still in maintenance first, then turn maintenance off alone",
    );
  });
});
