/**
 * `report-failure`: after a failed `pulumi up`, one `releaseFailed` notice per Job or Deployment
 * of the app that failed (what the cluster says and why), or one for the update itself when the
 * cluster shows nothing failed (a refused config, a policy, an engine error). The deploy workflow
 * runs it when `pulumi up` fails; an engineer can run it after a failed update from a laptop.
 */
import * as path from "node:path";
import { qualifiedName } from "../domain/names";
import { Args, EXIT } from "./args";
import { announce, AnnounceIo } from "./announce";
import { readFailedWorkloads, FailedWorkload } from "./failedWorkloads";
import { check, Loaded } from "./loadedStack";
import { readNoticeRoute } from "./noticeRoute";
import { Paint } from "./paint";
import { withProgress } from "./progress";
import { headCommit, whoAmI } from "./switchRecords";
import { ReleaseState } from "./transitions";

export async function reportFailure(args: Args, loaded: Loaded, state: ReleaseState, io: AnnounceIo, paint: Paint, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const workDir = path.dirname(loaded.file);
  const validated = check(loaded);
  const namespace = validated.ok ? validated.config.namespace : "default";
  const apps = [...new Set([state.app, ...state.services.map((s) => qualifiedName(state.app, s.service))])];
  const since = new Date(Date.now() - args.withinMinutes * 60_000);
  const [failed, route] = await withProgress(
    io.err,
    "the cluster (kubectl) and the stack's notify config (pulumi)",
    Promise.all([readFailedWorkloads(namespace, apps, since).catch((error: Error) => error), readNoticeRoute(args.stack, loaded.doc.project, workDir)]),
  );
  const told = { stack: args.stack, app: state.app, who: env.GITHUB_ACTOR || whoAmI(workDir), commit: env.GITHUB_SHA || headCommit(workDir) };
  const facts = failureFacts(failed, args.reason).map((f) => ({ kind: "releaseFailed" as const, ...told, ...f }));
  for (const f of facts) io.out(paint.red(`Failed: ${f.workload ? `${f.workload.kind} ${f.workload.name}: ` : ""}${f.reason}`));
  if (route === undefined) {
    io.out(`\`notify\` is not set for ${args.stack}: no notice sent.`);
    return EXIT.DONE;
  }
  const results = await Promise.all(facts.map((f) => announce(f, route, io, paint)));
  return results.includes("failed") ? EXIT.REFUSED : EXIT.DONE;
}

/** One notice's facts per failure found, or one for the update when the cluster shows none (or cannot be read). */
export function failureFacts(failed: readonly FailedWorkload[] | Error, reason: string | undefined): { workload?: { kind: "Job" | "Deployment"; name: string }; reason: string }[] {
  if (failed instanceof Error) {
    return [{ reason: `${reason ?? "`pulumi up` failed"} (the cluster could not be read: ${failed.message})` }];
  }
  if (failed.length === 0) {
    return [{ reason: reason ?? "`pulumi up` failed, and no Job or Deployment of the app failed in the cluster (a config, policy or engine error): see the update's log" }];
  }
  return failed.map((f) => ({ workload: { kind: f.kind, name: f.name }, reason: f.reason }));
}
