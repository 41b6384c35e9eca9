/**
 * `pulumi config set` rewrites a stack file its own way (any key it touches turns scalars into
 * strings: `production: "true"`). The project's tools must still read the result: the release CLI
 * here, and the program (its config rules) through `pulumi preview` in render mode.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

function pulumi(dir: string, ...args: string[]) {
  return execFileSync("pulumi", [...args, "--non-interactive"], { cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "e2e" } });
}

describe("a stack file rewritten by `pulumi config set`", () => {
  it("still reads in the release CLI, with the same meaning", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-set-"));
    for (const file of ["Pulumi.yaml", "Pulumi.production.yaml"]) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    pulumi(dir, "stack", "init", "production");
    pulumi(dir, "config", "set", "activeColor", "green", "-s", "production");
    pulumi(dir, "config", "set", "--path", "colors.blue.previewReplicas", "4", "-s", "production");
    const rewritten = fs.readFileSync(path.join(dir, "Pulumi.production.yaml"), "utf8");
    expect(rewritten).toMatch(/bluegreen:production: "true"/);
    expect(rewritten).toMatch(/previewReplicas: 4/);

    const status = spawnSync(process.execPath, [path.join(ROOT, "dist/release/cli.js"), "status", "--stack", "production", "--file", path.join(dir, "Pulumi.production.yaml")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(status.stderr).toBe("");
    expect(status.status).toBe(0);
    // Read from the cluster (nothing of this stack is deployed there) and from the stack file.
    expect(status.stdout).toContain("Live: green\nLive per source: cluster (no live Service), Pulumi.production.yaml green");
    // Still a production stack to the rules: an unpinned image is refused.
    const unpinned = spawnSync(process.execPath, [path.join(ROOT, "dist/release/cli.js"), "stage", "blue", "ghcr.io/acme/web:latest", "--stack", "production", "--dry-run", "--file", path.join(dir, "Pulumi.production.yaml")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(unpinned.status).toBe(1);
    expect(unpinned.stderr).toContain("production images must be pinned");
    fs.rmSync(dir, { recursive: true });
  });
});
