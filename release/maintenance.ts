/**
 * What `maintenance on|off` changes in the stack config, when it refuses, and where its switch
 * lands. Pure, like transitions.ts: the state in, a plan of edits (or the reasons to refuse) out;
 * the cluster and git are read by the caller.
 *
 * Maintenance is one key, `maintenance.enabled`: on, every live Service of the app selects the
 * maintenance page (`{app: <app>, color: maintenance}`); off, `activeColor` again. The page's
 * Deployment runs whenever the `maintenance` section exists, so the switch is one selector patch per
 * live Service: the same targeted `pulumi up --target <live Service URN>...` as a rollback.
 */
import type { validateStackConfig } from "../config";
import { servicesOf } from "../config";
import { toggleWithPromotionProblem, TrafficState } from "../domain/maintenance";
import { Color, liveServiceUrn, MAINTENANCE, maintenanceNames, objectNames, Traffic } from "../domain/names";
import { Plan, ReleaseState } from "./transitions";

/** The release state plus the `maintenance` section, as the stack file holds it. */
export interface MaintenanceState extends ReleaseState {
  /** Undefined: the stack has no `maintenance` section (no page runs). */
  readonly maintenance?: { readonly enabled: boolean };
}

const release = (command: string, stack: string) => `npx bluegreen ${command} -s ${stack}`;

/** Where traffic goes in this state: a color, or the maintenance page. */
export function trafficState(state: MaintenanceState): TrafficState {
  return { activeColor: state.activeColor, maintenance: state.maintenance?.enabled ?? false };
}

/**
 * `maintenance on` (`on: true`) or `maintenance off`: sets `maintenance.enabled`. Refused without a
 * `maintenance` section: no page runs yet, so traffic would wait for its rollout and the targeted
 * switch could not create it; the section comes first, in a commit of its own.
 */
export function maintenanceToggle(state: MaintenanceState, on: boolean): Plan {
  const section = state.maintenance;
  if (!section) {
    return {
      kind: "refused",
      problems: [
        `cannot turn maintenance ${on ? "on" : "off"}: \`${state.stack}\` has no \`maintenance\` section, so no maintenance page runs; add one with \`pulumi config set --path maintenance.enabled false -s ${state.stack}\`, commit it and \`pulumi up\` (it starts \`${maintenanceNames.deployment(state.app)}\`), then turn maintenance on`,
      ],
    };
  }
  if (section.enabled === on) {
    return { kind: "unchanged", reason: on ? "`maintenance.enabled` is already true: traffic is on the maintenance page" : `\`maintenance.enabled\` is already false: traffic is on \`${state.activeColor}\`` };
  }
  return {
    kind: "edit",
    edits: [{ path: ["maintenance", "enabled"], value: on }],
    commitMessage: on ? `${state.stack}: maintenance on (traffic to the maintenance page)` : `${state.stack}: maintenance off (traffic back to ${state.activeColor})`,
    notes: on
      ? [
          `Every live Service of \`${state.app}\` will select the maintenance page; \`activeColor\` stays \`${state.activeColor}\`, where \`maintenance off\` returns traffic.`,
          `To release a migration that cannot be made backward compatible: stage and \`pulumi up\` the new release now, then \`${release("promote", state.stack)}\` (traffic stays on the page), then \`maintenance off\`, each in its own commit.`,
        ]
      : [`Every live Service of \`${state.app}\` will select \`${state.activeColor}\` again.`],
  };
}

/**
 * Problems with the change from the stack file as last committed (`committed`) to the state a
 * command would write (`planned`), when they land in one commit: a maintenance toggle together with a
 * promotion or rollback (either command may be the second one), or a `maintenance` section added
 * already enabled (its page would start and take traffic in one update).
 */
export function maintenanceCommitProblems(committed: MaintenanceState | undefined, planned: MaintenanceState): string[] {
  if (!committed) return [];
  const problems: string[] = [];
  const problem = toggleWithPromotionProblem(trafficState(committed), trafficState(planned));
  if (problem) problems.push(`the stack file's last commit and this change: ${problem}`);
  if (!committed.maintenance && planned.maintenance?.enabled) {
    problems.push(
      `\`maintenance\` is added and enabled in the same commit: its page would start and take the traffic in one update, which a targeted switch cannot do; commit the section with \`enabled: false\` and \`pulumi up\` first, then turn maintenance on`,
    );
  }
  return problems;
}

type Parsed = Extract<ReturnType<typeof validateStackConfig>, { ok: true }>["config"];

/** Where a maintenance switch lands, from the stack file alone (the names the program uses). */
export interface MaintenanceTarget {
  readonly stack: string;
  readonly namespace: string;
  /** The value each live Service's selector `color` has once switched: `maintenance`, or `activeColor` on the way out. */
  readonly selects: Traffic;
  /** The maintenance page's Deployment and the image it must run (the stack's `jobsImage`): check it is available before switching in. */
  readonly page: { readonly deploymentName: string; readonly image: string };
  /** Every live Service of the app, in declaration order: the targets of `pulumi up --target`. */
  readonly liveServices: readonly { readonly service: string; readonly liveServiceName: string; readonly liveServiceUrn: string }[];
}

/**
 * The switch into maintenance (`on`) or out of it, for a stack file whose `maintenance` section
 * exists. Out of maintenance, the active color's gates are those of a rollback (release/switchTarget.ts
 * `switchTarget(config, stack, project, activeColor)`).
 */
export function maintenanceTarget(config: Parsed, stack: string, project: string, on: boolean): MaintenanceTarget {
  if (!config.maintenance) throw new Error(`\`${stack}\` has no \`maintenance\` section: there is no maintenance page to switch to`);
  const color: Color = config.activeColor;
  return {
    stack,
    namespace: config.namespace,
    selects: on ? MAINTENANCE : color,
    page: { deploymentName: maintenanceNames.deployment(config.app), image: config.jobsImage! },
    liveServices: servicesOf(config).map((service) => ({
      service: service.displayName,
      liveServiceName: objectNames.liveService(service.qualifiedName),
      liveServiceUrn: liveServiceUrn(stack, project, service.qualifiedName),
    })),
  };
}

/**
 * Why `rollback --apply` cannot use the targeted switch now: in maintenance the live Services select
 * the page whatever `activeColor` says, so a rollback only changes where `maintenance off` returns.
 */
export function rollbackInMaintenanceProblem(state: MaintenanceState): string | undefined {
  if (!state.maintenance?.enabled) return undefined;
  return `\`maintenance.enabled\` is true: traffic is on the maintenance page, not on \`${state.activeColor}\`; a rollback now only changes the color \`maintenance off\` returns to: run \`${release("rollback", state.stack)}\` without \`--apply\`, commit and \`pulumi up\``;
}
