import { describe, expect, it } from "vitest";
import { liveServiceNames } from "../../release/deployedStack";

describe("the live Services the watch follows", () => {
  it("reads the shorthand's one name and an app's map of names", () => {
    expect(liveServiceNames("production", "web")).toEqual(["web"]);
    expect(liveServiceNames("staging", { bff: "shop-bff", web: "shop-web" })).toEqual(["shop-bff", "shop-web"]);
  });

  it.each([undefined, "", {}, { bff: 3 }])("refuses %j, saying how to get the output", (output) => {
    expect(() => liveServiceNames("staging", output)).toThrow(
      "stack `staging` has no `liveServiceName` output: run `pulumi up -s staging` once with this version of the program",
    );
  });
});
