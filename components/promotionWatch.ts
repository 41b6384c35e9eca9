/**
 * The post-promotion watch: a local Command that runs `node dist/jobs/cli.js watch` on the machine
 * running `pulumi up`, after the live Service switched, and only when it switched. It reads the
 * release alarms for the configured minutes and fails `pulumi up` naming each alarm in ALARM with
 * the exact rollback.
 *
 * Only a switch re-runs it: `triggers` holds the active color (a change replaces the Command, which
 * runs `create`), and nothing about the idle color is in its inputs. Changing the watch settings
 * alone runs the no-op `update`; the new settings apply from the next switch.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Color } from "../config";

export interface PromotionWatchArgs {
  /** Stack name, for the printed rollback commands. */
  readonly stack: string;
  /** The color the live Service now selects. */
  readonly activeColor: Color;
  /** The color a rollback goes back to. */
  readonly previousColor: Color;
  /** CloudWatch alarm names to read: the release-health composite and its members. */
  readonly alarmNames: readonly string[];
  /** How long to watch, in minutes (at least 1). */
  readonly minutes: number;
  /** Seconds between two reads. @default 60 */
  readonly pollSeconds?: number;
  /** How long an alarm already firing before the switch may take to clear. @default 10 */
  readonly settleMinutes?: number;
  /** Pass when the alarm states cannot be read. @default false */
  readonly ignorePollFailures?: boolean;
  /** AWS region of the alarms. @default the AWS SDK's own (AWS_REGION, profile) */
  readonly region?: string;
  /** The live Service: the watch starts only after it has switched. */
  readonly liveService: pulumi.Resource;
}

/** Quotes one argument for `/bin/sh`. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_.,:/=@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The shell command the Command runs on a switch. */
export function watchCommandLine(args: Omit<PromotionWatchArgs, "liveService">): string {
  const argv = [
    "watch",
    "--stack",
    args.stack,
    "--active",
    args.activeColor,
    "--previous",
    args.previousColor,
    "--alarms",
    args.alarmNames.join(","),
    "--minutes",
    String(args.minutes),
    "--poll-seconds",
    String(args.pollSeconds ?? 60),
    "--settle-minutes",
    String(args.settleMinutes ?? 10),
    ...(args.ignorePollFailures ? ["--ignore-poll-failures"] : []),
    ...(args.region ? ["--region", args.region] : []),
  ];
  const missing = "dist/jobs/cli.js is missing: run npm run build before pulumi up";
  return `test -f dist/jobs/cli.js || { echo ${shellQuote(missing)} >&2; exit 1; }; exec node dist/jobs/cli.js ${argv.map(shellQuote).join(" ")}`;
}

export class PromotionWatch extends pulumi.ComponentResource {
  public readonly command: command.local.Command;

  constructor(name: string, args: PromotionWatchArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.alarmNames.length === 0) throw new Error(`PromotionWatch ${name}: \`alarmNames\` is empty; there is nothing to watch`);
    if (!(args.minutes >= 1)) throw new Error(`PromotionWatch ${name}: \`minutes\` is ${args.minutes}; leave the watch out to turn it off`);
    super("bluegreen:ops:PromotionWatch", name, {}, opts);

    const { liveService, ...settings } = args;
    this.command = new command.local.Command(
      name,
      {
        create: watchCommandLine(settings),
        update: "echo 'watch settings changed; they apply from the next switch of the live Service'",
        triggers: [args.activeColor],
      },
      { parent: this, dependsOn: [liveService] },
    );
    this.registerOutputs({});
  }
}
