/** Every policy of the pack, in the order they are reported. Tests import this; index.ts serves it. */
import { Policies } from "@pulumi/policy";
import { alarmsHaveActions } from "./alarmsHaveActions";
import { backupBucketHardened } from "./backupBucketHardened";
import { containersNonRootWithLimits } from "./containersNonRootWithLimits";
import { jobsKeepFinished } from "./jobsKeepFinished";
import { liveServiceTargetsReadyColor } from "./liveServiceTargetsReadyColor";
import { maintenanceToggleNotWithPromotion } from "./maintenanceToggleNotWithPromotion";
import { noSecretEnvLiterals } from "./noSecretEnvLiterals";
import { productionImagesPinned } from "./productionImagesPinned";

export const policies: Policies = [
  liveServiceTargetsReadyColor,
  maintenanceToggleNotWithPromotion,
  productionImagesPinned,
  containersNonRootWithLimits,
  noSecretEnvLiterals,
  backupBucketHardened,
  alarmsHaveActions,
  jobsKeepFinished,
];
