#!/usr/bin/env node
/**
 * The release CLI for on-call engineers: `npx bluegreen <command> -s <stack>` (built once, at
 * install, into dist/release/cli.js). `status`, `history` and `check-drift` read the cluster, the
 * Pulumi state and git; the edit commands change Pulumi.<stack>.yaml (comments and layout kept),
 * check the result with the same rules as `pulumi up`, print the diff and the exact commands to
 * commit and apply. Only `rollback --apply` (one targeted `pulumi up` of every live Service of the
 * app) and `watch` run pulumi.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Color, COLORS, otherColor } from "../config";
import { Args, EXIT, parseCommandLine, USAGE_LINE, UsageError } from "./args";
import { deploymentProblem, readWorkloads, useKubeContext } from "./cluster";
import { maintenanceCommitProblems, maintenanceTarget, maintenanceToggle, rollbackInMaintenanceProblem } from "./maintenance";
import { MAINTENANCE } from "../domain/names";
import { DeployedStackError } from "./deployedStack";
import { diffLines } from "./diff";
import { checkDriftCommand, historyCommand, promoteDrift, statusCommand } from "./inspect";
import { check, kubeContextOf, load, Loaded, releaseState, stateAt } from "./loadedStack";
import { Paint, paintFor } from "./paint";
import { withProgress } from "./progress";
import { announce } from "./announce";
import { readNoticeRoute } from "./noticeRoute";
import { reportFailure } from "./reportFailure";
import { retireProblems, switchProblems } from "./sameCommit";
import { StackDocumentError } from "./stackDocument";
import { headCommit, recordWarning, SwitchHow, whoAmI, writeRecord } from "./switchRecords";
import { switchTarget, SwitchTarget } from "./switchTarget";
import { alreadySwitched, gateProblems, switchedLine, switchLiveServices, SwitchRefused, targetedUpCommand } from "./targetedSwitch";
import { flip, Plan, ReleaseState, retire, stage, stageImages } from "./transitions";
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

const { DONE, REFUSED, USAGE: USAGE_ERROR } = EXIT;
/** How long `rollback --apply` waits for another switch of the same checkout to end. */
const SWITCH_WAIT_MS = 180_000;

function parseColor(value: string): Color {
  if ((COLORS as readonly string[]).includes(value)) return value as Color;
  throw new UsageError(`\`${value}\` is not a color; use \`blue\` or \`green\``);
}

/** The namespace the stack deploys to (its records live there too). */
function namespaceOf(loaded: Loaded): string {
  const result = check(loaded);
  return result.ok ? result.config.namespace : "default";
}

