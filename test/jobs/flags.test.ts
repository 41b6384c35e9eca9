/**
 * The jobs' flag parser (jobs/flags.ts) on its own: both value forms, switches, aliases, the
 * environment fallback, and the one-line errors for unknown flags, missing values and stray
 * arguments; `--help` wins over everything else on the line.
 */
import { describe, expect, it } from "vitest";
import { FlagSpecs, HelpRequested, parseFlags, required, usageOf } from "../../jobs/flags";
import { JobError } from "../../jobs/log";

const SPECS = {
  bucket: { env: "T_BUCKET", help: "the bucket" },
  dir: { env: "T_DIR", value: "DIR", help: "a directory" },
  "dry-run": { boolean: true, help: "change nothing" },
  "allow-non-empty": { boolean: true, aliases: ["force"], env: "T_ALLOW", help: "replace what is there" },
} as const satisfies FlagSpecs;

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseFlags("job", SPECS, argv, env);

/** The JobError parseFlags throws for argv: its message and exit code. */
function refusal(argv: string[]): { message: string; exitCode: number } {
  try {
    parse(argv);
  } catch (error) {
    if (error instanceof JobError) return { message: error.message, exitCode: error.exitCode };
    throw error;
  }
  throw new Error(`${JSON.stringify(argv)} was accepted`);
}

