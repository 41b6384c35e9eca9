/**
 * Arguments through the built CLI, for every command it lists: `--help`/`-h` print the command's
 * usage and exit 0; an unknown flag, a flag without its value and a stray argument end with one
 * error line and exit code 2; flags fall back to their environment variables. None of it needs a
 * database, S3 or a server: all of it is refused or answered before anything is touched.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { migrationDir, runCli } from "./cli";
import { imageCli } from "./imageTree";

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [imageCli(), ...args], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The commands `cli --help` lists: a command added later is checked here too. */
function listedCommands(): string[] {
  const listed = /^commands: (.+)$/m.exec(cli(["--help"]).stdout);
  if (!listed) throw new Error("`cli --help` lists no commands");
  return listed[1].split(", ");
}

const COMMANDS = listedCommands();
/** `migrate lint` is a command of its own for arguments: its own flags and usage. */
const COMMAND_LINES = [...COMMANDS, "migrate lint"];

describe("cli", () => {
  it("lists the commands with --help or -h and exits 0; with no command it exits 2", () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(["backup", "migrate", "restore", "restore-check", "smoke", "verify"]));
    for (const flag of ["--help", "-h"]) {
      const help = cli([flag]);
      expect(help.code, flag).toBe(0);
      expect(help.stdout).toMatch(/^usage: cli <command> \[flags\]\ncommands: .+\n`cli <command> --help` prints a command's flags/);
      expect(help.stderr).toBe("");
    }
    const none = cli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe(cli(["--help"]).stdout);
  });

  it("refuses an unknown command with exit code 2 and one error line listing the commands", async () => {
    const result = await runCli(["bakup"], {});
    expect(result.code).toBe(2);
    expect(result.lines).toHaveLength(1);
    expect(result.error).toBe(
      `unknown command \`bakup\`; usage: cli <command> [flags]; commands: ${COMMANDS.join(", ")}; \`cli <command> --help\` prints a command's flags, the environment it reads and its exit codes`,
    );
  });
});

describe.each(COMMAND_LINES)("cli %s", (command) => {
  const words = command.split(" ");

  it("prints its usage with --help or -h and exits 0, even beside a bad flag", () => {
    const usages = [["--help"], ["-h"], ["--no-such-flag", "--help"]].map((flags) => {
      const help = cli([...words, ...flags]);
      expect(help.code, flags.join(" ")).toBe(0);
      expect(help.stderr).toBe("");
      expect(help.stdout).toMatch(new RegExp(`^usage: cli ${command} `));
      expect(help.stdout).toMatch(/\n {2}-h, --help +print this text\n/);
      return help.stdout;
    });
    expect(new Set(usages).size).toBe(1);
  });

  it("refuses an unknown flag with exit code 2 and one error line naming it and the known flags", async () => {
    const flags = ["--no-such-flag", "--no-such-flag=1", "-q"];
    const results = await Promise.all(flags.map((flag) => runCli([...words, flag], {})));
    for (const [i, flag] of flags.entries()) {
      const result = results[i];
      expect(result.code, flag).toBe(2);
      expect(result.lines).toHaveLength(1);
      expect(result.error).toMatch(new RegExp(`^${command}: unknown flag \`${flag.split("=")[0]}\`; known flags: --\\S+(, --\\S+)*$`));
      expect(result.error).toMatch(/--help$/);
    }
  });

  it("refuses each of its flags without a value, and stray arguments, with exit code 2", async () => {
    const usage = cli([...words, "--help"]).stdout;
    const valueFlags = [...usage.matchAll(/^ {2}(--[a-z0-9-]+)(?:, --[a-z0-9-]+)* (\S+) /gm)].map((m) => ({ flag: m[1], value: m[2] }));
    expect(valueFlags.length).toBeGreaterThan(0);
    const refusals = await Promise.all(valueFlags.map(({ flag }) => runCli([...words, flag], {})));
    valueFlags.forEach(({ flag, value }, i) => {
      expect(refusals[i].code, flag).toBe(2);
      expect(refusals[i].lines).toHaveLength(1);
      expect(refusals[i].error).toBe(`${command}: \`${flag}\` needs a value: pass \`${flag} ${value}\``);
    });
    const stray = await runCli([...words, "stray"], {});
    expect(stray.code).toBe(2);
    expect(stray.error).toMatch(new RegExp(`^${command}: unexpected argument \`stray\`: this command takes only flags such as \`--\\S+ \\S+\` \\(see \`cli ${command} --help\`\\)$`));
  });
});

