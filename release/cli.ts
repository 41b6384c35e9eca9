/**
 * The release CLI for on-call engineers: `npm run release -- <command> --stack <stack>`.
 * It edits Pulumi.<stack>.yaml (comments and layout kept), checks the result with the same rules as
 * `pulumi up`, prints the diff and the exact commands to commit and apply. Only `rollback --apply`
 * (one targeted `pulumi up` of every live Service of the app) and `watch` run pulumi.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Color, COLORS, SECRET_CONFIG_KEYS, servicesOf, stackConfigSchema, validateStackConfig } from "../config";
import { mergeStackConfig, projectName, withoutSecrets } from "../lib/stackFile";
import { diffLines } from "./diff";
import { Paint, paintFor } from "./paint";
import { statusLines } from "./status";
import { StackDocument, StackDocumentError } from "./stackDocument";
import { flip, Plan, ReleaseState, retire, stage, stageImages } from "./transitions";
import { DeployedStackError } from "./deployedStack";
import { alreadySwitched, gateProblems, switchedLine, switchLiveServices, SwitchRefused, targetedUpCommand } from "./targetedSwitch";
import { switchTarget } from "./switchTarget";
import { otherColor } from "../config";
import { WATCH_USAGE } from "./watchUsage";
import { committedText, retireProblems, switchProblems } from "./sameCommit";
import { openSwitch, SwitchSession } from "./switchSession";

export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** When the command started (ms since the epoch), for the times it prints. */
  readonly startedAt?: number;
}

export const USAGE = [
  "usage: npm run release -- <command> --stack <stack> [--file <path>] [--dry-run]",
  "",
  "commands:",
  "  status                 both colors, the live one, images, replicas, rollback readiness",
  "  stage <color> <image>  put a new image on the idle color; for an app with `services`, every",
  "                         service's image at once: stage <color> <service>=<image> ...",
  "  promote                make the idle color live",
  "  rollback [--apply]     make the previous color live again (same edit as promote); with --apply",
  "                         also run `pulumi up --target <live Service> ...` now and wait for the flip",
  "  watch                  after a switch: watch the release alarms; on ALARM roll back (--apply path)",
  "  retire <color>         scale the idle color to 0",
  "",
  "options:",
  "  --stack <stack>  required; edits Pulumi.<stack>.yaml in the current directory",
  "  --file <path>    edit this stack file instead (Pulumi.yaml is read from its directory);",
  "                   relative to the project directory",
  "  --dry-run        print the diff and commands without writing the file",
  "  --apply          (rollback) apply the switch now, touching only the live Services",
  ...WATCH_USAGE,
];

/** Exit codes: 0 done (or nothing to do), 1 refused, 2 bad usage. */
const DONE = 0;
const REFUSED = 1;
const USAGE_ERROR = 2;
/** How long `rollback --apply` waits for another switch of the same checkout to end. */
const SWITCH_WAIT_MS = 180_000;

class UsageError extends Error {}

interface Args {
  readonly command: string;
  readonly positional: readonly string[];
  readonly stack: string;
  readonly file?: string;
  readonly dryRun: boolean;
  readonly apply: boolean;
  /** `watch` options, as given. */
  readonly watch: Readonly<Record<string, string | boolean>>;
}

