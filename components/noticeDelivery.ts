/**
 * Sending a notice from a dynamic provider (switchNoticeProvider.ts, stagedNoticeProvider.ts) and
 * keeping what became of it in the resource's outputs. It never throws: a notice that could not be
 * delivered never fails the update that made it. Serialized with the providers: it imports only
 * the notify library.
 */
import type { Notice, NoticeKind } from "../lib/notify/notice";
import { Delivery, NoticeTarget, sendNotice } from "../lib/notify/send";

/** Where to send and what, as a notice resource's inputs hold it (the webhook URL unwrapped). */
export interface NoticeRouting {
  readonly webhookUrl?: string;
  readonly snsTopicArn?: string;
  /** The topic's region; the ARN's when absent. */
  readonly region?: string;
  /** The kinds to send; all when absent. */
  readonly events?: readonly NoticeKind[];
}

/** What a notice resource's outputs say of its last notice. Never a secret. */
export interface Delivered {
  /** Id of the last notice sent; empty when none was. */
  readonly lastNoticeId: string;
  /** Per target, delivered or why not: `webhook: delivered (1 attempt); sns:arn:…: answered …`; `none (…)` when nothing was sent. */
  readonly delivered: string;
  /** Empty, or the line to warn with when a target was not delivered. */
  readonly warning: string;
  /** When the last notice was made (ISO 8601); empty when none was. */
  readonly noticeAt: string;
}

/** Nothing sent, and why. */
export function notSent(why: string): Delivered {
  return { lastNoticeId: "", delivered: `none (${why})`, warning: "", noticeAt: "" };
}

/** Sends `made` where `routing` says, when its kind is wanted; `about` (`blue → green`) names it in a warning. */
export async function deliver(made: Notice, about: string, routing: NoticeRouting): Promise<Delivered> {
  if (routing.events !== undefined && !routing.events.includes(made.kind)) return notSent(`\`${made.kind}\` is not in notify.events`);
  try {
    const targets = noticeTargets(routing);
    const deliveries = targets.length > 0 ? await sendNotice(made, targets) : [];
    const failed = deliveries.filter((d) => !d.delivered);
    return {
      lastNoticeId: made.id,
      delivered: deliveries.length === 0 ? "none (no webhook or SNS topic configured)" : deliveries.map(deliveryLine).join("; "),
      warning: failed.length === 0 ? "" : `${made.kind} notice ${made.id} (${about}) not delivered: ${failed.map(deliveryLine).join("; ")}`,
      noticeAt: made.at,
    };
  } catch (error) {
    // sendNotice never throws; this is for what it does not cover (a bad state, a bug): the update stands.
    const reason = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
    return { lastNoticeId: "", delivered: `none (could not send: ${reason})`, warning: `${made.kind} notice (${about}) not sent: ${reason}`, noticeAt: new Date().toISOString() };
  }
}

/** The targets the routing names: the webhook when its URL is set, the topic when its ARN is (in `region`, or the ARN's). */
export function noticeTargets(routing: Pick<NoticeRouting, "webhookUrl" | "snsTopicArn" | "region">): NoticeTarget[] {
  const targets: NoticeTarget[] = [];
  if (routing.webhookUrl) targets.push({ kind: "webhook", url: routing.webhookUrl });
  // A topic's ARN names its region (`arn:aws:sns:eu-west-1:123456789012:alarms`).
  if (routing.snsTopicArn) targets.push({ kind: "sns", topicArn: routing.snsTopicArn, region: routing.region || (routing.snsTopicArn.split(":")[3] ?? "") });
  return targets;
}

/** One target's outcome in one line. */
export function deliveryLine(delivery: Delivery): string {
  if (delivery.delivered) return `${delivery.target}: delivered (${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"})`;
  return delivery.reason ?? `${delivery.target}: not delivered`;
}
