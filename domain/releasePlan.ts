/**
 * The release planner: from the stack's colors and services, what one `pulumi up` runs and what
 * waits on what. Pure (no Pulumi SDK); BlueGreenApp turns the plan into resources.
 *
 * - A color's release is every service's image in it (config/services.ts releaseIdentity). Each
 *   released color gets its own pre-migration backup and expand migration Job, named by the color
 *   and its release, shared by all services: every Deployment of that color waits on them.
 * - The dependency graph never changes with `activeColor`: each color waits on its own Jobs
 *   whichever color is live, so a switch touches only the live Services and a targeted update of
 *   them leaves a consistent state.
 * - Every live Service waits on the Deployments and smoke Jobs of **every** service of the active
 *   color: one service's failed release blocks the switch of all.
 * - The contract Job (only while the idle color runs no Pods) runs after every live Service.
 */
import { colorReleaseHash } from "../lib/releaseHash";
import { MigrationPlan, MigrationPlanInput, planMigrations } from "./migrationPlan";
import { COLORS, Color, otherColor } from "./names";

/** One color as the planner sees it. */
export interface PlannedColorInput {
  /** What identifies its release; undefined: the color has no release (not deployed). */
  readonly release?: string;
  /** command-mode migrations: the image whose command migrates. */
  readonly migrationImage?: string;
  readonly replicas: number;
  readonly previewReplicas?: number;
}

/** One service as the planner sees it. */
export interface PlannedServiceInput {
  readonly qualifiedName: string;
  readonly colors: Readonly<Record<Color, { readonly image?: string; readonly replicas: number; readonly previewReplicas?: number }>>;
}

export interface PlanInput {
  readonly activeColor: Color;
  readonly colors: Readonly<Record<Color, PlannedColorInput>>;
  readonly services: readonly PlannedServiceInput[];
  /** The migrations section, without what the plan derives (colors, active color); absent: no migration Jobs. */
  readonly migrations?: Omit<MigrationPlanInput, "colors" | "activeColor">;
  /** Whether a pre-migration backup runs before each release. */
  readonly backups: boolean;
  /** Whether released colors are smoke-tested before they may take traffic. */
  readonly smoke: boolean;
}

/** What a released color's Deployments wait on: its expand Jobs, or (without migrations) its pre-migration backup. */
export type ColorGate = { readonly kind: "expand"; readonly hashes: readonly string[] } | { readonly kind: "backup"; readonly hashes: readonly string[] } | { readonly kind: "none" };

export interface ReleasePlan {
  readonly activeColor: Color;
  readonly idleColor: Color;
  /** Colors with a release, in COLORS order. */
  readonly releasedColors: readonly Color[];
  readonly migrations: MigrationPlan;
  /** The hashes a pre-migration backup Job is keyed on (each waits before that migration or release). */
  readonly preMigrationFor: readonly string[];
  /** What each released color's Deployments wait on. */
  readonly colorGates: Readonly<Partial<Record<Color, ColorGate>>>;
  /** Per service (qualified name): the colors it smoke-tests (those that run Pods) and the image each runs. */
  readonly smoked: Readonly<Record<string, Readonly<Partial<Record<Color, { readonly image: string }>>>>>;
  /** Whether the idle color runs Pods of a release, so a rollback is instant. */
  readonly idleReady: boolean;
}

const running = (color: Color, activeColor: Color, spec: { replicas: number; previewReplicas?: number }) =>
  color === activeColor ? spec.replicas : (spec.previewReplicas ?? spec.replicas);

export function planRelease(input: PlanInput): ReleasePlan {
  const { activeColor } = input;
  const idleColor = otherColor(activeColor);
  const releasedColors = COLORS.filter((color) => input.colors[color].release !== undefined);

  const migrations: MigrationPlan = input.migrations
    ? planMigrations({
        ...input.migrations,
        activeColor,
        colors: Object.fromEntries(
          COLORS.map((color) => {
            const c = input.colors[color];
            return [color, { release: c.release, image: c.migrationImage, replicas: c.replicas, previewReplicas: c.previewReplicas }];
          }),
        ) as MigrationPlanInput["colors"],
      })
    : { expand: [] };

  const releaseHash = (color: Color) => colorReleaseHash(color, input.colors[color].release!);
  // With migrations, one backup before each expand Job; without, one per release of each color.
  const preMigrationFor = !input.backups ? [] : migrations.expand.length > 0 ? migrations.expand.map((j) => j.hash) : releasedColors.map(releaseHash);

  const colorGates: Partial<Record<Color, ColorGate>> = {};
  for (const color of releasedColors) {
    if (migrations.expand.length > 0) colorGates[color] = { kind: "expand", hashes: migrations.expand.filter((j) => j.colors.includes(color)).map((j) => j.hash) };
    else if (input.backups) colorGates[color] = { kind: "backup", hashes: [releaseHash(color)] };
    else colorGates[color] = { kind: "none" };
  }

  const smoked: Record<string, Partial<Record<Color, { image: string }>>> = {};
  for (const service of input.services) {
    const colors: Partial<Record<Color, { image: string }>> = {};
    if (input.smoke) {
      for (const color of COLORS) {
        const spec = service.colors[color];
        if (spec.image && running(color, activeColor, spec) > 0) colors[color] = { image: spec.image };
      }
    }
    smoked[service.qualifiedName] = colors;
  }

  const idle = input.colors[idleColor];
  const idleReady = idle.release !== undefined && (idle.previewReplicas ?? idle.replicas) > 0;
  return { activeColor, idleColor, releasedColors, migrations, preMigrationFor, colorGates, smoked, idleReady };
}
