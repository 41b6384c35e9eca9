/**
 * The switch notice's dynamic provider as the engine runs it, in two processes (run from dist/ by
 * switchNotice.test.ts, with the repository as working directory):
 *
 *   node switchNoticeProcess.js serialize            prints the provider serialized as a dynamic
 *                                                    resource's `__provider` input holds it
 *   node switchNoticeProcess.js run <file> <steps>   loads it the way @pulumi/pulumi's dynamic-provider
 *                                                    plugin does (require-from-string, `handler()`),
 *                                                    then plays the steps and prints the outputs
 *
 * `steps` is a JSON array of inputs: the first is created, each next one is diffed against the
 * outputs so far and updated when the diff says so. One JSON line per step:
 * `{ "changes": boolean, "outs": {...} }`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

async function serialize(): Promise<void> {
  const { noticeProvider } = require("../../components/noticeProvider") as typeof import("../../components/noticeProvider");
  const { runtime } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  // What pulumi.dynamic.Resource does with its provider.
  const serialized = await runtime.serializeFunction(() => noticeProvider, { allowSecrets: true });
  process.stdout.write(serialized.text);
}

async function run(file: string, stepsJson: string): Promise<void> {
  const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const requireFromString = require(require.resolve("require-from-string", { paths: [sdkDir] })) as (code: string) => { handler(): any };
  const provider = requireFromString(fs.readFileSync(file, "utf8")).handler();
  const steps = JSON.parse(stepsJson) as Record<string, unknown>[];
  const created = await provider.create(steps[0]);
  let outs = created.outs;
  process.stdout.write(`${JSON.stringify({ changes: true, outs })}\n`);
  for (const news of steps.slice(1)) {
    const { changes } = await provider.diff(created.id, outs, news);
    if (changes) outs = (await provider.update(created.id, outs, news)).outs;
    process.stdout.write(`${JSON.stringify({ changes, outs })}\n`);
  }
}

const [mode, ...args] = process.argv.slice(2);
(mode === "serialize" ? serialize() : run(args[0], args[1])).catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
