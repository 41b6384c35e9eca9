/**
 * The migration lint as part of every `pulumi preview` and `pulumi up`: `command.local.run` runs the
 * jobs CLI's `migrate lint` on the SQL files on the machine running Pulumi, so an unsafe expand
 * migration (a table rewrite, a lock held through a validation, ...) fails the PR's preview, not an
 * in-cluster Job after a backup. It is an invoke, not a resource: nothing in the switch path depends
 * on it, and it leaves nothing in the state.
 */
import type * as Command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { shellQuote } from "../lib/shellQuote";

/** The shell command the lint runs, from the project directory. */
export function lintCommandLine(directory: string): string {
  const missing = "dist/jobs/cli.js is missing: run npm run build before pulumi preview";
  return `test -f dist/jobs/cli.js || { echo ${shellQuote(missing)} >&2; exit 1; }; exec node dist/jobs/cli.js migrate lint --dir ${shellQuote(directory)}`;
}

/** Runs the lint; its last line (`migrate.lint.clean`) as an output. A finding fails the preview. */
export function lintMigrationsAtPreview(directory: string, projectDir: string = path.dirname(directory)): pulumi.Output<string> {
  // Loaded here, not at the top: a stack without `lintAtPreview` (and every rollback) skips it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const command = require("@pulumi/command") as typeof Command;
  return command.local
    .runOutput({ command: lintCommandLine(directory), dir: projectDir })
    .apply((result) => (result.stdout ?? "").trim().split("\n").pop() ?? "");
}
