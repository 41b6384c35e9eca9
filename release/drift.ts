/**
 * The deploy's drift check: before `pulumi up` applies a commit, the live color in the cluster must
 * be one git put there — the color of the commit the last deploy applied (`since`), or the color of
 * the commit about to be applied. Anything else means someone switched outside git (a
 * `rollback --apply` not yet pushed), and applying the commit would switch traffic straight back.
 */
import { Traffic } from "../domain/names";
import { ReleaseRecord } from "./switchRecords";
import { switchedBy } from "./statusReport";

export interface DriftFacts {
  readonly stack: string;
  readonly stackFile: string;
  /** What the live Services select: one color, `split` when they disagree, null when there are none yet. */
  readonly clusterLive: string | null;
  /** Per live Service, what it selects (for the split message). */
  readonly selections: readonly { readonly liveService: string; readonly selects: string | null }[];
  /** The live color at `since` (undefined when the file did not exist there). */
  readonly before?: Traffic;
  readonly sinceRef: string;
  /** The live color in the commit about to be applied. */
  readonly head: Traffic;
  readonly headRef: string;
  readonly lastRecord: ReleaseRecord | null;
}

/** Why the deploy must not run, in one line; undefined when the cluster is where git left it. */
export function driftRefusal(facts: DriftFacts): string | undefined {
  const { clusterLive, before, head, stack, stackFile } = facts;
  if (clusterLive === "split") {
    const each = facts.selections.map((s) => `\`${s.liveService}\` selects ${s.selects ?? "nothing"}`).join(", ");
    return `the live Services disagree (${each}): a switch did not finish; finish it with \`npx bluegreen rollback -s ${stack} --apply\` or \`pulumi up -s ${stack}\` by hand, then rerun the deploy`;
  }
  if (clusterLive === null || clusterLive === head || clusterLive === before) return undefined;
  return (
    `the cluster serves \`${clusterLive}\`${switchedBy(facts.lastRecord, clusterLive)}, but git said \`${before ?? "nothing"}\` at ${facts.sinceRef} ` +
    `and says \`${head}\` at ${facts.headRef}: this deploy would switch traffic back to \`${head}\`. Make git true first: ` +
    `commit \`activeColor: ${clusterLive}\` to ${stackFile} (\`npx bluegreen rollback -s ${stack}\` writes it) and push; the deploy of that commit switches nothing`
  );
}
