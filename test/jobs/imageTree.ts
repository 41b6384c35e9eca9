/**
 * What the jobs image ships, laid out for the tests: `node_modules` installed from
 * jobs/package-lock.json without dev dependencies, the jobs compiled by jobs/tsconfig.json into
 * `dist/`, and jobs/package.json; the same three things jobs/Dockerfile copies into /app.
 *
 * It lives outside the repository, so node cannot resolve a module the image lacks from the
 * program's node_modules: a job that needs a package jobs/package.json does not list fails here as
 * it would in the cluster. `npm test` stages it (`node dist/test/jobs/imageTree.js`) before vitest;
 * the job tests run `IMAGE_CLI` and refuse a tree staged from other sources.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The repository: the first folder up from here with jobs/package.json (this file also runs from dist/). */
function repositoryRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "jobs/package.json"))) return dir;
  }
  throw new Error(`no jobs/package.json above ${__dirname}`);
}

const ROOT = repositoryRoot();
const JOBS = path.join(ROOT, "jobs");

/** One folder per checkout, so two worktrees never share one. */
export const IMAGE_TREE = path.join(os.tmpdir(), `bluegreen-jobs-image-${createHash("sha256").update(ROOT).digest("hex").slice(0, 12)}`);
export const IMAGE_CLI = path.join(IMAGE_TREE, "dist/jobs/cli.js");

const INSTALL_TIMEOUT_MS = 5 * 60_000;
const COMPILE_TIMEOUT_MS = 3 * 60_000;

/** Every file the image is built from, relative to the repository. */
function sourceFiles(dir = JOBS): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(full);
    return [path.relative(ROOT, full)];
  });
}

/** A hash of the dependency set (`install`) and of everything the image is built from (`all`). */
function fingerprint(): { install: string; all: string } {
  const hash = (files: string[]) => {
    const h = createHash("sha256");
    for (const file of files.sort()) h.update(`${file}\0`).update(fs.readFileSync(path.join(ROOT, file))).update("\0");
    return h.digest("hex");
  };
  return { install: hash(["jobs/package.json", "jobs/package-lock.json"]), all: hash([...sourceFiles(), "tsconfig.json"]) };
}

const stampFile = (name: string) => path.join(IMAGE_TREE, `.staged-${name}`);
const readStamp = (name: string) => (fs.existsSync(stampFile(name)) ? fs.readFileSync(stampFile(name), "utf8") : undefined);

/** Installs (when the dependency set changed) and compiles the jobs into IMAGE_TREE. */
export function stageImageTree(): void {
  const current = fingerprint();
  fs.mkdirSync(IMAGE_TREE, { recursive: true });
  if (readStamp("install") !== current.install || !fs.existsSync(path.join(IMAGE_TREE, "node_modules"))) {
    fs.rmSync(stampFile("install"), { force: true });
    fs.rmSync(path.join(IMAGE_TREE, "node_modules"), { recursive: true, force: true });
    for (const file of ["package.json", "package-lock.json"]) fs.copyFileSync(path.join(JOBS, file), path.join(IMAGE_TREE, file));
    execFileSync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: IMAGE_TREE, stdio: "inherit", timeout: INSTALL_TIMEOUT_MS });
    fs.writeFileSync(stampFile("install"), current.install);
  }
  fs.rmSync(path.join(IMAGE_TREE, "dist"), { recursive: true, force: true });
  const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", path.join(JOBS, "tsconfig.json"), "--outDir", path.join(IMAGE_TREE, "dist")], { stdio: "inherit", timeout: COMPILE_TIMEOUT_MS });
  fs.writeFileSync(stampFile("all"), current.all);
}

let checked = false;

/** The image's CLI; throws unless IMAGE_TREE was staged from the current sources (checked once per process). */
export function imageCli(): string {
  if (!checked && (readStamp("all") !== fingerprint().all || !fs.existsSync(IMAGE_CLI))) {
    throw new Error(`the jobs image tree ${IMAGE_TREE} is missing or was staged from other sources: run \`npm test\`, or \`npx tsc -p tsconfig.json && node dist/test/jobs/imageTree.js\` before vitest`);
  }
  checked = true;
  return IMAGE_CLI;
}

if (require.main === module) {
  const started = Date.now();
  stageImageTree();
  console.log(`jobs image tree staged in ${IMAGE_TREE} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