/** How many arguments each command takes: exactly, or [at least, at most]. */
const ARITY: Record<string, number | readonly [number, number]> = { status: 0, stage: [2, Infinity], promote: 0, rollback: 0, retire: 1, watch: 0 };
const WATCH_VALUE_FLAGS = ["--minutes", "--alarms", "--poll-seconds", "--settle-minutes", "--region", "--endpoint"];
const WATCH_SWITCHES = ["--no-rollback", "--commit", "--ignore-poll-failures"];
const SYNOPSIS: Record<string, string> = {
  status: "status",
  stage: "stage <color> <image>, or stage <color> <service>=<image> ... for an app with `services`",
  promote: "promote",
  rollback: "rollback",
  retire: "retire <color>",
  watch: "watch",
};

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  let stack: string | undefined;
  let file: string | undefined;
  let dryRun = false;
  let apply = false;
  const watch: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "" || (inline === undefined && v.startsWith("--"))) throw new UsageError(`\`${flag}\` needs a value`);
      return v;
    };
    if (flag === "--stack") stack = value();
    else if (flag === "--file") file = value();
    else if (flag === "--dry-run") dryRun = true;
    else if (flag === "--apply") apply = true;
    else if (WATCH_VALUE_FLAGS.includes(flag)) watch[flag.slice(2)] = value();
    else if (WATCH_SWITCHES.includes(flag)) watch[flag.slice(2)] = true;
    else if (flag.startsWith("--")) throw new UsageError(`\`${flag}\` is not an option`);
    else positional.push(arg);
  }
  const [command, ...rest] = positional;
  if (command === undefined) throw new UsageError("no command given");
  if (!(command in ARITY)) throw new UsageError(`\`${command}\` is not a command; use one of ${Object.keys(ARITY).join(", ")}`);
  const arity = ARITY[command];
  const [least, most] = typeof arity === "number" ? [arity, arity] : arity;
  if (rest.length < least || rest.length > most) {
    throw new UsageError(`\`${command}\` takes ${least === most ? least : `at least ${least}`} argument(s): ${SYNOPSIS[command]}`);
  }
  if (stack === undefined) throw new UsageError(`\`--stack\` is required: name the stack, such as \`--stack staging\``);
  if (apply && command !== "rollback") throw new UsageError("`--apply` goes with `rollback` only; a promotion goes through the full `pulumi up`, which runs the gates");
  if (Object.keys(watch).length > 0 && command !== "watch") throw new UsageError(`\`--${Object.keys(watch)[0]}\` goes with \`watch\` only`);
  if (apply && dryRun) throw new UsageError("`--apply` and `--dry-run` exclude each other");
  return { command, positional: rest, stack, file, dryRun, apply, watch };
}

function parseColor(value: string): Color {
  if ((COLORS as readonly string[]).includes(value)) return value as Color;
  throw new UsageError(`\`${value}\` is not a color; use \`blue\` or \`green\``);
}

interface Loaded {
  readonly file: string;
  readonly fileName: string;
  readonly projectText: string;
  readonly doc: StackDocument;
}

function load(args: Args, io: Io): Loaded {
  const file = path.resolve(io.cwd, args.file ?? `Pulumi.${args.stack}.yaml`);
  const fileName = path.basename(file);
  if (!fs.existsSync(file)) {
    throw new UsageError(`${fileName} not found in ${path.dirname(file)}: run from the project directory or pass \`--file <path>\``);
  }
  const projectFile = path.join(path.dirname(file), "Pulumi.yaml");
  if (!fs.existsSync(projectFile)) throw new UsageError(`Pulumi.yaml not found next to ${fileName}, in ${path.dirname(file)}`);
  const projectText = fs.readFileSync(projectFile, "utf8");
  const doc = new StackDocument(fs.readFileSync(file, "utf8"), projectName(projectText), fileName);
  return { file, fileName, projectText, doc };
}

/** The config `pulumi up` would read from this document, checked with config.ts's rules. */
function check(loaded: Loaded, doc: StackDocument) {
  return validateStackConfig(withoutSecrets(mergeStackConfig(loaded.projectText, doc.text), SECRET_CONFIG_KEYS));
}

function releaseState(loaded: Loaded, stack: string): ReleaseState | string[] {
  const raw = withoutSecrets(mergeStackConfig(loaded.projectText, loaded.doc.text), SECRET_CONFIG_KEYS);
  const parsed = stackConfigSchema.safeParse(raw);
  if (parsed.success) {
    const { app, activeColor, colors } = parsed.data;
    return { stack, app, activeColor, colors, services: servicesOf(parsed.data) };
  }
  const result = validateStackConfig(raw);
  return result.ok ? [] : result.problems;
}

/** The release state of the stack file as last committed, when there is one and it parses. */
function committedState(loaded: Loaded, stack: string): ReleaseState | undefined {
  const text = committedText(loaded.file);
  if (text === undefined) return undefined;
  try {
    const state = releaseState({ ...loaded, doc: new StackDocument(text, loaded.doc.project, loaded.fileName) }, stack);
    return Array.isArray(state) ? undefined : state;
  } catch {
    return undefined;
  }
}

