/**
 * What the switch notice's dynamic resource does (served by noticeProvider.ts): it holds where
 * traffic goes (`live`: a color, or `maintenance`) and announces a change of it.
 *
 * - `diff` reports a change only when `live` changed: new images on the idle color, a new target,
 *   who or how never make an update, so an unchanged live color sends nothing.
 * - `create` announces nothing: on a stack's first deploy (or the first after SwitchNotice was
 *   added) there is no "from" to switch from.
 * - `update` sends one notice: a `switch` from one color to the other, with the images of every
 *   service of the new one, or a `maintenance` notice when traffic went to the page or came back
 *   from it; only when its kind is in `events`. It never fails: what became of each target is in
 *   its outputs.
 *
 * The engine runs this in its own process from a serialized copy (Pulumi's closure serialization:
 * local modules are copied by value, packages in node_modules are `require`d by name), so it
 * imports only what serializes: the notify library, which loads the AWS SDK with `require` when it
 * publishes to SNS. The Pulumi SDK is imported for its types alone.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Color } from "../domain/names";
import { notice, NoticeKind, ServiceImages, SwitchHow, TrafficTarget } from "../lib/notify/notice";
import { deliver, Delivered, notSent } from "./noticeDelivery";

/** What the provider receives (secrets arrive unwrapped: the dynamic provider does not accept secrets). */
export interface SwitchNoticeInputs {
  readonly stack: string;
  readonly app: string;
  readonly live: TrafficTarget;
  readonly images: ServiceImages;
  readonly how: SwitchHow;
  readonly who?: string;
  readonly commit?: string;
  /** What the maintenance page tells users (sent with `maintenance` on). */
  readonly maintenanceMessage?: string;
  /** The kinds to send (`switch`, `maintenance`); all when absent. */
  readonly events?: readonly NoticeKind[];
  readonly webhookUrl?: string;
  readonly snsTopicArn?: string;
  readonly region?: string;
}

/** What the state holds: the facts the next switch is told from, and what became of the last notice. Never a secret. */
export interface SwitchNoticeOutputs {
  readonly stack: string;
  readonly app: string;
  readonly live: TrafficTarget;
  readonly images: ServiceImages;
}

export type SwitchNoticeState = SwitchNoticeOutputs & Delivered;

/** The engine's id of the one SwitchNotice of a stack: it holds no external object. */
const NOTICE_RESOURCE_ID = "switch-notice";

/** The switch notice's part of the one notice provider (noticeProvider.ts). */
export const switchNoticeLogic = {
  diff(olds: SwitchNoticeState, news: SwitchNoticeInputs): pulumi.dynamic.DiffResult {
    return { changes: olds.live !== news.live };
  },

  create(inputs: SwitchNoticeInputs): pulumi.dynamic.CreateResult {
    const outs: SwitchNoticeState = { ...facts(inputs), ...notSent("first deploy: no switch to announce") };
    return { id: NOTICE_RESOURCE_ID, outs };
  },

  async update(olds: SwitchNoticeState, news: SwitchNoticeInputs): Promise<pulumi.dynamic.UpdateResult> {
    if (olds.live === news.live) {
      // Only `diff` decides; an update forced some other way announces nothing.
      return { outs: { ...olds, ...facts(news) } };
    }
    const made = switchOrMaintenance(olds.live, news);
    const delivered = await deliver(made, `${olds.live} → ${news.live}`, news);
    return { outs: { ...facts(news), ...delivered } };
  },
};

/** The notice of `from` → `news.live`: a `switch` between colors, or `maintenance` on or off. */
function switchOrMaintenance(from: TrafficTarget, news: SwitchNoticeInputs) {
  const told = { stack: news.stack, app: news.app, who: news.who || undefined, commit: news.commit || undefined };
  if (from === "maintenance" || news.live === "maintenance") {
    const on = news.live === "maintenance";
    return notice({
      kind: "maintenance",
      ...told,
      on,
      color: (on ? from : news.live) as Color,
      images: on ? undefined : news.images,
      message: on ? news.maintenanceMessage || undefined : undefined,
      how: news.how,
    });
  }
  return notice({ kind: "switch", ...told, from, to: news.live, images: news.images, how: news.how });
}

/** The facts kept in the state. */
function facts(inputs: SwitchNoticeInputs): SwitchNoticeOutputs {
  return { stack: inputs.stack, app: inputs.app, live: inputs.live, images: inputs.images };
}