describe("parseFlags", () => {
  it("takes `--flag value` and `--flag=value` alike, the last one given winning", () => {
    expect(parse(["--bucket", "b1", "--dir=/m"])).toEqual({ bucket: "b1", dir: "/m" });
    expect(parse(["--bucket=b1", "--dir", "/m"])).toEqual({ bucket: "b1", dir: "/m" });
    expect(parse(["--bucket", "b1", "--bucket=b2"])).toEqual({ bucket: "b2" });
    // Only the first `=` splits: the rest belongs to the value.
    expect(parse(["--bucket=a=b"])).toEqual({ bucket: "a=b" });
    // A value may start with `-` when it is attached with `=`.
    expect(parse(["--dir=-odd"])).toEqual({ dir: "-odd" });
  });

  it("reads switches as true, takes =true/=false, and maps an alias to its flag", () => {
    expect(parse(["--dry-run"])).toEqual({ "dry-run": "true" });
    expect(parse(["--dry-run=false"])).toEqual({ "dry-run": "false" });
    expect(parse(["--force"])).toEqual({ "allow-non-empty": "true" });
    expect(parse(["--allow-non-empty=true"])).toEqual({ "allow-non-empty": "true" });
    expect(refusal(["--force=maybe"])).toEqual({ message: "job: `--force` is `maybe`: a switch takes no value (or `=true`/`=false`)", exitCode: 2 });
  });

  it("falls back to each flag's variable, a flag winning and an empty variable counting as unset", () => {
    expect(parse([], { T_BUCKET: "from-env", T_DIR: "/env", T_ALLOW: "yes" })).toEqual({ bucket: "from-env", dir: "/env", "allow-non-empty": "yes" });
    expect(parse(["--bucket", "from-flag"], { T_BUCKET: "from-env" })).toEqual({ bucket: "from-flag" });
    expect(parse(["--force=false"], { T_ALLOW: "true" })).toEqual({ "allow-non-empty": "false" });
    expect(parse([], { T_BUCKET: "" })).toEqual({});
    expect(() => required("job", SPECS, parse([], { T_BUCKET: "" }), "bucket", "acme")).toThrow("job: `--bucket` is not set: pass `--bucket acme` or set T_BUCKET");
  });

  it("refuses an unknown flag with exit code 2, listing the known ones", () => {
    const known = "known flags: --bucket, --dir, --dry-run, --allow-non-empty, --help";
    expect(refusal(["--bukket", "b"])).toEqual({ message: `job: unknown flag \`--bukket\`; ${known}`, exitCode: 2 });
    expect(refusal(["--bukket=b"]).message).toBe(`job: unknown flag \`--bukket\`; ${known}`);
    // A single dash is a group of short flags to parseArgs: the error shows the argument as typed.
    expect(refusal(["-bucket", "b"]).message).toBe(`job: unknown flag \`-bucket\`; ${known}`);
    expect(refusal(["-x"]).message).toBe(`job: unknown flag \`-x\`; ${known}`);
    // No `--no-` negation unless a flag is named so.
    expect(refusal(["--no-dry-run"]).message).toBe(`job: unknown flag \`--no-dry-run\`; ${known}`);
  });

  it("refuses a flag without its value, and a value that is the next flag", () => {
    expect(refusal(["--bucket"])).toEqual({ message: "job: `--bucket` needs a value: pass `--bucket <value>`", exitCode: 2 });
    expect(refusal(["--dir="]).message).toBe("job: `--dir` needs a value: pass `--dir DIR`");
    expect(refusal(["--dir", ""]).message).toBe("job: `--dir` needs a value: pass `--dir DIR`");
    expect(refusal(["--bucket", "--dry-run"]).message).toBe(
      "job: `--bucket` needs a value but is followed by `--dry-run`: pass `--bucket <value>` (a value that starts with `-` as `--bucket=<value>`)",
    );
  });

  it("refuses arguments that are not flags, without showing a URL's password", () => {
    const stray = (arg: string) =>
      `job: unexpected argument \`${arg}\`: this command takes only flags such as \`--bucket <value>\` (see \`cli job --help\`)`;
    expect(refusal(["--dry-run", "now"])).toEqual({ message: stray("now"), exitCode: 2 });
    expect(refusal(["--", "--bucket"]).message).toBe(stray("--bucket"));
    expect(refusal(["postgres://app:s3cret@db:5432/app"]).message).toBe(stray("postgres://app:***@db:5432/app"));
    expect(refusal(["postgres://app:s3cret@db:5432/app"]).message).not.toContain("s3cret");
  });

  it("ends with the usage on -h or --help, wherever it stands and whatever else is wrong", () => {
    for (const argv of [["--help"], ["-h"], ["--bukket", "--help"], ["stray", "-h"], ["--bucket", "--help"], ["--help=no"]]) {
      let thrown: unknown;
      try {
        parse(argv);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, argv.join(" ")).toBeInstanceOf(HelpRequested);
      expect((thrown as HelpRequested).usage).toBe(usageOf("job", SPECS));
    }
    // A spec named `help` (as older commands declared) is the same flag, not a second one.
    const withHelp = { ...SPECS, help: { boolean: true, help: "print this text" } } as const satisfies FlagSpecs;
    expect(() => parseFlags("job", withHelp, ["-h"], {})).toThrow(HelpRequested);
    expect(usageOf("job", withHelp)).toBe(usageOf("job", SPECS));
  });
});

describe("usageOf", () => {
  it("lists every flag with its value, aliases and variable, then --help, in aligned columns", () => {
    expect(usageOf("job", SPECS)).toBe(
      [
        "usage: cli job [flags]",
        "  --bucket <value>            the bucket (env T_BUCKET)",
        "  --dir DIR                   a directory (env T_DIR)",
        "  --dry-run                   change nothing",
        "  --allow-non-empty, --force  replace what is there (env T_ALLOW)",
        "  -h, --help                  print this text",
      ].join("\n"),
    );
  });

  it("puts the forms of the command first, then its summary, and notes after the flags", () => {
    const usage = usageOf("job", { dir: SPECS.dir }, { synopsis: ["cli job [--dir DIR]", "cli job lint"], summary: "Does the job.", notes: ["exit codes: 0 done"] });
    expect(usage).toBe(
      [
        "usage: cli job [--dir DIR]",
        "       cli job lint",
        "Does the job.",
        "  --dir DIR   a directory (env T_DIR)",
        "  -h, --help  print this text",
        "exit codes: 0 done",
      ].join("\n"),
    );
  });
});
