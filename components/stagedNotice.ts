/**
 * Announces a release staged on one color: new images of the app's services rolled out on the idle
 * color (and smoke-tested, when the stack has smoke tests), ready to promote. One per color; its
 * dynamic resource (stagedNoticeProvider.ts) runs after every service's Deployment and smoke Job
 * of that color, so a release that fails to roll out is never announced as staged, and after
 * whatever `after` names (the app passes its live Services: see blueGreenApp.ts). Nothing depends
 * on it: a rollback never waits for it.
 */
import * as pulumi from "@pulumi/pulumi";
import { Color, STAGED_NOTICE_RESOURCE_TYPE, STAGED_NOTICE_TYPE } from "../domain/names";
import { NoticeKind, ServiceImages } from "../lib/notify/notice";
import { NoticeResource } from "./noticeResource";
import { StagedNoticeInputs } from "./stagedNoticeProvider";

export interface StagedNoticeArgs {
  readonly stack: string;
  readonly app: string;
  /** The color this notice watches. */
  readonly color: Color;
  /** The stack's active color: new images on any other color are a staged release. */
  readonly activeColor: Color;
  /** Every service's image (qualified name) in `color`. */
  readonly images: pulumi.Input<ServiceImages>;
  /** Every Deployment and smoke Job of `color`: the notice is sent after all of them are done. */
  readonly workloads: readonly pulumi.Resource[];
  /** More to wait for, such as the live Services (see blueGreenApp.ts). @default nothing */
  readonly after?: readonly pulumi.Resource[];
  /** A Slack-compatible incoming webhook URL; always held as a secret. @default no webhook */
  readonly webhookUrl?: pulumi.Input<string>;
  /** An SNS topic to publish the JSON form to. @default no topic */
  readonly snsTopicArn?: pulumi.Input<string>;
  /** The kinds to send. @default every kind */
  readonly events?: readonly NoticeKind[];
  readonly who?: pulumi.Input<string>;
  readonly commit?: pulumi.Input<string>;
}

export class StagedNotice extends pulumi.ComponentResource {
  /** Id of the last staged notice sent; empty when none was. */
  public readonly lastNoticeId: pulumi.Output<string>;
  /** Per target, `delivered (n attempts)` or why not; `none (…)` when nothing was sent. */
  public readonly delivered: pulumi.Output<string>;

  constructor(name: string, args: StagedNoticeArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.workloads.length === 0) {
      throw new Error(`StagedNotice ${name}: \`workloads\` is empty; pass every Deployment (and smoke Job) of ${args.color} so the notice follows the rollout`);
    }
    super(STAGED_NOTICE_TYPE, name, {}, opts);
    const notice = new NoticeResource<StagedNoticeInputs>(
      STAGED_NOTICE_RESOURCE_TYPE,
      name,
      {
        stack: args.stack,
        app: args.app,
        color: args.color,
        activeColor: args.activeColor,
        images: args.images,
        who: args.who,
        commit: args.commit,
        events: args.events,
        webhookUrl: args.webhookUrl === undefined ? undefined : pulumi.secret(args.webhookUrl),
        snsTopicArn: args.snsTopicArn,
      },
      { parent: this, dependsOn: [...args.workloads, ...(args.after ?? [])] },
    );
    this.lastNoticeId = notice.lastNoticeId;
    this.delivered = notice.delivered;
    notice.warnWhenUndelivered(this);
    this.registerOutputs({ lastNoticeId: this.lastNoticeId, delivered: this.delivered });
  }
}
