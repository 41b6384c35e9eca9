/**
 * `@pulumi/aws`, loaded when the first AWS resource is declared. Loading it takes ~0.4 s of every
 * program run; a stack without alarms or backups never pays it, nor does a rollback's targeted
 * `pulumi up` of such a stack. Components import its types with `import type` and call this.
 */
import type * as Aws from "@pulumi/aws";

let sdk: typeof Aws | undefined;

export function awsSdk(): typeof Aws {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (sdk ??= require("@pulumi/aws") as typeof Aws);
}
