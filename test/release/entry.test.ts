/** The built entry point `npx bluegreen` (and `npm run release`) runs: exit codes and streams of a real process. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/program";
import { copyStacks, original } from "./harness";

const CLI = path.join(ROOT, "dist/release/cli.js");

function cli(dir: string, args: string[]) {
  const env = { ...process.env, NO_COLOR: "1" };
  return spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: "utf8" });
}

describe("dist/release/cli.js", () => {
  it("prints status on stdout and exits 0", () => {
    const copy = copyStacks();
    const result = cli(copy.dir, ["status", "--stack", "staging"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe("Stack staging (Pulumi.staging.yaml)");
  });

  it("writes the edit, and exits 1 with the reason on stderr when refusing", () => {
    const copy = copyStacks();
    expect(cli(copy.dir, ["promote", "--stack", "staging"]).status).toBe(0);
    expect(copy.read("staging")).toBe(original("staging").replace("activeColor: green", "activeColor: blue"));
    const refused = cli(copy.dir, ["retire", "blue", "--stack", "staging"]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("cannot retire `blue`: it is the live color");
  });

  it("exits 2 on bad usage", () => {
    const result = cli(copyStacks().dir, ["promote"]);
    expect(result.status).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe("bluegreen: `-s/--stack` is required: name the stack, such as `-s staging`");
  });
});
