/**
 * Which migration Jobs a release runs and what names them: pure (no Pulumi SDK), so the release
 * planner, the components and the release CLI share one definition.
 */
import { createHash } from "node:crypto";
import { COLORS, Color, otherColor } from "./names";

/** A color as the migration plan sees it: its release (all its images) and its replicas. */
export interface MigrationColor {
  /** What identifies the color's release (config/services.ts releaseIdentity); undefined: not released. */
  readonly release?: string;
  /** command mode: the image whose own command migrates (the app's, or `migrations.service`'s). */
  readonly image?: string;
  readonly replicas: number;
  readonly previewReplicas?: number;
}

const effectiveReplicas = (color: Color, activeColor: Color, spec: MigrationColor) =>
  color === activeColor ? spec.replicas : (spec.previewReplicas ?? spec.replicas);

export type MigrationPhase = "expand" | "contract";

export interface MigrationFileContent {
  readonly name: string;
  readonly content: string;
}

/** Everything a migration Job runs; its hash names the Job. */
export interface MigrationJobSpec {
  readonly image: string;
  /** The container command with its arguments. */
  readonly command: readonly string[];
  /** The SQL files the Job mounts (sql mode); empty when the image carries its own migrations. */
  readonly files: readonly MigrationFileContent[];
  readonly phase: MigrationPhase;
}

const HASH_LENGTH = 10;

function digest(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, HASH_LENGTH);
}

export function sortedFiles(files: readonly MigrationFileContent[]): MigrationFileContent[] {
  return [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => ({ name: f.name, content: f.content }));
}

/** Short hex hash of what a Job runs. Pure: the same spec always gives the same hash. */
export function migrationJobHash(spec: MigrationJobSpec): string {
  return digest({ image: spec.image, command: [...spec.command], files: sortedFiles(spec.files), phase: spec.phase });
}

/** The expand Job of one color's release: what it runs, for that color and its app image. */
export function colorMigrationHash(color: Color, release: string, spec: MigrationJobSpec): string {
  return digest({ color, release, image: spec.image, command: [...spec.command], files: sortedFiles(spec.files), phase: spec.phase });
}

/** Short hex hash of a file set: the ConfigMap's name suffix. */
export function migrationFilesHash(files: readonly MigrationFileContent[]): string {
  return digest(sortedFiles(files));
}

/** Where the built-in runner finds the SQL files in its container. */
export const MIGRATIONS_MOUNT_PATH = "/migrations";

/** The built-in runner's command for a phase (the jobs image's entry point). */
export function runnerCommand(phase: MigrationPhase, lockTimeoutSeconds: number, ddlLockTimeoutSeconds: number): string[] {
  return [
    "node", "dist/jobs/cli.js", "migrate",
    "--dir", MIGRATIONS_MOUNT_PATH,
    "--phase", phase,
    "--lock-timeout", String(lockTimeoutSeconds),
    "--ddl-lock-timeout", String(ddlLockTimeoutSeconds),
  ];
}

export interface MigrationPlanInput {
  readonly mode: "sql" | "command";
  /** sql mode: the runner image. */
  readonly image?: string;
  /** command mode: the app image's migration command. */
  readonly command?: readonly string[];
  /** command mode: the contract command, if the app has one. */
  readonly contractCommand?: readonly string[];
  /** sql mode: the files shipped (all phases), each with whether it is a contract file. */
  readonly files: readonly (MigrationFileContent & { readonly phase: MigrationPhase })[];
  readonly lockTimeoutSeconds: number;
  /** sql mode: how long a DDL statement may wait for a table lock (0 = no limit). */
  readonly ddlLockTimeoutSeconds: number;
  readonly colors: Readonly<Record<Color, MigrationColor>>;
  readonly activeColor: Color;
}

export interface PlannedMigrationJob {
  readonly spec: MigrationJobSpec;
  readonly hash: string;
  /** Colors whose Deployment waits for this Job. */
  readonly colors: readonly Color[];
}

export interface MigrationPlan {
  readonly expand: readonly PlannedMigrationJob[];
  /** Present only while the idle color is retired (runs 0 replicas). */
  readonly contract?: PlannedMigrationJob;
}

/**
 * Which migration Jobs a stack runs: one expand Job per deployed color, gating only that color's
 * Deployment. Its name hashes the color, the color's app image and what it runs (image, command,
 * files), so a color's Jobs change only with that color's release (or with what every Job runs),
 * never with `activeColor`: the dependency graph is the same whichever color is live, and a switch
 * (even a targeted `pulumi up`) waits on no Job of the other color. Running the same expand files
 * for the second color is a no-op (the runner skips what its history holds).
 * The contract Job exists only while the idle color runs no replicas.
 */
export function planMigrations(input: MigrationPlanInput): MigrationPlan {
  const deployed = COLORS.filter((c) => input.colors[c].release !== undefined);
  const files = input.files.map((f) => ({ name: f.name, content: f.content }));
  const expand: PlannedMigrationJob[] = deployed.map((color) => {
    const release = input.colors[color].release!;
    const spec: MigrationJobSpec =
      input.mode === "sql"
        ? { image: input.image!, command: runnerCommand("expand", input.lockTimeoutSeconds, input.ddlLockTimeoutSeconds), files, phase: "expand" }
        : { image: input.colors[color].image!, command: [...input.command!], files: [], phase: "expand" };
    return { spec, hash: colorMigrationHash(color, release, spec), colors: [color] };
  });

  const idle = otherColor(input.activeColor);
  const retired = effectiveReplicas(idle, input.activeColor, input.colors[idle]) === 0;
  let contract: PlannedMigrationJob | undefined;
  if (retired && input.mode === "sql" && input.files.some((f) => f.phase === "contract")) {
    const spec: MigrationJobSpec = { image: input.image!, command: runnerCommand("contract", input.lockTimeoutSeconds, input.ddlLockTimeoutSeconds), files, phase: "contract" };
    contract = { spec, hash: migrationJobHash(spec), colors: [] };
  } else if (retired && input.mode === "command" && input.contractCommand) {
    const spec: MigrationJobSpec = { image: input.colors[input.activeColor].image!, command: [...input.contractCommand], files: [], phase: "contract" };
    contract = { spec, hash: migrationJobHash(spec), colors: [] };
  }
  return { expand, contract };
}

