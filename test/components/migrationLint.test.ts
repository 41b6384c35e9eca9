import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { lintCommandLine } from "../../components/migrationLint";
import { ROOT, runProgram } from "../helpers/program";

describe("migrate lint at preview (command.local.run)", () => {
  it("the production stack runs the lint on its migrations directory during every preview and up", async () => {
    const run = await runProgram("production");
    expect(run.error).toBeUndefined();
    const lint = run.calls.filter((c) => c.token === "command:local:run");
    expect(lint).toEqual([{ token: "command:local:run", inputs: { command: lintCommandLine(path.join(ROOT, "migrations")), dir: ROOT } }]);
  });

  it("is off unless `migrations.lintAtPreview` is set, and then needs no command plugin", async () => {
    const run = await runProgram("staging", { edit: (c) => delete c.migrations.lintAtPreview });
    expect(run.error).toBeUndefined();
    expect(run.calls.filter((c) => c.token.startsWith("command:"))).toEqual([]);
    expect(run.outputs.migrationLint).toBe("off");
  });

  it("the command passes on the project's migrations and fails on an unsafe one, naming it", () => {
    const clean = spawnSync("sh", ["-c", lintCommandLine(path.join(ROOT, "migrations"))], { cwd: ROOT, encoding: "utf8" });
    expect(clean.status).toBe(0);
    expect(clean.stdout).toContain('"event":"migrate.lint.clean"');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lint-at-preview-"));
    fs.writeFileSync(path.join(dir, "001_create.sql"), "CREATE TABLE t (id bigint PRIMARY KEY);\n");
    fs.writeFileSync(path.join(dir, "002_rewrite.sql"), "ALTER TABLE t ALTER COLUMN id TYPE text;\n");
    const unsafe = spawnSync("sh", ["-c", lintCommandLine(dir)], { cwd: ROOT, encoding: "utf8" });
    expect(unsafe.status).not.toBe(0);
    expect(unsafe.stdout).toContain("002_rewrite.sql");
    fs.rmSync(dir, { recursive: true });
  });

  it("says how to fix a missing build instead of a node stack trace", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "lint-no-build-"));
    const run = spawnSync("sh", ["-c", lintCommandLine(path.join(ROOT, "migrations"))], { cwd: empty, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe("dist/jobs/cli.js is missing: run npm run build before pulumi preview");
    fs.rmSync(empty, { recursive: true });
  });
});
