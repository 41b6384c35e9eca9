/**
 * The release CLI's command line: `bluegreen <command> [arguments] -s <stack> [options]`, parsed with
 * Node's own `node:util` `parseArgs` (the jobs CLI uses the same parser). Each command declares the
 * options it takes and its help text; an option given to a command that does not take it is a usage
 * error, as is a missing or extra argument.
 */
import { parseArgs } from "node:util";
import { WATCH_HELP } from "./watchUsage";

export class UsageError extends Error {}

/** Every option of every command, as `parseArgs` reads them. */
const OPTIONS = {
  stack: { type: "string", short: "s" },
  file: { type: "string" },
  "dry-run": { type: "boolean" },
  apply: { type: "boolean" },
  output: { type: "string", short: "o" },
  limit: { type: "string" },
  since: { type: "string" },
  help: { type: "boolean", short: "h" },
  // watch
  minutes: { type: "string" },
  alarms: { type: "string" },
  "poll-seconds": { type: "string" },
  "settle-minutes": { type: "string" },
  region: { type: "string" },
  endpoint: { type: "string" },
  "no-rollback": { type: "boolean" },
  commit: { type: "boolean" },
  "ignore-poll-failures": { type: "boolean" },
  // report-failure
  reason: { type: "string" },
  within: { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;

const WATCH_OPTIONS: readonly OptionName[] = ["minutes", "alarms", "poll-seconds", "settle-minutes", "region", "endpoint", "no-rollback", "commit", "ignore-poll-failures"];
const COMMON: readonly OptionName[] = ["stack", "file", "help"];

interface CommandSpec {
  /** Positional arguments: exactly, or [at least, at most]. */
  readonly arity: number | readonly [number, number];
  readonly synopsis: string;
  readonly summary: string;
  readonly options: readonly OptionName[];
  /** More help lines, after the synopsis. */
  readonly help: readonly string[];
}

const EDIT_HELP = ["  --dry-run          print the diff and the next commands; write nothing"];

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  status: {
    arity: 0,
    synopsis: "status -s <stack> [-o json]",
    summary: "what is live in the cluster, and whether the stack file, HEAD and the Pulumi state agree",
    options: ["output"],
    help: [
      "Reads the cluster (live Services, Deployments, Jobs, the switch records), the stack file, its last",
      "commit and the stack's Pulumi state, and names every disagreement with the command that resolves it.",
      "  -o, --output json  the same facts as one JSON document (README: `status -o json`)",
      "Exit code 3 when the cluster and git disagree (drift).",
    ],
  },
  history: {
    arity: 0,
    synopsis: "history -s <stack> [-o json] [--limit <n>]",
    summary: "the last switches: when, who, from → to, images, how, commit, watch verdict",
    options: ["output", "limit"],
    help: [
      "Built from Pulumi's update history, the stack file's git history and the switch records the CLI",
      "writes in the cluster. Newest first.",
      "  -o, --output json  the same as one JSON document (README: `history -o json`)",
      "  --limit <n>        how many switches (default 20)",
    ],
  },
  "check-drift": {
    arity: 0,
    synopsis: "check-drift -s <stack> [--since <commit>]",
    summary: "refuse (exit 3) when the cluster serves a color git did not put there",
    options: ["since"],
    help: [
      "Run before the deploy's `pulumi up`: compares the color the live Services select in the cluster",
      "with the stack file at <commit> (default HEAD~1, the deploy's previous commit) and at HEAD.",
      "When someone switched outside git (a rollback not yet pushed), the deploy would flip traffic back:",
      "this refuses with the color, who and when (when known) and the commit that makes git true.",
      "  --since <commit>   the commit the last deploy applied (the workflow passes github.event.before)",
    ],
  },
  stage: {
    arity: [2, Infinity],
    synopsis: "stage <color> <image> -s <stack>, or stage <color> <service>=<image> ... for an app with `services`",
    summary: "put a new release on the idle color",
    options: ["dry-run"],
    help: EDIT_HELP,
  },
  promote: {
    arity: 0,
    synopsis: "promote -s <stack>",
    summary: "make the idle color live (edit; `pulumi up` applies it with the gates)",
    options: ["dry-run"],
    help: [...EDIT_HELP, "Refused with exit code 3 when the cluster does not serve the stack file's live color (drift)."],
  },
  rollback: {
    arity: 0,
    synopsis: "rollback -s <stack> [--apply]",
    summary: "make the previous color live again; --apply switches now, touching only the live Services",
    options: ["dry-run", "apply"],
    help: [
      ...EDIT_HELP,
      "  --apply            also run `pulumi up --target <live Service> ...` now and wait for the flip;",
      "                     refused unless the previous color's Deployments are ready and its smoke Jobs passed",
    ],
  },
  maintenance: {
    arity: 1,
    synopsis: "maintenance on|off -s <stack> [--apply]",
    summary: "send every live Service to the maintenance page, or back to the live color",
    options: ["dry-run", "apply"],
    help: [
      ...EDIT_HELP,
      "  --apply            also run `pulumi up --target <live Service> ...` now and wait for every selector;",
      "                     refused unless the page (on) or the live color (off) is ready",
      "Needs a `maintenance` section applied once (it starts the page); refused in the same commit as a promotion.",
    ],
  },
  watch: {
    arity: 0,
    synopsis: "watch -s <stack> [watch options]",
    summary: "after a switch: watch the release alarms; on ALARM roll back (the --apply path)",
    options: WATCH_OPTIONS,
    help: WATCH_HELP,
  },
  "report-failure": {
    arity: 0,
    synopsis: "report-failure -s <stack> [--reason <text>] [--within <minutes>]",
    summary: "after a failed `pulumi up`: send a releaseFailed notice naming what failed in the cluster",
    options: ["reason", "within"],
    help: [
      "Reads the app's Jobs and Deployments: every Job that failed in the last `--within` minutes (default 60)",
      "and every Deployment whose rollout is not complete, with the cluster's reason, and sends one",
      "`releaseFailed` notice per failure to the stack's `notify` targets (none when nothing in the cluster",
      "failed: one notice with `--reason`, or a pointer to the update's log). Prints what it found either way.",
      "The deploy workflow runs it when `pulumi up` fails. Reads the webhook URL with `pulumi config --show-secrets`.",
      "  --reason <text>     what failed, when the cluster shows nothing (e.g. the CI run's URL)",
      "  --within <minutes>  how recent a Job's failure must be to count (default 60)",
    ],
  },
  retire: {
    arity: 1,
    synopsis: "retire <color> -s <stack>",
    summary: "scale the idle color to 0",
    options: ["dry-run"],
    help: EDIT_HELP,
  },
};

/** Exit codes, for scripts: README lists them. */
export const EXIT = { DONE: 0, REFUSED: 1, USAGE: 2, DRIFT: 3 } as const;

export const USAGE_LINE = "usage: bluegreen <command> [arguments] -s <stack> [options]   (bluegreen <command> --help)";

export function usage(): string[] {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    USAGE_LINE,
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.summary}`),
    "",
    "options of every command:",
    "  -s, --stack <stack>  required: reads and edits Pulumi.<stack>.yaml in the current directory",
    "  --file <path>        that stack file instead (Pulumi.yaml is read from its directory)",
    "  -h, --help           this help, or a command's",
    "",
    "exit codes: 0 done (or nothing to do), 1 refused, 2 usage error, 3 the cluster and git disagree (drift)",
    "colors only on a terminal; NO_COLOR=1 turns them off, FORCE_COLOR=1 on",
  ];
}

export function commandHelp(command: string): string[] {
  const spec = COMMANDS[command];
  return [`usage: bluegreen ${spec.synopsis}`, "", spec.summary, "", ...spec.help, "  -s, --stack <stack> --file <path> -h, --help: see `bluegreen --help`"];
}

export interface Args {
  readonly command: string;
  readonly positional: readonly string[];
  readonly stack: string;
  readonly file?: string;
  readonly dryRun: boolean;
  readonly apply: boolean;
  readonly output: "text" | "json";
  readonly limit: number;
  readonly since?: string;
  /** `report-failure`: what failed, when the cluster shows nothing. */
  readonly reason?: string;
  /** `report-failure`: how recent a Job's failure must be, in minutes. */
  readonly withinMinutes: number;
  /** `watch` options, as given (names without the dashes). */
  readonly watch: Readonly<Record<string, string | boolean>>;
}

/** What the command line asks for: help (of a command, or of all), or a command to run. */
export type Request = { readonly help: string[] } | { readonly args: Args };

const dashed = (name: string) => (OPTIONS[name as OptionName] && "short" in OPTIONS[name as OptionName] ? `-${(OPTIONS[name as OptionName] as { short: string }).short}/--${name}` : `--${name}`);

/** Node's parse errors, in the CLI's words. */
function usageErrorOf(error: unknown): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-[^' ,]+)(?:, (--[^' ]+))?/.exec(message);
  const name = option?.[2] ? `${option[1]}/${option[2]}` : (option?.[1] ?? "");
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new UsageError(`\`${name}\` is not an option; see \`bluegreen --help\``);
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (/does not take an argument/.test(message)) return new UsageError(`\`${name}\` takes no value`);
    return new UsageError(`\`${name}\` needs a value`);
  }
  return new UsageError(message.split("\n")[0]);
}

