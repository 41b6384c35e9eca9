/**
 * The dependency sets: the program's (package.json) and the jobs image's (jobs/package.json, which
 * holds only what the jobs load, at the program's versions), and the AWS SDK as one release in both
 * (its clients are published only when they change, so their versions differ, but they must share
 * one copy of every SDK package).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/program";

interface Lock {
  packages: Record<string, { version?: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }>;
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));

/** name -> the versions a lockfile installs of it, for the packages whose name matches. */
function versionsIn(lockFile: string, name: RegExp): Map<string, Set<string>> {
  const lock = readJson(lockFile) as Lock;
  const versions = new Map<string, Set<string>>();
  for (const [where, entry] of Object.entries(lock.packages)) {
    const installed = where.replace(/^.*node_modules\//, "");
    if (!where.includes("node_modules/") || !name.test(installed)) continue;
    versions.set(installed, (versions.get(installed) ?? new Set()).add(entry.version ?? "?"));
  }
  return versions;
}

const AWS_SDK = /^@(aws-sdk|smithy|aws-crypto)\//;

describe.each(["package-lock.json", "jobs/package-lock.json"])("the AWS SDK in %s", (lockFile) => {
  it("has one copy of each of its packages", () => {
    const versions = versionsIn(lockFile, AWS_SDK);
    expect(versions.size).toBeGreaterThan(5);
    const duplicated = [...versions].filter(([, v]) => v.size > 1).map(([n, v]) => `${n}@${[...v].join(", ")}`);
    expect(duplicated, "move the @aws-sdk/* dependencies to one SDK release together").toEqual([]);
  });
});

describe("the jobs' dependency set (jobs/package.json)", () => {
  const root = readJson("package.json");
  const jobs = readJson("jobs/package.json");

  it("holds the program's versions of what it shares, and its Node line", () => {
    for (const [kind, deps] of Object.entries({ dependencies: jobs.dependencies, devDependencies: jobs.devDependencies })) {
      for (const [name, version] of Object.entries(deps as Record<string, string>)) {
        expect(root[kind][name], `jobs/package.json ${kind}.${name} is ${version}: give it package.json's version`).toBe(version);
      }
    }
    expect(jobs.engines).toEqual(root.engines);
  });

  it("holds no Pulumi SDK, and its lockfile is the one for this package.json", () => {
    expect([...versionsIn("jobs/package-lock.json", /^@pulumi\//).keys()]).toEqual([]);
    const lock = readJson("jobs/package-lock.json") as Lock;
    expect(lock.packages[""].dependencies, "run `npm install --package-lock-only` in jobs/").toEqual(jobs.dependencies);
    expect(lock.packages[""].devDependencies, "run `npm install --package-lock-only` in jobs/").toEqual(jobs.devDependencies);
  });
});
