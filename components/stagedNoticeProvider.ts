/**
 * What a color's staged notice does (served by noticeProvider.ts): it holds the images of every
 * service in one color and announces new ones rolled out on the idle color, a release staged for
 * promotion. Its resource runs after that color's Deployments and smoke Jobs, so the notice means
 * "rolled out and smoke-tested", never "asked for".
 *
 * - `diff` reports a change only when the color's images changed (replicas, targets, who never).
 * - `create` announces nothing (a first deploy stages nothing).
 * - `update` sends one `staged` notice when the color is idle and `staged` is in `events`; new
 *   images on the live color (a hotfix in place) are not a staged release, and are not announced.
 *
 * Serialized with the provider: it imports only the notify library (see switchNoticeProvider.ts).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Color } from "../domain/names";
import { notice, ServiceImages } from "../lib/notify/notice";
import { deliver, Delivered, NoticeRouting, notSent } from "./noticeDelivery";

/** What the provider receives (the webhook URL unwrapped). */
export interface StagedNoticeInputs extends NoticeRouting {
  readonly stack: string;
  readonly app: string;
  /** The color this resource watches. */
  readonly color: Color;
  /** The stack's active color: a color other than it is idle. */
  readonly activeColor: Color;
  /** Every service's image (qualified name) in `color`. */
  readonly images: ServiceImages;
  readonly who?: string;
  readonly commit?: string;
}

/** What the state holds: the images the next change is told from, and what became of the last notice. */
export type StagedNoticeState = Pick<StagedNoticeInputs, "stack" | "app" | "color" | "images"> & Delivered;

/** The staged notice's part of the one notice provider (noticeProvider.ts). */
export const stagedNoticeLogic = {
  diff(olds: StagedNoticeState, news: StagedNoticeInputs): pulumi.dynamic.DiffResult {
    return { changes: !sameImages(olds.images, news.images) };
  },

  create(inputs: StagedNoticeInputs): pulumi.dynamic.CreateResult {
    const outs: StagedNoticeState = { ...facts(inputs), ...notSent("first deploy: nothing staged yet") };
    return { id: `staged-notice-${inputs.color}`, outs };
  },

  async update(olds: StagedNoticeState, news: StagedNoticeInputs): Promise<pulumi.dynamic.UpdateResult> {
    if (sameImages(olds.images, news.images)) return { outs: { ...olds, ...facts(news) } };
    if (news.color === news.activeColor) return { outs: { ...facts(news), ...notSent(`${news.color} is live: new images on it are not a staged release`) } };
    const made = notice({ kind: "staged", stack: news.stack, app: news.app, color: news.color, images: news.images, who: news.who || undefined, commit: news.commit || undefined });
    return { outs: { ...facts(news), ...(await deliver(made, `${news.color}`, news)) } };
  },
};

function facts(inputs: StagedNoticeInputs): Pick<StagedNoticeState, "stack" | "app" | "color" | "images"> {
  return { stack: inputs.stack, app: inputs.app, color: inputs.color, images: inputs.images };
}

/** The same image for every service, whatever the order of the keys. */
function sameImages(a: ServiceImages | undefined, b: ServiceImages): boolean {
  const keys = Object.keys(b);
  return a !== undefined && Object.keys(a).length === keys.length && keys.every((k) => a[k] === b[k]);
}