export function parseCommandLine(argv: readonly string[]): Request {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    // `--help` wins over any other mistake on the line.
    if (argv.includes("--help") || argv.includes("-h")) {
      const command = argv.find((arg) => arg in COMMANDS);
      return { help: command ? commandHelp(command) : usage() };
    }
    throw usageErrorOf(error);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help) return { help: command && command in COMMANDS ? commandHelp(command) : usage() };
  if (command === undefined) throw new UsageError("no command given");
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`\`${command}\` is not a command; use one of ${Object.keys(COMMANDS).join(", ")}`);

  for (const given of Object.keys(values)) {
    if (COMMON.includes(given as OptionName) || spec.options.includes(given as OptionName)) continue;
    if (given === "apply") throw new UsageError("`--apply` goes with `rollback` and `maintenance` only; a promotion goes through the full `pulumi up`, which runs the gates");
    const owners = Object.entries(COMMANDS).filter(([, s]) => s.options.includes(given as OptionName)).map(([name]) => `\`${name}\``);
    throw new UsageError(`\`${dashed(given)}\` goes with ${owners.join(", ")} only`);
  }
  const [least, most] = typeof spec.arity === "number" ? [spec.arity, spec.arity] : spec.arity;
  if (rest.length < least || rest.length > most) {
    throw new UsageError(`\`${command}\` takes ${least === most ? least : `at least ${least}`} argument(s): ${spec.synopsis}`);
  }
  const stack = values.stack;
  if (stack === undefined || stack === "") throw new UsageError("`-s/--stack` is required: name the stack, such as `-s staging`");
  if (values.apply && values["dry-run"]) throw new UsageError("`--apply` and `--dry-run` exclude each other");
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json") throw new UsageError(`\`-o/--output\` is \`${output}\`: use \`json\` (or leave it out for text)`);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`\`--limit\` is \`${values.limit}\`: use a whole number of switches, such as \`--limit 10\``);
  const withinMinutes = values.within === undefined ? 60 : Number(values.within);
  if (!(withinMinutes > 0) || !Number.isFinite(withinMinutes)) throw new UsageError(`\`--within\` is \`${values.within}\`: use a number of minutes, such as \`--within 30\``);
  const watch: Record<string, string | boolean> = {};
  for (const name of WATCH_OPTIONS) {
    const value = values[name];
    if (value !== undefined) watch[name] = value;
  }
  return {
    args: {
      command,
      positional: rest,
      stack,
      file: values.file,
      dryRun: values["dry-run"] === true,
      apply: values.apply === true,
      output,
      limit,
      since: values.since,
      reason: values.reason,
      withinMinutes,
      watch,
    },
  };
}
