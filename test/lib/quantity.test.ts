import { describe, expect, it } from "vitest";
import { parseQuantity } from "../../lib/quantity";

describe("parseQuantity", () => {
  it.each([
    ["250m", 0.25],
    ["2", 2],
    ["0.5", 0.5],
    ["512Mi", 512 * 2 ** 20],
    ["1Gi", 2 ** 30],
    ["1G", 1e9],
    ["128k", 128e3],
    ["1e3", 1000],
  ])("%s = %d", (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 9);
  });

  it.each(["1GB", "", "Mi", "-1", "1 Gi", "1.Gi"])("rejects %j", (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it("orders a request against a limit across suffixes", () => {
    expect(parseQuantity("1500m")! > parseQuantity("1")!).toBe(true);
    expect(parseQuantity("1Gi")! > parseQuantity("1G")!).toBe(true);
  });
});
