/**
 * The dynamic provider behind SwitchNotice: it holds where traffic goes (`live`: a color, or
 * `maintenance`) and announces a change of it.
 *
 * - `diff` reports a change only when `live` changed: new images on the idle color, a new target,
 *   who or how never make an update, so an unchanged live color sends nothing.
 * - `create` announces nothing: on a stack's first deploy (or the first after SwitchNotice was
 *   added) there is no "from" to switch from.
 * - `update` sends one `switch` notice, from the old `live` to the new one, with the images of every
 *   service of the new one, and never fails: what became of each target is in its outputs.
 *
 * The engine runs this in its own process from a serialized copy of the object below (Pulumi's
 * closure serialization: local modules are copied by value, packages in node_modules are
 * `require`d by name), so it imports only what serializes: the notify library, which loads the AWS
 * SDK with `require` when it publishes to SNS. The Pulumi SDK is imported for its types alone.
 */
import type * as pulumi from "@pulumi/pulumi";
import { notice, ServiceImages, SwitchHow, TrafficTarget } from "../lib/notify/notice";
import { Delivery, NoticeTarget, sendNotice } from "../lib/notify/send";

/** What the provider receives (secrets arrive unwrapped: the dynamic provider does not accept secrets). */
export interface SwitchNoticeInputs {
  readonly stack: string;
  readonly app: string;
  readonly live: TrafficTarget;
  readonly images: ServiceImages;
  readonly how: SwitchHow;
  readonly who?: string;
  readonly commit?: string;
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
  /** Id of the last switch notice sent; empty before the first switch. */
  readonly lastNoticeId: string;
  /** Per target, delivered or why not: `webhook: delivered (1 attempt); sns:arn:…: answered …`; `none (…)` when nothing was sent. */
  readonly delivered: string;
  /** Empty, or the line to warn with when a target was not delivered. */
  readonly warning: string;
  /** When the last notice was made (ISO 8601); empty before the first switch. */
  readonly noticeAt: string;
}

/** The engine's id of the one SwitchNotice of a stack: it holds no external object. */
const NOTICE_RESOURCE_ID = "switch-notice";

export const switchNoticeProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: SwitchNoticeOutputs, news: SwitchNoticeInputs): Promise<pulumi.dynamic.DiffResult> {
    return { changes: olds.live !== news.live };
  },

  async create(inputs: SwitchNoticeInputs): Promise<pulumi.dynamic.CreateResult> {
    const outs: SwitchNoticeOutputs = {
      ...facts(inputs),
      lastNoticeId: "",
      delivered: "none (first deploy: no switch to announce)",
      warning: "",
      noticeAt: "",
    };
    return { id: NOTICE_RESOURCE_ID, outs };
  },

  async update(_id: string, olds: SwitchNoticeOutputs, news: SwitchNoticeInputs): Promise<pulumi.dynamic.UpdateResult> {
    try {
      return { outs: await announceSwitch(olds, news) };
    } catch (error) {
      // sendNotice never throws; this is for what it does not cover (a bad state, a bug): the switch stands.
      const reason = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
      const outs: SwitchNoticeOutputs = {
        ...facts(news),
        lastNoticeId: "",
        delivered: `none (could not send: ${reason})`,
        warning: `switch notice (${olds.live} → ${news.live}) not sent: ${reason}`,
        noticeAt: new Date().toISOString(),
      };
      return { outs };
    }
  },
};

/** The outputs after `olds.live` → `news.live`: the notice is sent when they differ. */
async function announceSwitch(olds: SwitchNoticeOutputs, news: SwitchNoticeInputs): Promise<SwitchNoticeOutputs> {
  if (olds.live === news.live) {
    // Only `diff` decides; an update forced some other way announces nothing.
    return { ...olds, ...facts(news) };
  }
  const made = notice({
    kind: "switch",
    stack: news.stack,
    app: news.app,
    from: olds.live,
    to: news.live,
    images: news.live === "maintenance" ? {} : news.images,
    how: news.how,
    who: news.who || undefined,
    commit: news.commit || undefined,
  });
  const targets = noticeTargets(news);
  const deliveries = targets.length > 0 ? await sendNotice(made, targets) : [];
  const failed = deliveries.filter((d) => !d.delivered);
  return {
    ...facts(news),
    lastNoticeId: made.id,
    delivered: deliveries.length === 0 ? "none (no webhook or SNS topic configured)" : deliveries.map(deliveryLine).join("; "),
    warning: failed.length === 0 ? "" : `switch notice ${made.id} (${made.from} → ${made.to}) not delivered: ${failed.map(deliveryLine).join("; ")}`,
    noticeAt: made.at,
  };
}

/** The facts kept in the state. */
function facts(inputs: SwitchNoticeInputs): Pick<SwitchNoticeOutputs, "stack" | "app" | "live" | "images"> {
  return { stack: inputs.stack, app: inputs.app, live: inputs.live, images: inputs.images };
}

/** The targets the inputs name: the webhook when its URL is set, the topic when its ARN is (in `region`, or the ARN's). */
export function noticeTargets(inputs: Pick<SwitchNoticeInputs, "webhookUrl" | "snsTopicArn" | "region">): NoticeTarget[] {
  const targets: NoticeTarget[] = [];
  if (inputs.webhookUrl) targets.push({ kind: "webhook", url: inputs.webhookUrl });
  // A topic's ARN names its region (`arn:aws:sns:eu-west-1:123456789012:alarms`).
  if (inputs.snsTopicArn) targets.push({ kind: "sns", topicArn: inputs.snsTopicArn, region: inputs.region || (inputs.snsTopicArn.split(":")[3] ?? "") });
  return targets;
}

function deliveryLine(delivery: Delivery): string {
  if (delivery.delivered) return `${delivery.target}: delivered (${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"})`;
  return delivery.reason ?? `${delivery.target}: not delivered`;
}
