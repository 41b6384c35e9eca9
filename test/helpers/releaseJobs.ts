/**
 * What the real stack files release, and the names their per-color Jobs must get: each deployed
 * color has its own expand migration Job (named by colorMigrationHash of the color, its release and
 * what the Job runs) and its own pre-migration backup Job (keyed by that hash, or by
 * colorReleaseHash(color, release) in a stack without migrations). A color's release is its image
 * in a one-service stack (production), and `service=image` pairs in service-name order in an app of
 * several services (staging: `bff=...,web=...`).
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
/** Staging's second live Service: the BFF's (qualified name `web-bff`). */
export const BFF_LIVE_SERVICE = `${SERVICE}::web-bff-live`;
/** The live Services a switch changes on each stack, sorted like changedResources. */
export const LIVE_SERVICES: Record<StackName, string[]> = {
  staging: [BFF_LIVE_SERVICE, LIVE_SERVICE],
  production: [LIVE_SERVICE],
};
/** The qualified names of each stack's services (the prefix of their objects), `web` first. */
export const STACK_SERVICES: Record<StackName, string[]> = { staging: ["web", "web-bff"], production: ["web"] };

/**
 * Each color's images in the stack files, by service. Production is the one-service shorthand (one
 * service named like the app, `web`); staging declares `services: {web, bff}`.
 */
export const STACK_RELEASES: Record<StackName, Record<Color, Readonly<Record<string, string>>>> = {
  staging: {
    blue: { web: "ghcr.io/acme/web:1.4.2", bff: "ghcr.io/acme/bff:1.4.2" },
    green: { web: "ghcr.io/acme/web:1.5.0-rc.2", bff: "ghcr.io/acme/bff:1.5.0-rc.2" },
  },
  production: { blue: { web: "ghcr.io/acme/web:1.4.2" }, green: { web: "ghcr.io/acme/web:1.5.0" } },
};
/** Whether a stack file is the one-service shorthand (`colors.<c>.image`, no `services`). */
export const SHORTHAND: Record<StackName, boolean> = { staging: false, production: true };
/** The colors' `web` images: the app-named service's, which command-mode migrations run (staging's first service). */
export const STACK_IMAGES: Record<StackName, Record<Color, string>> = {
  staging: { blue: STACK_RELEASES.staging.blue.web, green: STACK_RELEASES.staging.green.web },
  production: { blue: STACK_RELEASES.production.blue.web, green: STACK_RELEASES.production.green.web },
};

/** What identifies a release of these images: the image itself for the shorthand, else `service=image` pairs sorted by service. */
export function releaseIdentity(images: Readonly<Record<string, string>>, shorthand: boolean): string {
  const names = Object.keys(images).sort();
  if (shorthand) {
    if (names.length !== 1) throw new Error(`the shorthand releases one image, got ${names.join(", ")}`);
    return images[names[0]];
  }
  return names.map((name) => `${name}=${images[name]}`).join(",");
}
/** A stack's release of a color, optionally with some services' images replaced. */
export const stackRelease = (stack: StackName, color: Color, images: Readonly<Record<string, string>> = {}) =>
  releaseIdentity({ ...STACK_RELEASES[stack][color], ...images }, SHORTHAND[stack]);
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
/** What a command-mode expand Job runs: the migrating service's image of the color and the command. */
export const commandExpandSpec = (image: string): MigrationJobSpec => ({ image, command: PRISMA, files: [], phase: "expand" });

/** The Kubernetes name of a color's expand Job, from its release (releaseIdentity / stackRelease). */
export const expandJobName = (color: Color, release: string, spec: MigrationJobSpec) => `web-migrate-${colorMigrationHash(color, release, spec)}`;
/** The registered (logical) name of a color's expand Job. */
export const expandJobResource = (color: Color, release: string, spec: MigrationJobSpec) => `${expandJobName(color, release, spec)}-job`;
/** The registered name of a color's pre-migration backup Job in a stack without migrations. */
export const releaseBackupResource = (color: Color, release: string) => `web-backups-pre-${colorReleaseHash(color, release)}`;

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
/**
 * The registered name of a service's smoke Job of a color in a run: `<qualified>-smoke-<color>-<hash>`,
 * named by the same 10-hex hash as its Kubernetes name (a new release is a new resource, not a
 * replacement). Throws unless exactly one Job of the run has such a name.
 */
export function smokeJobResource(run: ProgramRun, qualified: string, color: Color): string {
  if (!/^[a-z0-9-]+$/.test(qualified)) throw new Error(`not a qualified service name: ${qualified}`);
  const pattern = new RegExp(`^${qualified}-smoke-${color}-[0-9a-f]{10}$`);
  const found = run.ofType(JOB).filter((j) => pattern.test(j.name));
  if (found.length !== 1) {
    throw new Error(`expected one ${JOB} named ${qualified}-smoke-${color}-<hash>, found ${found.length}: ${found.map((j) => j.name).join(", ")}`);
  }
  return found[0].name;
}
/** A service's smoke Job of a color in a run (smokeJobResource). */
export const smokeJob = (run: ProgramRun, qualified: string, color: Color): RegisteredResource =>
  run.get(JOB, smokeJobResource(run, qualified, color));
/** `type::name` of a service's smoke Job of a color in a run. */
export const smokeJobKey = (run: ProgramRun, qualified: string, color: Color) => `${JOB}::${smokeJobResource(run, qualified, color)}`;
/**
 * What every live Service of a stack waits on with `color` live: each service's Deployment and smoke
 * Job of that color, in service order (one service's failed release holds the switch of all).
 */
export const liveServiceGates = (run: ProgramRun, stack: StackName, color: Color) =>
  STACK_SERVICES[stack].flatMap((qualified) => [`${DEPLOYMENT}::${qualified}-${color}`, smokeJobKey(run, qualified, color)]);
