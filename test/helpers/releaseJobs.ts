/**
 * What the real stack files release, and the names their per-color Jobs must get: each deployed
 * color has its own expand migration Job (named by colorMigrationHash of the color, its app image
 * and what the Job runs) and its own pre-migration backup Job (keyed by that hash, or by
 * colorReleaseHash(color, image) in a stack without migrations).
 */
import * as path from "node:path";
import { colorReleaseHash } from "../../components/backups";
import { MigrationJobSpec, colorMigrationHash, runnerCommand } from "../../components/migrationJob";
import { Color } from "../../config";
import { readMigrations } from "../../jobs/migrate/files";
import { ProgramRun, RegisteredResource, ROOT, StackName } from "./program";

export const JOB = "kubernetes:batch/v1:Job";
export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const SERVICE = "kubernetes:core/v1:Service";
export const SECRET = "kubernetes:core/v1:Secret";
export const LIVE_SERVICE = `${SERVICE}::web-live`;

/** The colors' app images in the stack files. */
export const STACK_IMAGES: Record<StackName, Record<Color, string>> = {
  staging: { blue: "ghcr.io/acme/web:1.4.2", green: "ghcr.io/acme/web:1.5.0-rc.2" },
  production: { blue: "ghcr.io/acme/web:1.4.2", green: "ghcr.io/acme/web:1.5.0" },
};
/** The stacks' `jobsImage`, which sql mode's migration runner defaults to. */
export const JOBS_IMAGE: Record<StackName, string> = {
  staging: "ghcr.io/acme/web-jobs:1.5.0-rc.2",
  production: "ghcr.io/acme/web-jobs:1.5.0",
};
/** The command-mode migration command the tests configure. */
export const PRISMA = ["npx", "prisma", "migrate", "deploy"];

/** The repo's migrations/ (or another directory) as the files a sql-mode Job ships. */
export const shippedFiles = (dir = path.join(ROOT, "migrations")) => readMigrations(dir).map((f) => ({ name: f.name, content: f.sql }));

/** What a sql-mode expand Job runs: the runner from the jobs image, over every file (default timeouts). */
export const sqlExpandSpec = (runnerImage: string, files = shippedFiles()): MigrationJobSpec => ({
  image: runnerImage,
  command: runnerCommand("expand", 300, 10),
  files,
  phase: "expand",
});
/** What a command-mode expand Job runs: the color's own image and the command. */
export const commandExpandSpec = (image: string): MigrationJobSpec => ({ image, command: PRISMA, files: [], phase: "expand" });

/** The Kubernetes name of a color's expand Job. */
export const expandJobName = (color: Color, image: string, spec: MigrationJobSpec) => `web-migrate-${colorMigrationHash(color, image, spec)}`;
/** The registered (logical) name of a color's expand Job. */
export const expandJobResource = (color: Color, image: string, spec: MigrationJobSpec) => `${expandJobName(color, image, spec)}-job`;
/** The registered name of a color's pre-migration backup Job in a stack without migrations. */
export const releaseBackupResource = (color: Color, image: string) => `web-backups-pre-${colorReleaseHash(color, image)}`;

/** `type::name` of a resource. */
export const keyOf = (r: RegisteredResource) => `${r.type}::${r.name}`;
/** A run's resources by URN, to read dependencies as `type::name`. */
export function dependencyKeys(run: ProgramRun, urns: readonly string[]): string[] {
  const byUrn = new Map(run.resources.map((r) => [r.urn, keyOf(r)]));
  return urns.map((urn) => byUrn.get(urn) ?? `unregistered ${urn}`);
}
/** The migration Jobs' Kubernetes names, sorted. */
export const migrationJobNames = (run: ProgramRun) =>
  run
    .ofType(JOB)
    .filter((j) => j.inputs.metadata.labels?.role === "migration")
    .map((j) => j.inputs.metadata.name as string)
    .sort();
/** Every Job's Kubernetes name, by its registered name. */
export const jobObjectNames = (run: ProgramRun) => Object.fromEntries(run.ofType(JOB).map((j) => [j.name, j.inputs.metadata.name as string]));
