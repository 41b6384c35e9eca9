import { builtinModules } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/program";
import { IMAGE_CLI, IMAGE_TREE, imageCli } from "./imageTree";

/** Every .ts file under a directory. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sources(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

describe("the jobs image", () => {
  const jobsDir = path.join(ROOT, "jobs");
  const dockerfile = fs.readFileSync(path.join(jobsDir, "Dockerfile"), "utf8");

  it("builds from jobs/ alone: no job module imports code outside jobs/", () => {
    const escaping: string[] = [];
    for (const file of sources(jobsDir)) {
      for (const match of fs.readFileSync(file, "utf8").matchAll(/from\s+"(\.[^"]+)"|import\("(\.[^"]+)"\)/g)) {
        const target = path.resolve(path.dirname(file), match[1] ?? match[2]);
        if (!target.startsWith(jobsDir + path.sep)) escaping.push(`${path.relative(ROOT, file)} -> ${match[1] ?? match[2]}`);
      }
    }
    expect(escaping).toEqual([]);
  });

  it("copies only files that exist, installs jobs/package.json's dependency set and starts the CLI", () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    expect(copied).toEqual(["jobs/package.json", "jobs/package-lock.json", "tsconfig.json", "jobs", "jobs/package.json"]);
    for (const source of copied) expect(fs.existsSync(path.join(ROOT, source)), source).toBe(true);
    // The same steps test/jobs/imageTree.ts stages for the tests: an install of jobs/package-lock.json
    // without dev dependencies, the jobs compiled by jobs/tsconfig.json, jobs/package.json.
    expect(dockerfile).toMatch(/^RUN npm ci --prefix jobs /m);
    expect(dockerfile).toMatch(/^RUN jobs\/node_modules\/\.bin\/tsc -p jobs\/tsconfig\.json && npm prune --prefix jobs --omit=dev /m);
    expect([...dockerfile.matchAll(/^COPY --from=build (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]])).toEqual([
      ["/src/jobs/node_modules", "./node_modules"],
      ["/src/dist", "./dist"],
    ]);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "dist\/jobs\/cli\.js"\]$/m);
    expect(path.relative(IMAGE_TREE, imageCli())).toBe(path.join("dist", "jobs", "cli.js"));
    // Host trees stay out of the build context (a jobs/node_modules would shadow the image's own).
    expect(fs.readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n")).toEqual(expect.arrayContaining(["**/node_modules", "dist"]));
  });

  it("ships only the jobs' dependency set: pg and the AWS SDK, no Pulumi SDK", () => {
    const shipped = fs.readdirSync(path.join(IMAGE_TREE, "node_modules"));
    expect(shipped).toEqual(expect.arrayContaining(["pg", "@aws-sdk", "@smithy", "yaml", "zod"]));
    expect(shipped.filter((name) => name.startsWith("@pulumi") || name === "typescript" || name.startsWith("@types"))).toEqual([]);
    expect(fs.readFileSync(path.join(IMAGE_TREE, "package.json"), "utf8")).toBe(fs.readFileSync(path.join(jobsDir, "package.json"), "utf8"));
  });

  it("resolves every package a job imports, loaded at start or on first use, from what it ships", () => {
    const imported = new Set<string>();
    for (const file of sources(jobsDir)) {
      for (const match of fs.readFileSync(file, "utf8").matchAll(/(?:from\s+|import\(|require\()"([^".][^"]*)"/g)) {
        const name = match[1].startsWith("@") ? match[1].split("/").slice(0, 2).join("/") : match[1].split("/")[0];
        if (!name.startsWith("node:") && !builtinModules.includes(name)) imported.add(match[1]);
      }
    }
    expect([...imported]).toEqual(expect.arrayContaining(["pg", "@aws-sdk/client-s3", "@aws-sdk/lib-storage", "@smithy/node-http-handler"]));
    for (const specifier of imported) {
      const resolved = require.resolve(specifier, { paths: [path.dirname(IMAGE_CLI)] });
      expect(resolved.startsWith(path.join(IMAGE_TREE, "node_modules") + path.sep), `${specifier} -> ${resolved}`).toBe(true);
    }
  });

  it("runs a Node LTS line that has not reached its end of life, in both stages", () => {
    // End of life of the LTS lines, from https://github.com/nodejs/Release#release-schedule: add
    // the new line's date here when moving the image to it.
    const endOfLife: Record<number, string> = { 22: "2027-04-30", 24: "2028-04-30", 26: "2029-04-30" };
    const image = /^ARG NODE_IMAGE=node:(\d+)-bookworm-slim$/m.exec(dockerfile);
    expect(image, "ARG NODE_IMAGE=node:<major>-bookworm-slim").not.toBeNull();
    const major = Number(image![1]);
    expect(Object.keys(endOfLife), `Node ${major} is not a known LTS line`).toContain(String(major));
    expect(new Date(`${endOfLife[major]}T00:00:00Z`).getTime(), `Node ${major} reaches its end of life on ${endOfLife[major]}: move the image to the current LTS`).toBeGreaterThan(Date.now());
    expect([...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])).toEqual(["${NODE_IMAGE}", "${NODE_IMAGE}"]);
  });

  it("leaves runtime warnings on: no job switches one off, so a Node the AWS SDK stops supporting shows", () => {
    // The SDK warns on stderr when it runs on a Node its next releases drop; every job test fails on
    // unexpected stderr (test/jobs/cli.ts), so the jobs' runtime must be one the SDK supports.
    const switches = /AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED|NODE_NO_WARNINGS|--no-warnings|--no-deprecation|noDeprecation|removeAllListeners\(["']warning/;
    for (const file of [...sources(jobsDir), path.join(jobsDir, "Dockerfile")]) {
      expect(fs.readFileSync(file, "utf8"), path.relative(ROOT, file)).not.toMatch(switches);
    }
  });

  it("installs the PostgreSQL client of a chosen major version and runs as a non-root UID", () => {
    expect(dockerfile).toMatch(/^ARG PG_MAJOR=\d+$/m);
    expect(dockerfile).toContain('postgresql-client-${PG_MAJOR}');
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
  });

  it("installs zstd, which backups are compressed with and restores decompress with", () => {
    const install = /apt-get install -y --no-install-recommends ([^\\\n]+)/.exec(dockerfile);
    expect(install?.[1].split(/\s+/)).toContain("zstd");
    expect(dockerfile).toMatch(/&& zstd --version$/m);
  });
});