describe("environment fallbacks", () => {
  it("backup: BACKUP_BUCKET when --bucket is not given; the flag wins", async () => {
    const env = { DATABASE_URL: "postgres://app@127.0.0.1:1/app", BACKUP_BUCKET: "Env_Bucket", BACKUP_PREFIX: "web/production" };
    const fromEnv = await runCli(["backup"], env);
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.error).toBe("backup: `--bucket` is `Env_Bucket`: not an S3 bucket name (3-63 lowercase letters, digits, `.`, `-`)");
    const flagWins = await runCli(["backup", "--bucket=Flag_Bucket"], env);
    expect(flagWins.error).toBe("backup: `--bucket` is `Flag_Bucket`: not an S3 bucket name (3-63 lowercase letters, digits, `.`, `-`)");
  });

  it("restore-check: every flag from its variable", async () => {
    const result = await runCli(["restore-check"], {
      RESTORE_CHECK_DATABASE_URL: "postgres://restore@127.0.0.1:1/postgres",
      BACKUP_BUCKET: "acme-web-backups",
      BACKUP_PREFIX: "web/production",
      RESTORE_CHECK_DEADLINE_SECONDS: "soon",
    });
    expect(result.code).toBe(2);
    expect(result.error).toBe("restore-check: `--deadline-seconds` is `soon`: must be a whole number from 1 to 604800");
  });

  it("restore: RESTORE_TARGET_DATABASE_URL", async () => {
    const result = await runCli(["restore"], { RESTORE_TARGET_DATABASE_URL: "mysql://app@127.0.0.1:1/app" });
    expect(result.code).toBe(2);
    expect(result.error).toBe("restore: `--target-database-url` has scheme `mysql:`: use `postgres://user:password@host:5432/database`");
  });

  it("verify: VERIFY_SPEC when --spec is not given; the flag wins", async () => {
    const env = { DATABASE_URL: "postgres://app@127.0.0.1:1/app", VERIFY_SPEC: "/nonexistent/env.yaml" };
    const fromEnv = await runCli(["verify"], env);
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.error).toMatch(/^cannot read spec `\/nonexistent\/env\.yaml`: ENOENT/);
    const flagWins = await runCli(["verify", "--spec", "/nonexistent/flag.yaml"], env);
    expect(flagWins.error).toMatch(/^cannot read spec `\/nonexistent\/flag\.yaml`: ENOENT/);
    const unset = await runCli(["verify"], { DATABASE_URL: env.DATABASE_URL, VERIFY_SPEC: "" });
    expect(unset.error).toBe("verify: `--spec` is not set: pass `--spec migrations/schema.yaml` or set VERIFY_SPEC");
  });

  it("migrate: MIGRATIONS_DIR when --dir is not given; the flag wins", async () => {
    const dir = migrationDir({ "001_a.sql": "CREATE TABLE a (id bigint PRIMARY KEY);" });
    const fromEnv = await runCli(["migrate", "lint"], { MIGRATIONS_DIR: dir });
    expect(fromEnv.code, fromEnv.error).toBe(0);
    expect(fromEnv.events("migrate.lint.clean")).toEqual([expect.objectContaining({ dir, files: 1 })]);
    const flagWins = await runCli(["migrate", "lint", "--dir", dir], { MIGRATIONS_DIR: "/nonexistent" });
    expect(flagWins.code, flagWins.error).toBe(0);
    expect(flagWins.events("migrate.lint.clean")).toEqual([expect.objectContaining({ dir })]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
