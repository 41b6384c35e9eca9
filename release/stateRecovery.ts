/**
 * Makes the stack's state agree with the cluster about the live Services before a switch that
 * follows an interrupted one. A `pulumi up` killed between its patch of a Service and its write of
 * the result leaves the state saying the old selector (and a pending `updating` operation) while
 * the cluster has the new one. The engine diffs against the state, not the cluster: a later switch
 * back to the color the state still names is then a no-op that leaves traffic where it is (seen on
 * the real engine). `pulumi refresh --target <live Service URN>...` reads those Services from the
 * cluster (~1 s, the program does not run) and clears their pending operations; nothing else of the
 * stack is touched. Pending operations on other resources are named, with the command that
 * resolves them: the switch's own update makes the engine drop the unfinished updates and deletes
 * from the state (it keeps pending creates), so a full refresh afterwards reads those resources.
 */
import { runPulumi } from "./pulumiCli";
import { runStackUpdate, UpdateContext } from "./stackUpdate";

/** An operation the state records as started and never finished. */
export interface PendingOperation {
  readonly urn: string;
  /** `creating`, `updating`, `deleting`, `reading`. */
  readonly type: string;
}

/** The pending operations of a `pulumi stack export` document. */
export function pendingOperationsOf(exported: unknown): PendingOperation[] {
  const ops = (exported as { deployment?: { pending_operations?: unknown } } | undefined)?.deployment?.pending_operations;
  if (!Array.isArray(ops)) return [];
  return ops
    .map((op) => ({ urn: op?.resource?.urn, type: op?.type }))
    .filter((op): op is PendingOperation => typeof op.urn === "string" && typeof op.type === "string");
}

/** The stack's pending operations; undefined when the state cannot be exported (the refresh says why). */
export async function pendingOperations(stack: string, workDir: string, timeoutMs: number): Promise<PendingOperation[] | undefined> {
  const run = await runPulumi(["stack", "export", "--stack", stack], workDir, timeoutMs);
  if (run.code !== 0) return undefined;
  try {
    return pendingOperationsOf(JSON.parse(run.output.slice(run.output.indexOf("{"))));
  } catch {
    return undefined;
  }
}

/** The `pulumi` arguments of the refresh of the live Services only. */
export function targetedRefreshArgs(stack: string, urns: readonly string[]): string[] {
  return ["refresh", "--stack", stack, ...urns.flatMap((urn) => ["--target", urn]), "--yes", "--skip-preview", "--non-interactive", "--suppress-progress", "--color", "never"];
}

/** `Deployment web-green: updating` */
export function describePending(op: PendingOperation): string {
  const parts = op.urn.split("::");
  const type = (parts[parts.length - 2] ?? "").split("$").pop()?.split(":").pop();
  return `${type} ${parts[parts.length - 1]}: ${op.type}`;
}

/**
 * Refreshes the live Services from the cluster, saying why, and names any pending operation of
 * another resource (the switch leaves those alone) with the command that resolves it.
 */
export async function refreshLiveServices(urns: readonly string[], why: string, ctx: UpdateContext): Promise<void> {
  const pending = await pendingOperations(ctx.stack, ctx.workDir, ctx.timeoutMs);
  const live = new Set(urns);
  const onLive = (pending ?? []).filter((op) => live.has(op.urn));
  const others = (pending ?? []).filter((op) => !live.has(op.urn));
  const interrupted = onLive.length > 0 ? ` (the state holds ${onLive.length} unfinished update(s) of them)` : "";
  ctx.say(`${why}: reading the live Services from the cluster into the state first${interrupted} (\`pulumi refresh --target\`)...`);
  await runStackUpdate(targetedRefreshArgs(ctx.stack, urns), ctx);
  if (others.length > 0) {
    const creates = others.some((op) => op.type === "creating");
    ctx.say(
      `Note: the state also holds ${others.length} unfinished operation(s) of an interrupted \`pulumi up\` on other resources (${others.map(describePending).join(", ")}); the switch does not touch them, but the engine forgets unfinished updates at its next write: after the switch, run \`pulumi refresh -s ${ctx.stack}${creates ? "` interactively (it asks what to do with each pending create)" : " --yes`"} so the state matches the cluster.`,
    );
  }
}
