/**
 * Command-line flags of every jobs command, parsed by node's `util.parseArgs`. A flag may also come
 * from an environment variable (the Jobs and CronJobs set env, humans type flags); a flag wins over
 * its variable. `--name value` and `--name=value` are the same. Unknown flags, arguments that are
 * not flags and flags without their value are operator errors, reported as one line (exit code 2)
 * before anything is touched. `-h`/`--help` is accepted by every command: it ends the parse with
 * the command's usage, which the CLI prints (exit code 0).
 */
import { ParseArgsOptionsConfig, parseArgs } from "node:util";
import { JobError } from "./log";

export interface FlagSpec {
  /** Environment variable read when the flag is not given. */
  readonly env?: string;
  /** A switch without a value (`--force`); `--force=true` and `--force=false` are accepted too. */
  readonly boolean?: boolean;
  /** Other spellings accepted for the same flag, without `--`. */
  readonly aliases?: readonly string[];
  /** What the usage shows for the value, such as `DIR` (default `<value>`). */
  readonly value?: string;
  /** One line for the usage text. */
  readonly help: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Values as given (switches as `"true"`/`"false"`), or from the flag's variable; absent when neither. */
export type FlagValues<S extends FlagSpecs> = { [K in keyof S]?: string };

/** What a command's usage says besides its flags. */
export interface CommandUsage {
  /** The forms of the command, each printed after `usage: ` (default `cli <command> [flags]`). */
  readonly synopsis?: readonly string[];
  /** One line on what the command does. */
  readonly summary?: string;
  /** Lines after the flags, such as the environment it reads and its exit codes. */
  readonly notes?: readonly string[];
}

/** Thrown by parseFlags for `-h`/`--help`: the CLI prints `usage` and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super(usage);
    this.name = "HelpRequested";
  }
}

/** Every command has it; a spec named `help` (older commands declare one) is the same flag. */
const HELP = "help";
const HELP_SPELLINGS = ["--help", "-h"];

export function usageOf(command: string, specs: FlagSpecs, usage: CommandUsage = {}): string {
  const synopsis = usage.synopsis ?? [`cli ${command} [flags]`];
  const rows = Object.entries(specs)
    .filter(([name]) => name !== HELP)
    .map(([name, spec]) => {
      const spellings = [name, ...(spec.aliases ?? [])].map((n) => `--${n}`).join(", ");
      return [spec.boolean ? spellings : `${spellings} ${spec.value ?? "<value>"}`, `${spec.help}${spec.env ? ` (env ${spec.env})` : ""}`];
    });
  rows.push(["-h, --help", "print this text"]);
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    ...synopsis.map((line, i) => `${i === 0 ? "usage: " : "       "}${line}`),
    ...(usage.summary ? [usage.summary] : []),
    ...rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`),
    ...(usage.notes ?? []),
  ].join("\n");
}

/**
 * Parses `--name value`, `--name=value` and switches (`--name`, `--name=true|false`), then falls
 * back to each flag's variable. `-h`/`--help` anywhere throws HelpRequested, even beside bad flags.
 */
export function parseFlags<S extends FlagSpecs>(
  command: string,
  specs: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  usage: CommandUsage = {},
): FlagValues<S> {
  const canonical = new Map<string, string>();
  const options: ParseArgsOptionsConfig = { [HELP]: { type: "boolean", short: "h" } };
  for (const [name, spec] of Object.entries(specs)) {
    for (const spelling of [name, ...(spec.aliases ?? [])]) {
      canonical.set(spelling, name);
      if (spelling !== HELP) options[spelling] = { type: spec.boolean ? "boolean" : "string" };
    }
  }
  // Not strict: parseArgs then reports every argument as a token, and the checks below word the
  // errors as the jobs' other errors are worded (flag, bad value, fix) instead of node's.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const helpAsked = tokens.some(
    (t) => t.kind === "option" && (t.name === HELP || (t.inlineValue === false && HELP_SPELLINGS.includes(t.value ?? ""))),
  );
  if (helpAsked) throw new HelpRequested(usageOf(command, specs, usage));

  const values: Record<string, string> = {};
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") throw unexpectedArgument(command, specs, token.value);
    // A short option's raw name is one letter of its argument (`-b` of `-bucket`): show the argument.
    const given = token.rawName.startsWith("--") ? token.rawName : argv[token.index];
    const name = canonical.get(token.name);
    if (name === undefined) {
      const known = [...Object.keys(specs).filter((n) => n !== HELP), HELP].map((n) => `--${n}`).join(", ");
      throw new JobError(`${command}: unknown flag \`${given}\`; known flags: ${known}`, 2);
    }
    const spec = specs[name];
    if (spec.boolean) {
      if (token.value !== undefined && token.value !== "true" && token.value !== "false") {
        throw new JobError(`${command}: \`${given}\` is \`${token.value}\`: a switch takes no value (or \`=true\`/\`=false\`)`, 2);
      }
      values[name] = token.value ?? "true";
      continue;
    }
    const example = `\`${given} ${spec.value ?? "<value>"}\``;
    if (token.value === undefined || token.value === "") {
      throw new JobError(`${command}: \`${given}\` needs a value: pass ${example}`, 2);
    }
    // `--bucket --prefix x` most likely forgot the bucket; node's strict mode refuses it too.
    if (!token.inlineValue && token.value.startsWith("-")) {
      throw new JobError(
        `${command}: \`${given}\` needs a value but is followed by \`${token.value}\`: pass ${example} (a value that starts with \`-\` as \`${given}=${spec.value ?? "<value>"}\`)`,
        2,
      );
    }
    values[name] = token.value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (values[name] === undefined && spec.env && env[spec.env] !== undefined && env[spec.env] !== "") {
      values[name] = env[spec.env]!;
    }
  }
  return values as FlagValues<S>;
}

function unexpectedArgument(command: string, specs: FlagSpecs, argument: string): JobError {
  const example = Object.entries(specs).find(([name, spec]) => name !== HELP && !spec.boolean);
  const flags = example ? `flags such as \`--${example[0]} ${example[1].value ?? "<value>"}\`` : "flags";
  return new JobError(`${command}: unexpected argument \`${withoutPassword(argument)}\`: this command takes only ${flags} (see \`cli ${command} --help\`)`, 2);
}

/** A stray argument may be a database URL: its password never reaches the log. */
function withoutPassword(argument: string): string {
  return argument.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/i, "$1***@");
}

/** The flag's value, or a JobError naming the flag, its variable and an example. */
export function required(command: string, specs: FlagSpecs, values: Record<string, string | undefined>, name: string, example: string): string {
  const value = values[name];
  if (value !== undefined) return value;
  const env = specs[name].env ? ` or set ${specs[name].env}` : "";
  throw new JobError(`${command}: \`--${name}\` is not set: pass \`--${name} ${example}\`${env}`, 2);
}

/** A whole number within bounds, or a JobError naming the flag and the bad value. */
export function wholeNumber(command: string, name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new JobError(`${command}: \`--${name}\` is \`${raw}\`: must be a whole number from ${min} to ${max}`, 2);
  }
  return value;
}

export function isTrue(raw: string | undefined): boolean {
  return raw === "true" || raw === "1" || raw === "yes";
}
