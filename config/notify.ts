/**
 * The `notify` config section: where every switch of the app's traffic (a promotion, a rollback,
 * into or out of maintenance) is announced, once, whichever path applied it.
 *
 *   webhookSecret  the config key holding a Slack-compatible incoming-webhook URL, stored with
 *                  `pulumi config set --secret` (the URL is a credential: it never sits in plain text)
 *   snsTopicArn    an SNS topic for the JSON form of each notice; `alarms` reuses the alarm topic
 *   events         which notices to send (default: every kind):
 *                    staged         new images rolled out on the idle color (sent by the program)
 *                    switch         traffic moved from one color to the other (sent by the program)
 *                    maintenance    the maintenance page took the traffic or gave it back (the program)
 *                    watchVerdict   the post-promotion watch passed, or rolled back (`npx bluegreen watch`)
 *                    releaseFailed  a failed update's Job or Deployment (`npx bluegreen report-failure`)
 *
 * A stack without the section announces nothing.
 */
import { z } from "zod";
import { NOTICE_KINDS, NoticeKind } from "../lib/notify/notice";

const expect = (message: string) => ({ error: () => message });

const CONFIG_KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

export const notifySchema = z
  .strictObject(
    {
      /** The secret config key whose value is the webhook URL. @default no webhook */
      webhookSecret: z
        .string(expect("must name a secret config key, such as `slackWebhookUrl`; store the URL with `pulumi config set --secret slackWebhookUrl <url>`"))
        .regex(CONFIG_KEY, expect("must name a secret config key (letters, digits, `-`, `_`), such as `slackWebhookUrl`"))
        .optional(),
      /** An SNS topic ARN, or `alarms` for the stack's alarm topic. @default no topic */
      snsTopicArn: z
        .string(expect("must be an SNS topic ARN such as `arn:aws:sns:eu-west-1:123456789012:releases`, or `alarms` for the alarm topic"))
        .refine((v) => v === "alarms" || SNS_ARN.test(v), expect("must be an SNS topic ARN such as `arn:aws:sns:eu-west-1:123456789012:releases`, or `alarms` for the alarm topic"))
        .optional(),
      /** The kinds of notice to send. @default every kind */
      events: z
        .array(z.enum(NOTICE_KINDS, expect(`must list notice kinds out of ${NOTICE_KINDS.join(", ")}`)), expect(`must be a list of notice kinds out of ${NOTICE_KINDS.join(", ")}, such as [switch, maintenance]`))
        .min(1, expect(`must list at least one notice kind out of ${NOTICE_KINDS.join(", ")}; to send nothing, remove the section with \`pulumi config rm notify\``))
        .refine((events) => new Set(events).size === events.length, expect("lists a kind twice; list each kind once"))
        .optional(),
    },
    expect("must be an object with `webhookSecret` and/or `snsTopicArn`, and optionally `events`"),
  )
  .optional();

export type NotifyConfig = NonNullable<z.infer<typeof notifySchema>>;

/** The kinds a section sends: `events`, or every kind. */
export function notifiedKinds(notify: Pick<NotifyConfig, "events">): readonly NoticeKind[] {
  return notify.events ?? NOTICE_KINDS;
}

/** Cross-key rules: a section that names no target, or the alarm topic without alarms. */
export function notifyProblems(notify: NotifyConfig | undefined, alarmsConfigured: boolean): string[] {
  if (!notify) return [];
  if (notify.webhookSecret === undefined && notify.snsTopicArn === undefined) {
    return ["`notify` names no target: set `notify.webhookSecret` (the secret config key holding a webhook URL) or `notify.snsTopicArn`, or remove the section with `pulumi config rm notify`"];
  }
  if (notify.snsTopicArn === "alarms" && !alarmsConfigured) {
    return ["`notify.snsTopicArn` is `alarms` but the stack has no `alarms` section, so there is no alarm topic: give a topic ARN, or add an `alarms` section (see README, Alarms)"];
  }
  return [];
}
