/**
 * The release gates' config: `jobsImage` (the image the in-cluster jobs run from), `smoke` (the
 * checks a color must pass before the live Service may select it) and `watch` (how long the
 * release alarms are watched after a switch).
 */
import { z } from "zod";
import { parseImageRef, unpinnedReason } from "../lib/imageRef";

const expect = (message: string) => ({ error: () => message });

const wholeNumber = (min: number, max: number, example: number, unit: string) => {
  const message = `must be a whole number of ${unit} from ${min} to ${max}; set it with \`pulumi config set --path {key} ${example}\``;
  return z.number(expect(message)).int(expect(message)).min(min, expect(message)).max(max, expect(message));
};

export const smokeCheckSchema = z.strictObject(
  {
    /** Path requested on the color's preview Service. */
    path: z
      .string(expect("must be an HTTP path starting with `/`, such as `/healthz`"))
      .refine((v) => v.startsWith("/"), expect("must be an HTTP path starting with `/`, such as `/healthz`")),
    /** Expected HTTP status. @default 200 */
    status: wholeNumber(100, 599, 200, "HTTP status").default(200),
    /** Text the response body must contain. */
    bodyContains: z.string(expect("must be text the response body contains")).min(1).optional(),
  },
  expect("must be an object with `path`, optionally `status` and `bodyContains`"),
);

export const jobsImageSchema = z
  .string(expect("must be an image reference such as `ghcr.io/acme/web-jobs:1.5.0`"))
  .min(1, expect("must be an image reference such as `ghcr.io/acme/web-jobs:1.5.0`"))
  .optional();

export const smokeSchema = z
  .strictObject(
    {
      /** Run the smoke gate. Production stacks keep it on. @default true */
      enabled: z.boolean(expect("must be `true` or `false`")).default(true),
      /** Checks to run in order. @default one check: `healthPath` answers 200 */
      checks: z.array(smokeCheckSchema, expect("must be a list of `{path, status, bodyContains}` checks")).default([]),
      /** Per request. @default 5 */
      timeoutSeconds: wholeNumber(1, 120, 5, "seconds").default(5),
      /** Extra attempts per check after the first. @default 3 */
      retries: wholeNumber(0, 10, 3, "retries").default(3),
      /** Wait before the first retry; doubles each retry. @default 2 */
      backoffSeconds: wholeNumber(0, 60, 2, "seconds").default(2),
      /**
       * What the Job's deadline allows, on top of the checks' own worst case, for scheduling the Pod,
       * pulling the jobs image and starting the CLI. @default 60
       */
      startupAllowanceSeconds: wholeNumber(10, 1800, 60, "seconds").default(60),
    },
    expect("must be an object with `checks`, `timeoutSeconds`, `retries`, `backoffSeconds`, `startupAllowanceSeconds`"),
  )
  .prefault({});

export const watchSchema = z
  .strictObject(
    {
      /**
       * How long to watch the release alarms after the live Service switches; 0 turns the watch off.
       * @default 30 when the stack has release alarms, else 0
       */
      minutes: wholeNumber(0, 240, 30, "minutes").optional(),
      /** Seconds between two reads of the alarm states. @default 60 */
      pollSeconds: wholeNumber(10, 600, 60, "seconds").default(60),
      /**
       * An alarm already in ALARM before the switch (caused by the color that just lost traffic, as
       * on a rollback) fails the watch only if it is still in ALARM this long after the switch. @default 10
       */
      settleMinutes: wholeNumber(0, 60, 10, "minutes").default(10),
      /** Pass instead of fail when the alarm states cannot be read (like CodeDeploy's ignorePollAlarmFailure). @default false */
      ignorePollFailures: z.boolean(expect("must be `true` or `false`")).default(false),
    },
    expect("must be an object with `minutes`, `pollSeconds`, `settleMinutes`, `ignorePollFailures`"),
  )
  .prefault({});

export type SmokeConfig = z.infer<typeof smokeSchema>;
export type SmokeCheck = z.infer<typeof smokeCheckSchema>;
export type WatchConfig = z.infer<typeof watchSchema> & { readonly minutes: number };

/** Watch minutes when the stack does not set them: watch only where there is something to watch. */
export function defaultWatchMinutes(hasReleaseAlarms: boolean): number {
  return hasReleaseAlarms ? 30 : 0;
}

export interface GatesInput {
  readonly production: boolean;
  readonly jobsImage?: string;
  readonly smoke: SmokeConfig;
  readonly watch: z.infer<typeof watchSchema>;
  /** Whether the stack has an `alarms` section at all. */
  readonly alarmsConfigured: boolean;
  /** Whether the alarms section declares release alarms (it needs the load balancer dimension). */
  readonly hasReleaseAlarms: boolean;
}

/** Cross-field rules of the gates; one problem line each. */
export function gatesProblems(gates: GatesInput): string[] {
  const problems: string[] = [];
  if (gates.smoke.enabled) {
    if (!gates.jobsImage) {
      problems.push(
        "`jobsImage` is not set: the smoke gate runs in the jobs image; set it with `pulumi config set jobsImage ghcr.io/acme/web-jobs:1.5.0`",
      );
    }
  } else if (gates.production) {
    problems.push(
      "`smoke.enabled` is `false`: production keeps the smoke gate, so traffic never switches to an unchecked color; remove it with `pulumi config rm --path smoke.enabled`",
    );
  }
  if (gates.jobsImage) {
    const ref = parseImageRef(gates.jobsImage);
    const reason = ref && gates.production ? unpinnedReason(ref) : undefined;
    if (!ref) {
      problems.push(
        `\`jobsImage\` is \`${gates.jobsImage}\`: not an image reference; use \`registry/repository:tag\` or \`registry/repository@sha256:<digest>\``,
      );
    } else if (reason) {
      problems.push(
        `\`jobsImage\` is \`${gates.jobsImage}\`: production images must be pinned and ${reason}; use a version tag or a digest, such as \`${ref.repository}:1.4.2\` or \`${ref.repository}@sha256:<digest>\``,
      );
    }
  }
  const minutes = gates.watch.minutes ?? defaultWatchMinutes(gates.hasReleaseAlarms);
  if (minutes > 0 && !gates.alarmsConfigured) {
    problems.push(
      `\`watch.minutes\` is ${minutes} but \`alarms\` is not set, so there are no release alarms to watch: turn the watch off with \`pulumi config set --path watch.minutes 0\` or add an \`alarms\` section (see README, Alarms)`,
    );
  } else if (minutes > 0 && !gates.hasReleaseAlarms) {
    problems.push(
      `\`watch.minutes\` is ${minutes} but \`alarms.dimensions.loadBalancer\` is not set, so there are no release alarms to watch: set it with \`pulumi config set --path alarms.dimensions.loadBalancer app/<name>/<id>\` or turn the watch off with \`pulumi config set --path watch.minutes 0\``,
    );
  }
  return problems;
}
