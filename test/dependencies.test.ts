/**
 * The dependency set: the AWS SDK as one release (its clients are published only when they change,
 * so their versions differ, but they must share one copy of every SDK package).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/program";

interface Lock {
  packages: Record<string, { version?: string }>;
}

/** name -> the versions a lockfile installs of it, for the packages whose name matches. */
function versionsIn(lockFile: string, name: RegExp): Map<string, Set<string>> {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, lockFile), "utf8")) as Lock;
  const versions = new Map<string, Set<string>>();
  for (const [where, entry] of Object.entries(lock.packages)) {
    const installed = where.replace(/^.*node_modules\//, "");
    if (!where.includes("node_modules/") || !name.test(installed)) continue;
    versions.set(installed, (versions.get(installed) ?? new Set()).add(entry.version ?? "?"));
  }
  return versions;
}

const AWS_SDK = /^@(aws-sdk|smithy|aws-crypto)\//;

describe("the AWS SDK", () => {
  it("installs one copy of each of its packages (package-lock.json)", () => {
    const versions = versionsIn("package-lock.json", AWS_SDK);
    expect(versions.size).toBeGreaterThan(5);
    const duplicated = [...versions].filter(([, v]) => v.size > 1).map(([n, v]) => `${n}@${[...v].join(", ")}`);
    expect(duplicated, "move the @aws-sdk/* dependencies to one SDK release together").toEqual([]);
  });
});
