/**
 * The dynamic resource behind SwitchNotice and StagedNotice, run by the one notice provider, and
 * the warning a component gives when this run's notice was not delivered.
 *
 * A dynamic provider runs in its own process, without the engine connection `pulumi.log` needs, so
 * the warning travels back in the outputs and the component warns with it. Outputs of an unchanged
 * resource are those of an earlier run: a notice made before this program started is not warned
 * about again.
 */
import * as pulumi from "@pulumi/pulumi";
import { noticeProvider } from "./noticeProvider";

/** When this program started: notices made earlier are an earlier run's. */
const PROGRAM_STARTED_MS = Date.now();

export type ResourceInputs<T> = { readonly [K in keyof T]: pulumi.Input<T[K]> };

export class NoticeResource<Inputs extends object> extends pulumi.dynamic.Resource {
  /** Id of the last notice sent; empty when none was. */
  declare public readonly lastNoticeId: pulumi.Output<string>;
  /** Per target, `delivered (n attempts)` or why not; `none (…)` when nothing was sent. */
  declare public readonly delivered: pulumi.Output<string>;
  declare public readonly warning: pulumi.Output<string>;
  declare public readonly noticeAt: pulumi.Output<string>;

  /** `resourceType` is the full dynamic type, `pulumi-nodejs:dynamic/<module>:<type>`. */
  constructor(resourceType: string, name: string, inputs: ResourceInputs<Inputs>, opts: pulumi.CustomResourceOptions) {
    const [, module, type] = /^pulumi-nodejs:dynamic\/([^:]+):(.+)$/.exec(resourceType)!;
    // The outputs are named with undefined values so that the SDK exposes them.
    super(noticeProvider, name, { ...inputs, lastNoticeId: undefined, delivered: undefined, warning: undefined, noticeAt: undefined }, opts, module, type);
  }

  /** Warns on `component` (`pulumi.log.warn`) when the notice this run made was not delivered. */
  warnWhenUndelivered(component: pulumi.Resource): void {
    pulumi.all([this.warning, this.noticeAt]).apply(([warning, noticeAt]) => {
      if (warning && Date.parse(noticeAt) >= PROGRAM_STARTED_MS) void pulumi.log.warn(warning, component);
    });
  }
}
