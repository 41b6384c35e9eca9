/**
 * The retention of the records the CLI writes in the cluster (switchRecords.ts): after a record is
 * written, the records of the same app and kind beyond the newest RECORDS_KEPT are deleted, so a
 * namespace does not collect one ConfigMap per switch forever.
 *
 * Switch and watch records are kept apart (RECORDS_KEPT of each): a watch writes two records per
 * switch (its start and its verdict), so pruned together, watches would push out the switch records
 * that `status` (the last switch, who made a drift) and `history` (who switched and how) read.
 *
 * Best effort, like the write: a failure is returned, never thrown, and the next write retries.
 */
import { RECORD_LABEL } from "../domain/names";
import { kubectl } from "./cluster";

/**
 * Records kept per app and kind. `history` shows 20 switches by default and `status` only the newest
 * switch and watch; 50 leaves room for `history --limit 50` and months of releases, in about 50 KB.
 */
export const RECORDS_KEPT = 50;

/**
 * Deletions per prune at most: kubectl deletes one object per API request, so the first prune of a
 * namespace with hundreds of older records would take seconds. A backlog drains over the next writes.
 */
export const MOST_DELETED_AT_ONCE = 10;

/** Each of the prune's kubectl calls: shorter than a read's, as the switch it follows is done. */
const PRUNE_TIMEOUT_MS = 5_000;

/**
 * Deletes the oldest records of this app and kind beyond the newest `keep`: one `kubectl get` of
 * their names, then, when there are too many, one `kubectl delete` of the oldest. Resolves with
 * undefined, or with why they were not deleted.
 */
export async function pruneRecords(namespace: string, app: string, kind: string, keep = RECORDS_KEPT): Promise<string | undefined> {
  try {
    const listed = await kubectl(["get", "configmaps", "-n", namespace, "-l", `app=${app},${RECORD_LABEL}=${kind}`, "-o", "name"], undefined, PRUNE_TIMEOUT_MS);
    // Record names sort by time (domain/names.ts switchRecordName); other ConfigMaps are left alone.
    const names = listed
      .split("\n")
      .map((line) => line.trim().replace(/^configmap\//, ""))
      .filter((name) => name.startsWith(`${app}-record-`))
      .sort();
    const oldest = names.slice(0, Math.max(0, names.length - keep)).slice(0, MOST_DELETED_AT_ONCE);
    if (oldest.length === 0) return undefined;
    // --ignore-not-found: two switches pruning at once may both delete the same record.
    await kubectl(["delete", "configmap", "-n", namespace, "--ignore-not-found", "--wait=false", ...oldest], undefined, PRUNE_TIMEOUT_MS);
    return undefined;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `older ${kind} records of ${app} were not deleted (${why}); the next write retries (it needs \`delete\` on ConfigMaps in ${namespace})`;
  }
}
