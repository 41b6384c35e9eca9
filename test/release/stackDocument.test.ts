import { describe, expect, it } from "vitest";
import { StackDocument } from "../../release/stackDocument";

const TEXT = `# header comment
config:
  bluegreen:activeColor: blue   # live
  bluegreen:colors:
    blue: {image: ghcr.io/acme/web:1.4.2, replicas: 2}
    green:
      # staged next
      image: 'ghcr.io/acme/web:1.5.0'
      replicas: 2
`;

describe("StackDocument", () => {
  const doc = new StackDocument(TEXT, "bluegreen", "Pulumi.test.yaml");

  it("reads values below the project prefix", () => {
    expect(doc.get(["activeColor"])).toBe("blue");
    expect(doc.get(["colors", "green", "replicas"])).toBe(2);
    expect(doc.get(["colors", "green", "previewReplicas"])).toBeUndefined();
  });

  it("replaces a value in place, keeping the trailing comment and quoting", () => {
    expect(doc.set(["activeColor"], "green").text).toBe(TEXT.replace("activeColor: blue ", "activeColor: green "));
    expect(doc.set(["colors", "green", "image"], "ghcr.io/acme/web:1.6.0").text).toBe(TEXT.replace("'ghcr.io/acme/web:1.5.0'", "'ghcr.io/acme/web:1.6.0'"));
  });

  it("edits inside a flow map too", () => {
    expect(doc.set(["colors", "blue", "replicas"], 0).text).toBe(TEXT.replace("replicas: 2}", "replicas: 0}"));
  });

  it("quotes a string that YAML would read as something else", () => {
    const edited = doc.set(["colors", "green", "image"], "1.5");
    expect(edited.get(["colors", "green", "image"])).toBe("1.5");
  });

  it("adds a missing key to a block map, after any comment, indented like its siblings", () => {
    expect(doc.set(["colors", "green", "previewReplicas"], 1).text).toBe(
      TEXT.replace("      image: 'ghcr", "      previewReplicas: 1\n      image: 'ghcr"),
    );
  });

  it("refuses to add a key to a flow map or to replace a whole map", () => {
    expect(() => doc.set(["colors", "blue", "previewReplicas"], 1)).toThrow(
      "`colors.blue` in Pulumi.test.yaml is not a block map to add `previewReplicas` to; edit it by hand",
    );
    expect(() => doc.set(["colors", "green"], "x")).toThrow("`colors.green` in Pulumi.test.yaml is not a single value; edit it by hand");
  });

  it("rejects a file that is not YAML", () => {
    expect(() => new StackDocument("config: [", "bluegreen", "Pulumi.bad.yaml")).toThrow(/^Pulumi.bad.yaml is not valid YAML: /);
  });

  it("adds a missing map as a block below its key, and refuses to put a map over a value", () => {
    const edited = doc.set(["colors", "green", "images"], { bff: "ghcr.io/acme/bff:1.5.0", web: "1.5" });
    expect(edited.text).toBe(TEXT.replace("      image: 'ghcr", "      images:\n        bff: ghcr.io/acme/bff:1.5.0\n        web: \"1.5\"\n      image: 'ghcr"));
    expect(edited.get(["colors", "green", "images"])).toEqual({ bff: "ghcr.io/acme/bff:1.5.0", web: "1.5" });
    expect(() => doc.set(["colors", "green", "image"], { bff: "x" })).toThrow(
      "`colors.green.image` in Pulumi.test.yaml is already set, to something other than a map of values; edit it by hand",
    );
  });
});
