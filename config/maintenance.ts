/**
 * The `maintenance` config section: the app's maintenance page. While the section exists, a small
 * Deployment (`<app>-maintenance`, from the jobs image) serves the page, kept warm; while `enabled`
 * is on, every live Service of the app selects it instead of `activeColor`, so entering and leaving
 * maintenance is one selector patch per live Service, like a promotion.
 *
 *   enabled            send the app's traffic to the page (default false)
 *   message            what users read (HTML-escaped; JSON clients get it as `message`)
 *   retryAfterSeconds  the `Retry-After` header and JSON `retryAfterSeconds` (default 300)
 *   replicas           Pods serving the page (default 1)
 *
 * A stack without the section declares nothing of it.
 */
import { z } from "zod";

const expect = (message: string) => ({ error: () => message });

/** What users read when the stack does not say. */
export const DEFAULT_MAINTENANCE_MESSAGE = "We are down for scheduled maintenance and will be back shortly.";
export const DEFAULT_RETRY_AFTER_SECONDS = 300;
/** A day: a client told to come back later than that has no reason to believe it. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;
export const MAX_MESSAGE_LENGTH = 500;
export const MAX_MAINTENANCE_REPLICAS = 20;

const wholeNumber = (min: number, max: number, example: number, unit: string) => {
  const message = `must be a whole number of ${unit} from ${min} to ${max}; set it with \`pulumi config set --path {key} ${example}\``;
  return z.number(expect(message)).int(expect(message)).min(min, expect(message)).max(max, expect(message));
};

const messageText = `must be a sentence of 1 to ${MAX_MESSAGE_LENGTH} characters for users; set it with \`pulumi config set --path {key} "We are upgrading the database; back at 14:00 UTC."\``;

export const maintenanceSchema = z
  .strictObject(
    {
      /** Send every live Service's traffic to the page. @default false */
      enabled: z.boolean(expect("must be `true` or `false`; set it with `pulumi config set --path {key} true`")).default(false),
      /** What users read. @default DEFAULT_MAINTENANCE_MESSAGE */
      message: z
        .string(expect(messageText))
        .trim()
        .min(1, expect(messageText))
        .max(MAX_MESSAGE_LENGTH, expect(messageText))
        .default(DEFAULT_MAINTENANCE_MESSAGE),
      /** Seconds clients are told to wait (`Retry-After`). @default 300 */
      retryAfterSeconds: wholeNumber(1, MAX_RETRY_AFTER_SECONDS, DEFAULT_RETRY_AFTER_SECONDS, "seconds").default(DEFAULT_RETRY_AFTER_SECONDS),
      /** Pods serving the page; at least one, so entering maintenance never waits for a rollout. @default 1 */
      replicas: wholeNumber(1, MAX_MAINTENANCE_REPLICAS, 2, "replicas").default(1),
    },
    expect("must be an object with `enabled`, `message`, `retryAfterSeconds` and `replicas`, each optional"),
  )
  .optional();

export type MaintenanceConfig = NonNullable<z.infer<typeof maintenanceSchema>>;

/**
 * Cross-key rules of the section; one problem line each. `jobsImageReported`: another section
 * already reported a missing `jobsImage` (one line for it, whichever section needs it first).
 */
export function maintenanceProblems(section: MaintenanceConfig | undefined, jobsImage: string | undefined, jobsImageReported: boolean): string[] {
  if (!section || jobsImage || jobsImageReported) return [];
  return [
    "`maintenance` is set but `jobsImage` is not: the maintenance page runs from the jobs image (`node dist/jobs/cli.js maintenance-page`); set it with `pulumi config set jobsImage ghcr.io/acme/web-jobs:1.5.0`, or remove the section with `pulumi config rm maintenance`",
  ];
}
