/**
 * The commands that read before anyone acts: `status`, `history` and `check-drift` (and the drift
 * check `promote` runs first). They read the cluster, the Pulumi state and git at once, each read
 * bounded, and say what they could not read instead of failing.
 */
import * as path from "node:path";
import { Color, COLORS, servicesOf } from "../config";
import { liveServiceUrn, maintenanceNames, objectNames, qualifiedName } from "../domain/names";
import { Args, EXIT } from "./args";
import { AppObjects, readApp } from "./cluster";
import { driftRefusal } from "./drift";
import { buildHistory, historyLines, readColorCommits } from "./history";
import { check, Loaded, stateAt } from "./loadedStack";
import { Paint } from "./paint";
import { readUpdateHistory } from "./pulumiState";
import { statusReportLines } from "./status";
import { hasDrift, readStatusSources, StatusInput, statusReport, trafficOfState } from "./statusReport";
import { headCommit, recordsOf } from "./switchRecords";
import { switchTarget, SwitchTarget } from "./switchTarget";
import { ReleaseState } from "./transitions";
import { mergeStackConfig, withoutSecrets } from "../lib/stackFile";
import { SECRET_CONFIG_KEYS, stackConfigSchema } from "../config";
import { stringify } from "yaml";

export interface Out {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The names status looks for, and where a switch to each color with a release lands. */
export function statusInput(loaded: Loaded, state: ReleaseState): StatusInput {
  const validated = check(loaded);
  const namespace = validated.ok ? validated.config.namespace : String(mergeStackConfig(loaded.projectText, loaded.doc.text).namespace ?? "default");
  const targets: Partial<Record<Color, SwitchTarget>> = {};
  if (validated.ok) {
    for (const color of COLORS) {
      try {
        targets[color] = switchTarget(validated.config, state.stack, loaded.doc.project, color);
      } catch {
        // no release of every service in that color: nothing to switch to
      }
    }
  }
  const names = state.services.map((service) => {
    const qualified = qualifiedName(state.app, service.service);
    return {
      service: service.displayName,
      qualified,
      liveService: objectNames.liveService(qualified),
      urn: liveServiceUrn(state.stack, loaded.doc.project, qualified),
      deployments: { blue: objectNames.deployment(qualified, "blue"), green: objectNames.deployment(qualified, "green") },
    };
  });
  const maintenancePage = state.maintenance ? { deployment: maintenanceNames.deployment(state.app), image: validated.ok ? validated.config.jobsImage : undefined } : undefined;
  const committed = stateAt(loaded, state.stack);
  return {
    state,
    namespace,
    stackFile: loaded.fileName,
    committed,
    head: committed ? headCommit(path.dirname(loaded.file)) : undefined,
    targets,
    names,
    maintenancePage,
    workDir: path.dirname(loaded.file),
  };
}

export async function statusCommand(args: Args, loaded: Loaded, state: ReleaseState, io: Out, paint: Paint): Promise<number> {
  const input = statusInput(loaded, state);
  const report = statusReport(input, await readStatusSources(input));
  if (args.output === "json") {
    io.out(JSON.stringify(report, null, 2));
  } else {
    for (const line of statusReportLines(report, state, paint)) io.out(line);
  }
  return hasDrift(report) ? EXIT.DRIFT : EXIT.DONE;
}

/** The live color of the cluster's live Services: one color, `split`, or null when there are none. */
function clusterLive(objects: AppObjects, input: StatusInput): { live: string | null; selections: { liveService: string; selects: string | null }[] } {
  const selections = input.names.map((n) => ({ liveService: n.liveService, selects: objects.liveServices.get(n.liveService)?.spec?.selector?.color ?? null }));
  const present = selections.filter((s) => s.selects !== null);
  if (present.length === 0) return { live: null, selections };
  const colors = new Set(selections.map((s) => s.selects));
  return { live: colors.size === 1 ? present[0].selects : "split", selections };
}

/**
 * `check-drift`: exit 3 with one line when the cluster serves a color git did not put there, 0 when
 * it is where git left it, 1 when the cluster cannot be read (the deploy would fail anyway).
 */
export async function checkDriftCommand(args: Args, loaded: Loaded, state: ReleaseState, io: Out, paint: Paint): Promise<number> {
  const input = statusInput(loaded, state);
  const apps = [...new Set([state.app, ...input.names.map((n) => n.qualified)])];
  let objects: AppObjects;
  try {
    objects = await readApp(input.namespace, apps);
  } catch (error) {
    io.err(paint.red(`check-drift: cannot read the cluster: ${(error as Error).message}; check the kubeconfig and context, then rerun`));
    return EXIT.REFUSED;
  }
  const since = args.since ?? "HEAD~1";
  const { live, selections } = clusterLive(objects, input);
  const records = recordsOf(objects.records);
  const refusal = driftRefusal({
    stack: state.stack,
    stackFile: loaded.fileName,
    clusterLive: live,
    selections,
    before: ((before) => (before ? trafficOfState(before) : undefined))(stateAt(loaded, state.stack, since)),
    sinceRef: since,
    head: trafficOfState(state),
    headRef: input.head ? input.head.slice(0, 7) : "the working tree",
    lastRecord: [...records].reverse().find((r) => r.kind === "switch") ?? null,
  });
  if (refusal) {
    io.err(paint.red(`check-drift: refused: ${refusal}`));
    return EXIT.DRIFT;
  }
  io.out(`check-drift: the cluster serves ${live ?? "nothing yet"}, where git left it; \`pulumi up -s ${state.stack}\` may go ahead.`);
  return EXIT.DONE;
}

/**
 * `promote`'s first check: the cluster must serve the stack file's live color, or the promotion
 * would be written on top of a switch made outside this file. An unreadable cluster is said, not
 * refused: the promotion is an edit, and `pulumi up` checks again.
 */
export async function promoteDrift(loaded: Loaded, state: ReleaseState, io: Out, paint: Paint): Promise<number | undefined> {
  const input = statusInput(loaded, state);
  let objects: AppObjects;
  try {
    objects = await readApp(input.namespace, [...new Set([state.app, ...input.names.map((n) => n.qualified)])]);
  } catch (error) {
    io.err(paint.yellow(`promote: the cluster was not read (${(error as Error).message}); the live color was not compared with ${loaded.fileName}`));
    return undefined;
  }
  const { live } = clusterLive(objects, input);
  if (live === null || live === trafficOfState(state)) return undefined;
  io.err(
    paint.red(
      `promote: refused: the cluster serves \`${live}\`, but ${loaded.fileName} says \`${trafficOfState(state)}\` is live: traffic was switched outside this file; run \`git pull\` or \`npx bluegreen status -s ${state.stack}\` and make the file agree first; nothing was written`,
    ),
  );
  return EXIT.DRIFT;
}

/** Each service's image in `color` from an update's config (what that update deployed). */
function imagesFrom(loaded: Loaded) {
  return (config: Readonly<Record<string, unknown>>, color: Color): Record<string, string> => {
    try {
      const text = stringify({ config });
      const raw = withoutSecrets(mergeStackConfig(loaded.projectText, text), SECRET_CONFIG_KEYS);
      const parsed = stackConfigSchema.safeParse(raw);
      if (!parsed.success) return {};
      return Object.fromEntries(servicesOf(parsed.data).flatMap((s) => (s.colors[color].image ? [[s.displayName, s.colors[color].image!]] : [])));
    } catch {
      return {};
    }
  };
}

export async function historyCommand(args: Args, loaded: Loaded, state: ReleaseState, io: Out): Promise<number> {
  const input = statusInput(loaded, state);
  const apps = [...new Set([state.app, ...input.names.map((n) => n.qualified)])];
  const [updates, objects, commits] = await Promise.all([
    readUpdateHistory(state.stack, input.workDir).catch((error: Error) => error),
    readApp(input.namespace, apps).catch((error: Error) => error),
    readColorCommits(loaded.file, loaded.doc.project).catch((error: Error) => error),
  ]);
  const history = buildHistory(
    {
      stack: state.stack,
      project: loaded.doc.project,
      updates,
      records: objects instanceof Error ? objects : recordsOf(objects.records),
      commits,
      imagesOf: imagesFrom(loaded),
    },
    args.limit,
  );
  if (args.output === "json") io.out(JSON.stringify(history, null, 2));
  else for (const line of historyLines(history)) io.out(line);
  return EXIT.DONE;
}