function refuse(io: Io, paint: Paint, command: string, heading: string, problems: readonly string[]): number {
  io.err(paint.red(`release ${command}: refused: ${heading}`));
  for (const problem of problems) io.err(`  - ${problem}`);
  return REFUSED;
}

function apply(args: Args, loaded: Loaded, plan: Plan, io: Io, paint: Paint, applying = false): number {
  if (plan.kind === "refused") return refuse(io, paint, args.command, "nothing was written", plan.problems);
  if (plan.kind === "unchanged") {
    io.out(plan.reason);
    return DONE;
  }
  let doc = loaded.doc;
  for (const edit of plan.edits) doc = doc.set(edit.path, edit.value);
  const result = check(loaded, doc);
  if (!result.ok) {
    return refuse(io, paint, args.command, `the edited ${loaded.fileName} would fail \`pulumi up\`; nothing was written`, result.problems);
  }
  for (const line of diffLines(loaded.fileName, loaded.doc.text, doc.text, paint)) io.out(line);
  if (plan.notes.length > 0) io.out("");
  for (const note of plan.notes) io.out(note);
  if (args.dryRun) {
    io.out(paint.yellow(`Dry run: ${loaded.fileName} was not written.`));
  } else {
    const temporary = `${loaded.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, doc.text);
    fs.renameSync(temporary, loaded.file);
  }
  io.out("");
  if (applying) return DONE;
  io.out(paint.bold("Next: review the diff, then commit and apply:"));
  io.out(`  git commit -am ${JSON.stringify(plan.commitMessage)}`);
  io.out(`  pulumi up -s ${args.stack}`);
  return DONE;
}

/**
 * `rollback --apply`: check every service's gate in the cluster, write the edit, switch only the
 * live Services (one targeted `pulumi up`). Runs through the stack's switch record: one switch of
 * a checkout at a time, and a run after an interrupted one finishes it (switchSession.ts).
 */
async function rollbackNow(args: Args, loaded: Loaded, state: ReleaseState, io: Io, paint: Paint, started: number): Promise<number> {
  const rerun = `npm run release -- rollback --apply --stack ${args.stack}`;
  const fileColor = () => {
    const now = releaseState(load(args, io), args.stack);
    return Array.isArray(now) ? state.activeColor : now.activeColor;
  };
  const opened = await openSwitch({ stackFile: loaded.file, stack: args.stack, fileColor: state.activeColor, currentFileColor: fileColor, rerun, say: io.out, waitMs: SWITCH_WAIT_MS });
  if (opened.kind === "settled") {
    (opened.code === 0 ? io.out : io.err)(opened.code === 0 ? opened.line : paint.red(opened.line));
    return opened.code === 0 ? DONE : REFUSED;
  }
  if (opened.kind === "finish") io.out(opened.line);
  let code: number;
  try {
    code = await switchNow(args, opened.kind === "finish" ? load(args, io) : loaded, io, paint, started, opened.session, rerun);
  } catch (error) {
    opened.session.abandon();
    throw error;
  }
  if (code === DONE) opened.session.close();
  else opened.session.abandon();
  return code;
}

async function switchNow(args: Args, loaded: Loaded, io: Io, paint: Paint, started: number, session: SwitchSession, rerun: string): Promise<number> {
  const state = releaseState(loaded, args.stack);
  if (Array.isArray(state)) return refuse(io, paint, args.command, `${loaded.fileName} has config problems; fix them first`, state);
  // Finishing an earlier switch: the stack file already says where traffic goes.
  const finishing = state.activeColor === session.to;
  const plan = flip(finishing ? { ...state, activeColor: otherColor(session.to) } : state, "rollback");
  if (plan.kind !== "edit") return apply(args, loaded, plan, io, paint);
  const current = check(loaded, loaded.doc);
  if (!current.ok) return refuse(io, paint, args.command, `${loaded.fileName} has config problems; fix them first`, current.problems);
  const target = switchTarget(current.config, args.stack, loaded.doc.project, session.to);
  const problems = await gateProblems(target);
  if (problems.length > 0) return refuse(io, paint, args.command, finishing ? "nothing was applied" : "nothing was written or applied", problems);
  if (finishing && !session.recovering && (await alreadySwitched(target))) {
    io.out(paint.green(`Traffic is on ${target.color}: the other run switched it; nothing left to do.`));
    return DONE;
  }
  if (!finishing) {
    session.willWriteFile();
    const written = apply(args, loaded, plan, io, paint, true);
    if (written !== DONE) return written;
  }
  const services = target.services.length === 1 ? "the live Service" : `the live Services ${target.services.map((s) => s.liveServiceName).join(", ")}`;
  io.out(`Switching ${services} to ${target.color} (${targetedUpCommand(target)})...`);
  const result = await switchLiveServices(target, path.dirname(loaded.file), started, { recovering: session.recovering, say: io.out, rerun });
  io.out(paint.green(switchedLine(target, result)));
  io.out(paint.bold("Next: commit the stack file, so git and the cluster agree:"));
  io.out(`  git commit -am ${JSON.stringify(plan.commitMessage)} && git push`);
  return DONE;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const paint = paintFor(io.isTTY, io.env);
  if (argv.includes("--help") || argv.includes("-h")) {
    for (const line of USAGE) io.out(line);
    return DONE;
  }
  let args: Args;
  try {
    args = parseArgs(argv);
    const loaded = load(args, io);
    const state = releaseState(loaded, args.stack);
    if (Array.isArray(state)) {
      return refuse(io, paint, args.command, `${loaded.fileName} has config problems; fix them first`, state);
    }
    switch (args.command) {
      case "status": {
        for (const line of statusLines(state, loaded.fileName, paint)) io.out(line);
        const result = check(loaded, loaded.doc);
        if (!result.ok) return refuse(io, paint, args.command, `${loaded.fileName} would fail \`pulumi up\``, result.problems);
        return DONE;
      }
      case "promote":
      case "rollback": {
        const mixed = switchProblems(committedState(loaded, args.stack), state);
        if (mixed.length > 0) return refuse(io, paint, args.command, "nothing was written", mixed);
        break;
      }
      case "retire": {
        const mixed = retireProblems(committedState(loaded, args.stack), state, parseColor(args.positional[0]));
        if (mixed.length > 0) return refuse(io, paint, args.command, "nothing was written", mixed);
        break;
      }
    }
    switch (args.command) {
      case "promote":
        return apply(args, loaded, flip(state, "promote"), io, paint);
      case "rollback":
        return args.apply ? await rollbackNow(args, loaded, state, io, paint, io.startedAt ?? Date.now()) : apply(args, loaded, flip(state, "rollback"), io, paint);
      case "watch":
        // Loaded only here: the watch's AWS SDK would slow every other command's start.
        return await (await import("./watch")).runWatch(args.stack, args.watch, loaded.file, io, paint, {
          rollback: async () => {
            const reloaded = load(args, io);
            const now = releaseState(reloaded, args.stack);
            if (Array.isArray(now)) return refuse(io, paint, "rollback", `${reloaded.fileName} has config problems; fix them first`, now);
            return rollbackNow({ ...args, command: "rollback", apply: true }, reloaded, now, io, paint, Date.now());
          },
        });
      case "stage": {
        const color = parseColor(args.positional[0]);
        const given = stageImages(state, color, args.positional.slice(1));
        if ("problem" in given) throw new UsageError(given.problem);
        return apply(args, loaded, stage(state, color, given.images), io, paint);
      }
      case "retire":
        return apply(args, loaded, retire(state, parseColor(args.positional[0])), io, paint);
    }
    throw new UsageError(`\`${args.command}\` is not a command`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(paint.red(`release: ${error.message}`));
      io.err(USAGE[0]);
      return USAGE_ERROR;
    }
    if (error instanceof StackDocumentError || error instanceof DeployedStackError || error instanceof SwitchRefused) {
      io.err(paint.red(`release: ${error.message}`));
      return REFUSED;
    }
    throw error;
  }
}

if (require.main === module) {
  run(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
    startedAt: Math.round(performance.timeOrigin),
  }).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`release: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
