/**
 * Where the release CLI sends the notices only it can tell (the watch's verdict, a failed release):
 * the stack's `notify` section and webhook URL as `pulumi config` gives them (the URL decrypted by
 * the stack's secrets provider, as for `pulumi up`), and for `snsTopicArn: alarms` the alarm topic
 * from the stack's outputs. The program sends the rest (switch, maintenance, staged).
 */
import { notifiedKinds, notifySchema } from "../config/notify";
import type { NoticeKind } from "../lib/notify/notice";
import type { NoticeTarget } from "../lib/notify/send";
import { noticeTargets } from "../components/noticeDelivery";
import { ConfigEntry, readStackConfigWithSecrets, readStackOutputs } from "./pulumiState";

export interface NoticeRoute {
  readonly targets: readonly NoticeTarget[];
  readonly events: readonly NoticeKind[];
}

/** The route, `undefined` when the stack has no `notify` section, or a one-line problem. */
export type RouteRead = NoticeRoute | undefined | { readonly problem: string };

/** Reads the stack's config (with secrets) and outputs, bounded, and builds the route. */
export async function readNoticeRoute(stack: string, project: string, workDir: string): Promise<RouteRead> {
  try {
    const [config, outputs] = await Promise.all([readStackConfigWithSecrets(stack, workDir), readStackOutputs(stack, workDir).catch(() => ({}))]);
    return noticeRouteOf(config, outputs, project);
  } catch (error) {
    return { problem: `cannot read the stack's notify config: ${(error as Error).message}` };
  }
}

/** The route from `pulumi config --json --show-secrets` and `pulumi stack output --json`. */
export function noticeRouteOf(config: Readonly<Record<string, ConfigEntry>>, outputs: Readonly<Record<string, unknown>>, project: string): RouteRead {
  const entry = config[`${project}:notify`];
  if (entry === undefined) return undefined;
  let raw: unknown = entry.objectValue;
  if (raw === undefined) {
    try {
      raw = JSON.parse(entry.value ?? "");
    } catch {
      return { problem: "`notify` is not an object; see README, Notices" };
    }
  }
  const parsed = notifySchema.safeParse(raw);
  if (!parsed.success || parsed.data === undefined) return { problem: "`notify` has config problems; `pulumi preview` names them" };
  const notify = parsed.data;
  const webhookUrl = notify.webhookSecret === undefined ? undefined : config[`${project}:${notify.webhookSecret}`]?.value;
  if (notify.webhookSecret !== undefined && !webhookUrl) {
    return { problem: `\`notify.webhookSecret\` names config key \`${notify.webhookSecret}\`, which is not set` };
  }
  const alarmTopic = outputs.alarmTopicArn;
  const snsTopicArn = notify.snsTopicArn === "alarms" ? (typeof alarmTopic === "string" && alarmTopic.startsWith("arn:") ? alarmTopic : undefined) : notify.snsTopicArn;
  return { targets: noticeTargets({ webhookUrl, snsTopicArn }), events: notifiedKinds(notify) };
}
