/**
 * Whether a Deployment's rollout is done, by `kubectl rollout status`'s rule: the controller saw
 * the current spec, every replica is on the current template, no old replica is left, and every
 * updated one is available. Counting available replicas alone would call a rollout done while its
 * old Pod still serves and the new one never gets ready.
 */
export function rolloutDone(deployment: any): boolean {
  const status = deployment?.status ?? {};
  const wanted: number = deployment?.spec?.replicas ?? 1;
  const updated: number = status.updatedReplicas ?? 0;
  return (
    (status.observedGeneration ?? 0) >= (deployment?.metadata?.generation ?? 0) &&
    updated >= wanted &&
    (status.replicas ?? 0) <= updated &&
    (status.availableReplicas ?? 0) >= updated
  );
}
