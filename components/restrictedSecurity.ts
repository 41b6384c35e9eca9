/**
 * The restricted security settings every Pod of the program runs with (the app's colors and all
 * Jobs): Kubernetes' "restricted" Pod Security Standard plus a read-only root filesystem.
 * Containers that need to write get an emptyDir (mounted at /tmp).
 */

/** UID and GID the containers run as; any non-root UID satisfies `runAsNonRoot`. */
export const NON_ROOT_UID = 10001;

export const restrictedPodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: NON_ROOT_UID,
  runAsGroup: NON_ROOT_UID,
  fsGroup: NON_ROOT_UID,
  seccompProfile: { type: "RuntimeDefault" },
};

export const restrictedContainerSecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};
