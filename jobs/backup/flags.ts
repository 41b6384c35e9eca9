/**
 * Command-line flags for the backup commands. Every flag may also come from an environment variable
 * (the CronJobs set env, humans type flags); a flag wins over its variable. Unknown flags and
 * missing values are operator errors reported before anything is touched.
 */
import { JobError } from "../log";

export interface FlagSpec {
  /** Environment variable read when the flag is not given. */
  readonly env?: string;
  /** A switch without a value (`--force`). */
  readonly boolean?: boolean;
  /** Other spellings accepted for the same flag, without `--`. */
  readonly aliases?: readonly string[];
  /** One line for the usage text. */
  readonly help: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export type FlagValues<S extends FlagSpecs> = { [K in keyof S]?: string };

export function usageOf(command: string, specs: FlagSpecs): string {
  const lines = Object.entries(specs).map(([name, spec]) => {
    const value = spec.boolean ? "" : " <value>";
    const env = spec.env ? ` (env ${spec.env})` : "";
    return `  --${name}${value}${env}: ${spec.help}`;
  });
  return `usage: cli ${command} [flags]\n${lines.join("\n")}`;
}

/** Parses `--name value`, `--name=value` and boolean `--name`; falls back to env. */
export function parseFlags<S extends FlagSpecs>(
  command: string,
  specs: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): FlagValues<S> {
  const byName = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    byName.set(name, name);
    for (const alias of spec.aliases ?? []) byName.set(alias, name);
  }
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      throw new JobError(`${command}: unexpected argument \`${arg}\`; flags look like \`--bucket my-bucket\` (see \`cli ${command} --help\`)`, 2);
    }
    const eq = arg.indexOf("=");
    const given = arg.slice(2, eq >= 0 ? eq : undefined);
    const name = byName.get(given);
    if (!name) {
      const known = Object.keys(specs).map((n) => `--${n}`).join(", ");
      throw new JobError(`${command}: unknown flag \`--${given}\`; known flags: ${known}`, 2);
    }
    if (specs[name].boolean) {
      if (eq >= 0) {
        const raw = arg.slice(eq + 1);
        if (raw !== "true" && raw !== "false") {
          throw new JobError(`${command}: \`--${given}\` is \`${raw}\`: a switch takes no value (or \`=true\`/\`=false\`)`, 2);
        }
        values[name] = raw;
      } else {
        values[name] = "true";
      }
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "") {
      throw new JobError(`${command}: \`--${given}\` needs a value`, 2);
    }
    values[name] = value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (values[name] === undefined && spec.env && env[spec.env] !== undefined && env[spec.env] !== "") {
      values[name] = env[spec.env]!;
    }
  }
  return values as FlagValues<S>;
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