function refuse(io: Io, paint: Paint, command: string, heading: string, problems: readonly string[]): number {
  io.err(paint.red(`bluegreen ${command}: refused: ${heading}`));
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
 * live Services (one targeted `pulumi up`), and record the switch in the cluster. Runs through the
 * stack's switch session: one switch of a checkout at a time, and a run after an interrupted one
 * finishes it (switchSession.ts).
 */
async function rollbackNow(args: Args, loaded: Loaded, state: ReleaseState, io: Io, paint: Paint, started: number, how: SwitchHow = "rollback --apply"): Promise<number> {
  const inMaintenance = rollbackInMaintenanceProblem(state);
  if (inMaintenance) return refuse(io, paint, args.command, "nothing was written or applied", [inMaintenance]);
  const rerun = `npx bluegreen rollback -s ${args.stack} --apply`;
  const fileColor = () => {
    const now = releaseState(load(args.stack, args.file, io.cwd), args.stack);
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
    code = await switchNow(args, opened.kind === "finish" ? load(args.stack, args.file, io.cwd) : loaded, io, paint, started, opened.session, rerun, how);
  } catch (error) {
    opened.session.abandon();
    throw error;
  }
  if (code === DONE) opened.session.close();
  else opened.session.abandon();
  return code;
}

async function switchNow(args: Args, loaded: Loaded, io: Io, paint: Paint, started: number, session: SwitchSession, rerun: string, how: SwitchHow): Promise<number> {
  const state = releaseState(loaded, args.stack);
  if (Array.isArray(state)) return refuse(io, paint, args.command, `${loaded.fileName} has config problems; fix them first`, state);
  // Finishing an earlier switch: the stack file already says where traffic goes.
  const finishing = state.activeColor === session.to;
  const from = finishing ? otherColor(session.to) : state.activeColor;
  const plan = flip(finishing ? { ...state, activeColor: from } : state, "rollback");
  if (plan.kind !== "edit") return apply(args, loaded, plan, io, paint);
  const current = check(loaded, loaded.doc);
  if (!current.ok) return refuse(io, paint, args.command, `${loaded.fileName} has config problems; fix them first`, current.problems);
  const target = switchTarget(current.config, args.stack, loaded.doc.project, session.to);
  const problems = await withProgress(io.err, `the gate read of ${target.color} (kubectl)`, gateProblems(target));
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
  const workDir = path.dirname(loaded.file);
  announceAs(how === "watch rollback" ? "watch" : "rollback --apply", workDir);
  const result = await withProgress(io.err, `\`pulumi up\` to patch ${services}`, switchLiveServices(target, workDir, started, { recovering: session.recovering, say: io.out, rerun }));
  io.out(paint.green(switchedLine(target, result)));
  const images = Object.fromEntries(target.services.map((s) => [s.service, s.image]));
  const recorded = await writeRecord(target.namespace, state.app, {
    kind: "switch",
    at: new Date(started + Math.max(...result.flippedAfterMs.values())).toISOString(),
    stack: args.stack,
    from,
    to: target.color,
    images,
    how,
    who: whoAmI(workDir),
    commit: headCommit(workDir),
  });
  if (recorded) io.err(paint.yellow(recordWarning("The switch is done", recorded) + (recorded.written ? "" : "; `npx bluegreen history` will show it from Pulumi's history only.")));
  io.out(paint.bold("Next: commit the stack file, so git and the cluster agree:"));
  io.out(`  git commit -am ${JSON.stringify(plan.commitMessage)} && git push`);
  return DONE;
}

/**
 * Tells the program who applies this targeted update and how (config/load.ts `switchRun`), for the
 * switch notice: the `pulumi` child inherits these.
 */
function announceAs(how: "rollback --apply" | "watch" | "maintenance", workDir: string): void {
  process.env.BLUEGREEN_SWITCH_HOW = how;
  process.env.BLUEGREEN_SWITCH_WHO = whoAmI(workDir);
  const commit = headCommit(workDir);
  if (commit) process.env.BLUEGREEN_SWITCH_COMMIT = commit;
}

/**
 * `maintenance on|off`: the edit, refused in one commit with a promotion; with `--apply`, the page
 * (on) or the live color (off) checked in the cluster, then the same targeted `pulumi up` of every
 * live Service as a rollback, and the switch recorded.
 */
async function maintenanceNow(args: Args, loaded: Loaded, state: ReleaseState, io: Io, paint: Paint, started: number): Promise<number> {
  const word = args.positional[0];
  if (word !== "on" && word !== "off") throw new UsageError(`\`${word}\` is not \`on\` or \`off\`: maintenance on -s ${args.stack}, or maintenance off -s ${args.stack}`);
  const on = word === "on";
  const plan = maintenanceToggle(state, on);
  if (plan.kind === "edit") {
    const mixed = maintenanceCommitProblems(stateAt(loaded, args.stack), { ...state, maintenance: { enabled: on } });
    if (mixed.length > 0) return refuse(io, paint, args.command, "nothing was written", mixed);
  }
  if (!args.apply || plan.kind !== "edit") return apply(args, loaded, plan, io, paint);
  const current = check(loaded);
  if (!current.ok) return refuse(io, paint, args.command, `${loaded.fileName} has config problems; fix them first`, current.problems);
  const page = maintenanceTarget(current.config, args.stack, loaded.doc.project, on);
  // Off: the live color's gates, as for a rollback to it; on: the page's Deployment.
  const back = switchTarget(current.config, args.stack, loaded.doc.project, state.activeColor);
  const target: SwitchTarget = on ? { ...back, color: MAINTENANCE } : back;
  let problems: string[];
  if (on) {
    const workloads = await withProgress(io.err, "the maintenance page's Deployment (kubectl)", readWorkloads(page.namespace, [state.app]).catch((error: Error) => error));
    const problem = workloads instanceof Error ? `cannot read the maintenance page's Deployment: ${workloads.message}` : deploymentProblem(workloads, page.page.deploymentName, page.page.image);
    problems = problem ? [`${problem}, so the maintenance page cannot take traffic now; \`pulumi up -s ${args.stack}\` starts it`] : [];
  } else {
    problems = await withProgress(io.err, `the gate read of ${state.activeColor} (kubectl)`, gateProblems(back));
  }
  if (problems.length > 0) return refuse(io, paint, args.command, "nothing was written or applied", problems);
  const written = apply(args, loaded, plan, io, paint, true);
  if (written !== DONE) return written;
  const workDir = path.dirname(loaded.file);
  announceAs("maintenance", workDir);
  io.out(`Switching every live Service to ${on ? "the maintenance page" : state.activeColor} (${targetedUpCommand(target)})...`);
  const result = await withProgress(io.err, "`pulumi up` to patch the live Services", switchLiveServices(target, workDir, started));
  io.out(paint.green(switchedLine(target, result)));
  const recorded = await writeRecord(target.namespace, state.app, {
    kind: "switch",
    at: new Date(started + Math.max(...result.flippedAfterMs.values())).toISOString(),
    stack: args.stack,
    from: on ? state.activeColor : MAINTENANCE,
    to: target.color,
    images: on ? {} : Object.fromEntries(back.services.map((s) => [s.service, s.image])),
    how: "maintenance",
    who: whoAmI(workDir),
    commit: headCommit(workDir),
  });
  if (recorded) io.err(paint.yellow(recordWarning("The switch is done", recorded) + (recorded.written ? "" : ".")));
  io.out(paint.bold("Next: commit the stack file, so git and the cluster agree:"));
  io.out(`  git commit -am ${JSON.stringify(plan.commitMessage)} && git push`);
  return DONE;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const paint = paintFor(io.isTTY, io.env);
  try {
    const request = parseCommandLine(argv);
    if ("help" in request) {
      for (const line of request.help) io.out(line);
      return DONE;
    }
    const args = request.args;
    const loaded = load(args.stack, args.file, io.cwd);
    useKubeContext(kubeContextOf(loaded));
    const state = releaseState(loaded, args.stack);
    if (Array.isArray(state)) {
      return refuse(io, paint, args.command, `${loaded.fileName} has config problems; fix them first`, state);
    }
    switch (args.command) {
      case "status": {
        const code = await statusCommand(args, loaded, state, io, paint);
        const result = check(loaded);
        if (!result.ok) return refuse(io, paint, args.command, `${loaded.fileName} would fail \`pulumi up\``, result.problems);
        return code;
      }
      case "history":
        return await historyCommand(args, loaded, state, io);
      case "check-drift":
        return await checkDriftCommand(args, loaded, state, io, paint);
      case "promote":
      case "rollback": {
        const committed = stateAt(loaded, args.stack);
        const mixed = [...switchProblems(committed, state), ...maintenanceCommitProblems(committed, { ...state, activeColor: otherColor(state.activeColor) })];
        if (mixed.length > 0) return refuse(io, paint, args.command, "nothing was written", mixed);
        break;
      }
      case "maintenance":
        return await maintenanceNow(args, loaded, state, io, paint, io.startedAt ?? Date.now());
      case "retire": {
        const mixed = retireProblems(stateAt(loaded, args.stack), state, parseColor(args.positional[0]));
        if (mixed.length > 0) return refuse(io, paint, args.command, "nothing was written", mixed);
        break;
      }
    }
    switch (args.command) {
      case "promote": {
        const plan = flip(state, "promote");
        // Only an edit that would be written is compared with the cluster.
        if (plan.kind === "edit") {
          const drift = await promoteDrift(loaded, state, io, paint);
          if (drift !== undefined) return drift;
        }
        return apply(args, loaded, plan, io, paint);
      }
      case "rollback":
        return args.apply ? await rollbackNow(args, loaded, state, io, paint, io.startedAt ?? Date.now()) : apply(args, loaded, flip(state, "rollback"), io, paint);
      case "watch":
        // Loaded only here: the watch's AWS SDK would slow every other command's start.
        return await (await import("./watch")).runWatch(args.stack, state.app, args.watch, loaded.file, io, paint, {
          rollback: async () => {
            const reloaded = load(args.stack, args.file, io.cwd);
            const now = releaseState(reloaded, args.stack);
            if (Array.isArray(now)) return refuse(io, paint, "rollback", `${reloaded.fileName} has config problems; fix them first`, now);
            return rollbackNow({ ...args, command: "rollback", apply: true }, reloaded, now, io, paint, Date.now(), "watch rollback");
          },
          record: async (record) => {
            const problem = await writeRecord(namespaceOf(loaded), state.app, record);
            return problem && recordWarning(`Watch ${record.state}`, problem);
          },
          announce: async (facts) => announce(facts, await readNoticeRoute(args.stack, loaded.doc.project, path.dirname(loaded.file)), io, paint),
        });
      case "report-failure":
        return await reportFailure(args, loaded, state, io, paint, io.env);
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
      io.err(paint.red(`bluegreen: ${error.message}`));
      io.err(USAGE_LINE);
      return USAGE_ERROR;
    }
    if (error instanceof StackDocumentError || error instanceof DeployedStackError || error instanceof SwitchRefused) {
      io.err(paint.red(`bluegreen: ${error.message}`));
      return REFUSED;
    }
    throw error;
  }
}

if (require.main === module) {
  // `bluegreen history | head`: the reader left; stop quietly instead of a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }
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
      process.stderr.write(`bluegreen: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
