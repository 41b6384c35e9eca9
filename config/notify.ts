/**
 * The `notify` config section: where every switch of the app's traffic (a promotion, a rollback,
 * into or out of maintenance) is announced, once, whichever path applied it.
 *
 *   webhookSecret  the config key holding a Slack-compatible incoming-webhook URL, stored with
 *                  `pulumi config set --secret` (the URL is a credential: it never sits in plain text)
 *   snsTopicArn    an SNS topic for the JSON form of each notice; `alarms` reuses the alarm topic
 *
 * A stack without the section announces nothing.
 */
import { z } from "zod";

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
    },
    expect("must be an object with `webhookSecret` and/or `snsTopicArn`"),
  )
  .optional();

export type NotifyConfig = NonNullable<z.infer<typeof notifySchema>>;

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
