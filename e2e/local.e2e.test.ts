/**
 * The local stack as a newcomer runs it: `npm run local -- up | promote | rollback` with nothing but
 * the Pulumi CLI (no AWS, no cluster). The manifests land in rendered/local/; a promotion and a
 * rollback each change exactly the live Service.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ROOT, timing } from "./harness";

const STACK_FILE = path.join(ROOT, "Pulumi.local.yaml");
const RENDERED = path.join(ROOT, "rendered", "local");
let original: string;
let state: string;

function local(action: string) {
  const started = Date.now();
  const run = spawnSync("bash", ["scripts/local.sh", action], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 300_000,
    env: { ...process.env, BLUEGREEN_LOCAL_STATE: state, PULUMI_CONFIG_PASSPHRASE: "local", NO_COLOR: "1" },
  });
  return { ...run, seconds: (Date.now() - started) / 1000, output: `${run.stdout}\n${run.stderr}` };
}

/** Every rendered object, from the YAML files the provider wrote. */
function renderedObjects(): any[] {
  const files = fs.readdirSync(RENDERED, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".yaml"));
  return files.flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(RENDERED, f), "utf8")).map((d) => d.toJS()));
}
const liveSelector = () => renderedObjects().find((o) => o?.kind === "Service" && o.metadata.labels?.role === "live")?.spec.selector;

beforeAll(() => {
  original = fs.readFileSync(STACK_FILE, "utf8");
  state = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-local-state-"));
  fs.rmSync(RENDERED, { recursive: true, force: true });
});

afterAll(() => {
  fs.writeFileSync(STACK_FILE, original);
  fs.rmSync(state, { recursive: true, force: true });
});

describe("npm run local", () => {
  it("up renders both colors, the Jobs and the live Service selecting blue, with no AWS resource", () => {
    const run = local("up");
    timing("local up", run.seconds);
    expect(run.status, run.output).toBe(0);
    const kinds = renderedObjects().map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(expect.arrayContaining(["Deployment/web-blue", "Deployment/web-green", "Service/web"]));
    expect(kinds.filter((k) => /^Secret\/web-env-[0-9a-f]{10}$/.test(k))).toHaveLength(1);
    expect(kinds.filter((k) => /^ConfigMap\/web-migrations-[0-9a-f]+$/.test(k))).toHaveLength(1);
    expect(kinds.filter((k) => k.startsWith("Job/web-smoke-"))).toHaveLength(2);
    expect(liveSelector()).toEqual({ app: "web", color: "blue" });
    // The Secret's values are in the folder, base64-encoded: the reason it is git-ignored.
    expect(spawnSync("git", ["check-ignore", "-q", "rendered/local"], { cwd: ROOT }).status).toBe(0);
    expect(run.output).not.toContain("pulumi-resource-aws");
  });

  it("promote changes exactly the live Service; rollback changes it back", () => {
    for (const [action, color] of [
      ["promote", "green"],
      ["rollback", "blue"],
    ]) {
      const run = local(action);
      timing(`local ${action}`, run.seconds);
      expect(run.status, run.output).toBe(0);
      expect(run.output).toMatch(/Resources:\s+~ 1 updated\s+\d+ unchanged/);
      expect(liveSelector()).toEqual({ app: "web", color });
    }
    expect(fs.readFileSync(STACK_FILE, "utf8")).toBe(original);
  });
});
