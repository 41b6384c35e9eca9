/**
 * The `resources` blocks (the app's and `backups.resources`): ephemeral storage is optional with a
 * default per block, and every request is checked against its limit, naming the key.
 */
import { describe, expect, it } from "vitest";
import { validateStackConfig } from "../../config";
import { APP_RESOURCES, BACKUP_RESOURCES } from "../../config/resources";
import { loadStackConfig, PlainConfig } from "../helpers/program";

const parse = (edit: (c: PlainConfig) => void) => {
  const config = loadStackConfig("production");
  edit(config);
  return validateStackConfig(config);
};
const problems = (edit: (c: PlainConfig) => void) => {
  const result = parse(edit);
  return result.ok ? [] : result.problems;
};

describe("resources in the stack config", () => {
  it("a block that sets CPU and memory only gets the default ephemeral storage", () => {
    const result = parse(() => {});
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(result.config.resources).toEqual({
      requests: { cpu: "500m", memory: "512Mi", ephemeralStorage: "128Mi" },
      limits: { cpu: "2", memory: "1Gi", ephemeralStorage: "1Gi" },
    });
    expect(result.config.backups!.resources).toEqual({
      requests: { cpu: "500m", memory: "256Mi", ephemeralStorage: "256Mi" },
      limits: { cpu: "2", memory: "512Mi", ephemeralStorage: "2Gi" },
    });
  });

  it("without the blocks, the defaults apply whole", () => {
    const result = parse((c) => {
      delete c.resources;
      delete c.backups.resources;
    });
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(result.config.resources).toEqual(APP_RESOURCES);
    expect(result.config.backups!.resources).toEqual(BACKUP_RESOURCES);
    expect(APP_RESOURCES).toEqual({
      requests: { cpu: "100m", memory: "128Mi", ephemeralStorage: "128Mi" },
      limits: { cpu: "500m", memory: "256Mi", ephemeralStorage: "1Gi" },
    });
    expect(BACKUP_RESOURCES).toEqual({
      requests: { cpu: "250m", memory: "256Mi", ephemeralStorage: "256Mi" },
      limits: { cpu: "1", memory: "512Mi", ephemeralStorage: "2Gi" },
    });
  });

  it("an ephemeral-storage request above its limit is refused, naming both keys", () => {
    expect(problems((c) => (c.resources.requests.ephemeralStorage = "2Gi"))).toEqual([
      "`resources.requests.ephemeralStorage` is `2Gi` but `resources.limits.ephemeralStorage` is `1Gi`: a request cannot exceed its limit; raise the limit or lower the request",
    ]);
    expect(problems((c) => (c.backups.resources.limits.ephemeralStorage = "100Mi"))).toEqual([
      "`backups.resources.requests.ephemeralStorage` is `256Mi` but `backups.resources.limits.ephemeralStorage` is `100Mi`: a request cannot exceed its limit; raise the limit or lower the request",
    ]);
    expect(problems((c) => (c.backups.resources.requests.memory = "1Gi"))).toEqual([
      "`backups.resources.requests.memory` is `1Gi` but `backups.resources.limits.memory` is `512Mi`: a request cannot exceed its limit; raise the limit or lower the request",
    ]);
  });

  it("a value that is not a quantity, and an unknown key, are named with the fix", () => {
    expect(problems((c) => (c.resources.limits.ephemeralStorage = "lots"))).toEqual([
      "`resources.limits.ephemeralStorage` is `lots`: must be a Kubernetes quantity such as `1Gi`",
    ]);
    expect(problems((c) => (c.backups.resources.limits["ephemeral-storage"] = "4Gi"))).toEqual([
      "`backups.resources.limits.ephemeral-storage` is not a known key (did you mean `ephemeralStorage`?): remove it with `pulumi config rm --path backups.resources.limits.ephemeral-storage`",
    ]);
  });
});
