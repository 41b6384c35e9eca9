/**
 * Announces every switch of the app's traffic (a promotion, a rollback, into or out of maintenance)
 * to a Slack-compatible incoming webhook and/or an SNS topic, once, after every live Service has
 * switched. A dynamic resource holds where traffic goes; its provider (switchNoticeProvider.ts)
 * sends a notice when that changes, and only then.
 *
 * It depends on every live Service, so the engine sends the notice after the last selector patch,
 * and a targeted `pulumi up` of the live Services must target it too (see `switchNoticeUrn`).
 * Nothing depends on it.
 *
 * A move between colors is a `switch` notice; to or from the maintenance page a `maintenance` one.
 * A notice that could not be delivered never fails the update: the outputs say what became of each
 * target, and the program warns on this component in the run that sent it (noticeResource.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { COLORS, SWITCH_NOTICE_RESOURCE_TYPE, SWITCH_NOTICE_TYPE } from "../domain/names";
import { NoticeKind, ServiceImages, SWITCH_HOWS, SwitchHow, TrafficTarget } from "../lib/notify/notice";
import { NoticeResource } from "./noticeResource";
import { SwitchNoticeInputs } from "./switchNoticeProvider";

export interface SwitchNoticeArgs {
  /** The Pulumi stack, as notices name it. */
  readonly stack: string;
  /** The app, as notices name it. */
  readonly app: string;
  /** Where traffic goes after this update: the active color, or `maintenance`. */
  readonly live: pulumi.Input<TrafficTarget>;
  /** The image of every service (qualified name) in `live`; empty for `maintenance`. */
  readonly images: pulumi.Input<ServiceImages>;
  /** Every live Service of the app: the notice is sent after all of them switched. */
  readonly liveServices: readonly pulumi.Resource[];
  /** A Slack-compatible incoming webhook URL; always held as a secret. @default no webhook */
  readonly webhookUrl?: pulumi.Input<string>;
  /** An SNS topic to publish the JSON form of each notice to. @default no topic */
  readonly snsTopicArn?: pulumi.Input<string>;
  /** The topic's region. @default the region in `snsTopicArn` */
  readonly region?: pulumi.Input<string>;
  /** What moves traffic in this update. @default "pulumi up" */
  readonly how?: pulumi.Input<SwitchHow>;
  /** Who runs it (a login, a CI actor). @default not told */
  readonly who?: pulumi.Input<string>;
  /** The commit the stack file is at. @default not told */
  readonly commit?: pulumi.Input<string>;
  /** What the maintenance page tells users, sent with `maintenance` on. @default none */
  readonly maintenanceMessage?: pulumi.Input<string>;
  /** The kinds to send (`switch`, `maintenance`). @default every kind */
  readonly events?: readonly NoticeKind[];
}

const TRAFFIC_TARGETS: readonly TrafficTarget[] = [...COLORS, "maintenance"];

export class SwitchNotice extends pulumi.ComponentResource {
  /** Id of the last switch notice sent; empty before the first switch. */
  public readonly lastNoticeId: pulumi.Output<string>;
  /** Per target, `delivered (n attempts)` or why not; `none (…)` when nothing was sent. */
  public readonly delivered: pulumi.Output<string>;

  constructor(name: string, args: SwitchNoticeArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.liveServices.length === 0) {
      throw new Error(`SwitchNotice ${name}: \`liveServices\` is empty; pass every live Service of the app so the notice follows the switch`);
    }
    if (typeof args.live === "string" && !(TRAFFIC_TARGETS as readonly string[]).includes(args.live)) {
      throw new Error(`SwitchNotice ${name}: \`live\` is \`${args.live}\`; use one of ${TRAFFIC_TARGETS.join(", ")}`);
    }
    if (typeof args.how === "string" && !(SWITCH_HOWS as readonly string[]).includes(args.how)) {
      throw new Error(`SwitchNotice ${name}: \`how\` is \`${args.how}\`; use one of ${SWITCH_HOWS.map((h) => `\`${h}\``).join(", ")}`);
    }
    super(SWITCH_NOTICE_TYPE, name, {}, opts);

    const notice = new NoticeResource<SwitchNoticeInputs>(
      SWITCH_NOTICE_RESOURCE_TYPE,
      name,
      {
        stack: args.stack,
        app: args.app,
        live: args.live,
        images: args.images,
        how: args.how ?? "pulumi up",
        who: args.who,
        commit: args.commit,
        maintenanceMessage: args.maintenanceMessage,
        events: args.events,
        webhookUrl: args.webhookUrl === undefined ? undefined : pulumi.secret(args.webhookUrl),
        snsTopicArn: args.snsTopicArn,
        region: args.region,
      },
      { parent: this, dependsOn: [...args.liveServices] },
    );
    this.lastNoticeId = notice.lastNoticeId;
    this.delivered = notice.delivered;

    notice.warnWhenUndelivered(this);
    this.registerOutputs({ lastNoticeId: this.lastNoticeId, delivered: this.delivered });
  }
}
