/**
 * Maintenance mode as traffic state: while `maintenance.enabled` is on, every live Service of the
 * app selects the maintenance page instead of a color; `activeColor` still says where traffic
 * returns. Pure (no Pulumi SDK): the program, the policy pack and the release CLI share these rules.
 *
 * A promotion (a new `activeColor`) and a maintenance toggle are two separate, separately revertible
 * steps. Landing both in one update hides one behind the other: traffic would go from blue straight
 * to the page while green silently becomes the color it returns to, or from the page straight to a
 * color it never served from. So that one combination is refused; each alone is fine, and a
 * promotion while in maintenance (the page keeps the traffic) is how a release with a migration
 * that cannot be made backward compatible goes: maintenance on, stage and migrate, promote,
 * maintenance off.
 */
import { ACTIVE_COLOR_ANNOTATION, COLORS, Color, MAINTENANCE, maintenanceSelector, Traffic } from "./names";

/** Where a live Service sends traffic, and the color it returns to after maintenance. */
export interface TrafficState {
  readonly activeColor: Color;
  readonly maintenance: boolean;
}

/** What the live Service selects in this state. */
export function trafficOf(state: TrafficState): Traffic {
  return state.maintenance ? MAINTENANCE : state.activeColor;
}

/**
 * A live Service's selector: the maintenance page's Pods (`{app: <app>, color: maintenance}`, the
 * same for every service of the app) while in maintenance, else its own service's active color.
 */
export function liveSelector(qualified: string, app: string, state: TrafficState): Record<string, string> {
  return state.maintenance ? maintenanceSelector(app) : { app: qualified, color: state.activeColor };
}

const isColor = (value: unknown): value is Color => (COLORS as readonly unknown[]).includes(value);

/**
 * The traffic state a live Service's selector and annotations show, or undefined when they do not
 * tell (no `color` in the selector; in maintenance without the active-color annotation).
 */
export function trafficFromService(selector: Readonly<Record<string, unknown>> | undefined, annotations: Readonly<Record<string, unknown>> | undefined): TrafficState | undefined {
  const selected = selector?.color;
  if (isColor(selected)) return { activeColor: selected, maintenance: false };
  const returnsTo = annotations?.[ACTIVE_COLOR_ANNOTATION];
  if (selected === MAINTENANCE && isColor(returnsTo)) return { activeColor: returnsTo, maintenance: true };
  return undefined;
}

/**
 * Why going from `before` to `after` in one update is refused, or undefined when it is not: a
 * maintenance toggle (on or off) together with a change of `activeColor`.
 */
export function toggleWithPromotionProblem(before: TrafficState, after: TrafficState): string | undefined {
  if (before.maintenance === after.maintenance || before.activeColor === after.activeColor) return undefined;
  const promotion = `\`activeColor\` changes from \`${before.activeColor}\` to \`${after.activeColor}\``;
  return after.maintenance
    ? `traffic would go from \`${before.activeColor}\` straight to the maintenance page while ${promotion} in the same update: a promotion and a maintenance toggle are two commits; turn maintenance on alone first (\`activeColor\` stays \`${before.activeColor}\`), then promote while in maintenance`
    : `traffic would leave the maintenance page straight for \`${after.activeColor}\` while ${promotion} in the same update: a promotion and a maintenance toggle are two commits; promote while still in maintenance first, then turn maintenance off alone`;
}
