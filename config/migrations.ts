/**
 * The `migrations` config section: how a release migrates its database before the new color starts.
 *
 *   mode: sql       the built-in runner (`image`, by default the stack's `jobsImage`) applies
 *                   `directory`'s NNN_name.sql files, shipped as a content-hashed ConfigMap
 *   mode: command   each color's own image runs `command` (e.g. `npx prisma migrate deploy`);
 *                   `contractCommand`, if set, runs once the old color is retired
 *
 * Absent = no migration Jobs. The database URL comes from secret config `databaseUrl`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { MigrationFile, MigrationSetError, readMigrations } from "../jobs/migrate/files";
import { parseImageRef, unpinnedReason } from "../lib/imageRef";

export const MIGRATION_MODES = ["sql", "command"] as const;
export type MigrationMode = (typeof MIGRATION_MODES)[number];

const expect = (message: string) => ({ error: () => message });

const wholeNumber = (min: number, example: number) => {
  const message = `must be a whole number ≥ ${min}; set it with \`pulumi config set --path {key} ${example}\``;
  return z.number(expect(message)).int(expect(message)).min(min, expect(message));
};

const commandSchema = z
  .array(
    z.string(expect("must be a list of non-empty strings, such as `[npx, prisma, migrate, deploy]`")).min(1, expect("must be a list of non-empty strings, such as `[npx, prisma, migrate, deploy]`")),
    expect("must be a list of strings, such as `[npx, prisma, migrate, deploy]`"),
  )
  .min(1, expect("must be a list of strings, such as `[npx, prisma, migrate, deploy]`"));

export const migrationsSchema = z.strictObject(
  {
    mode: z.enum(MIGRATION_MODES, expect("must be `sql` (built-in runner, SQL files) or `command` (the app image's own migration command)")),
    image: z.string(expect("must be the jobs image reference, such as `ghcr.io/acme/bluegreen-jobs:1.0.0`")).min(1).optional(),
    command: commandSchema.optional(),
    contractCommand: commandSchema.optional(),
    /** command mode, an app with `services`: the service whose image runs `command`. @default the first service */
    service: z.string(expect("must name a service of the app, such as `bff`")).min(1, expect("must name a service of the app, such as `bff`")).optional(),
    directory: z.string(expect("must be a directory path relative to the project, such as `migrations`")).optional(),
    lockTimeoutSeconds: wholeNumber(1, 300).default(300),
    ddlLockTimeoutSeconds: wholeNumber(0, 10).default(10),
    backoffLimit: wholeNumber(0, 1).default(1),
    activeDeadlineSeconds: wholeNumber(1, 900).default(900),
    /** sql mode: run `migrate lint` on the files during every preview and up (needs the command plugin). */
    lintAtPreview: z.boolean(expect("must be `true` or `false`")).default(false),
  },
  expect("must be an object with `mode` and, for `sql`, `image` and `directory`, or for `command`, `command`"),
);

export type ParsedMigrations = z.infer<typeof migrationsSchema>;

/** ConfigMaps hold at most 1 MiB; leave room for metadata. */
const CONFIG_MAP_BUDGET_BYTES = 900 * 1024;

/** The resolved section, with the SQL files read (sql mode). */
export interface MigrationsConfig {
  readonly mode: MigrationMode;
  /** sql mode: the runner image (`migrations.image`, else `jobsImage`). */
  readonly image?: string;
  /** command mode: the app image's migration command. */
  readonly command?: readonly string[];
  /** command mode: the contract-phase command, if any. */
  readonly contractCommand?: readonly string[];
  /** command mode, an app with `services`: the service whose image runs the commands. */
  readonly service?: string;
  /** sql mode: the migration files, in version order. */
  readonly files: readonly MigrationFile[];
  readonly lockTimeoutSeconds: number;
  /** sql mode: how long a DDL statement may wait for a table lock; 0 = no limit. */
  readonly ddlLockTimeoutSeconds: number;
  readonly backoffLimit: number;
  readonly activeDeadlineSeconds: number;
  /** sql mode: the directory of the files, absolute, when they are linted at preview. */
  readonly lintDirectory?: string;
}

function readDirectory(directory: string, root: string): { files?: MigrationFile[]; problem?: string } {
  const dir = path.resolve(root, directory);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return { problem: `\`migrations.directory\` is \`${directory}\`: no such directory under the project; create it or point the key at the directory holding the NNN_name.sql files` };
  }
  try {
    const files = readMigrations(dir);
    if (files.length === 0) {
      return { problem: `\`migrations.directory\` is \`${directory}\`: it holds no NNN_name.sql files; add one such as \`001_create_users.sql\`, or remove the \`migrations\` section` };
    }
    const bytes = files.reduce((sum, f) => sum + Buffer.byteLength(f.sql) + f.name.length, 0);
    if (bytes > CONFIG_MAP_BUDGET_BYTES) {
      return { problem: `\`migrations.directory\` is \`${directory}\`: its files total ${bytes} bytes, more than a ConfigMap holds (${CONFIG_MAP_BUDGET_BYTES}); squash old migrations or use \`mode: command\`` };
    }
    return { files };
  } catch (error) {
    if (error instanceof MigrationSetError) return { problem: `\`migrations.directory\` is \`${directory}\`: ${error.message}` };
    throw error;
  }
}

/**
 * Cross-field rules of the section; pure (no files read). `jobsImage` is the stack's jobs image, the
 * sql-mode runner unless `migrations.image` overrides it (its own checks live with `jobsImage`).
 */
export function migrationsProblems(section: ParsedMigrations | undefined, production: boolean, jobsImage?: string, services?: readonly string[]): string[] {
  if (!section) return [];
  const problems: string[] = [];
  if (section.service !== undefined) {
    if (section.mode !== "command") problems.push(`\`migrations.service\` is \`${section.service}\` but \`migrations.mode\` is \`sql\`: only command mode runs a service's image; remove it with \`pulumi config rm --path migrations.service\``);
    else if (!services) problems.push(`\`migrations.service\` is \`${section.service}\` but the stack declares no \`services\`: a one-service app migrates with its own image; remove it with \`pulumi config rm --path migrations.service\``);
    else if (!services.includes(section.service)) problems.push(`\`migrations.service\` is \`${section.service}\`, which is not a service of the app; use one of ${services.map((n) => `\`${n}\``).join(", ")}`);
  }
  if (section.mode === "sql") {
    if (!section.image && !jobsImage) {
      problems.push(
        "`migrations.image` is not set and neither is `jobsImage`: sql mode runs the built-in runner from the jobs image; set it with `pulumi config set jobsImage ghcr.io/acme/web-jobs:1.5.0` (or `pulumi config set --path migrations.image <image>`)",
      );
    } else if (section.image) {
      const ref = parseImageRef(section.image);
      const reason = ref && production ? unpinnedReason(ref) : undefined;
      if (!ref) problems.push(`\`migrations.image\` is \`${section.image}\`: not an image reference; use \`registry/repository:tag\` or \`registry/repository@sha256:<digest>\``);
      else if (reason) problems.push(`\`migrations.image\` is \`${section.image}\`: production images must be pinned and ${reason}; use a version tag or a digest`);
    }
    if (section.directory === undefined || section.directory.trim() === "") {
      problems.push(`\`migrations.directory\` is ${section.directory === undefined ? "not set" : "empty"}: sql mode ships that directory's NNN_name.sql files; set it with \`pulumi config set --path migrations.directory migrations\``);
    }
    for (const key of ["command", "contractCommand"] as const) {
      if (section[key]) problems.push(`\`migrations.${key}\` is set but \`migrations.mode\` is \`sql\`: the built-in runner needs no command; remove it with \`pulumi config rm --path migrations.${key}\``);
    }
  } else {
    if (!section.command) {
      problems.push("`migrations.command` is not set: command mode runs the app image's own migration command, such as `[npx, prisma, migrate, deploy]`; set it with `pulumi config set --path 'migrations.command[0]' npx` (then `[1]`, `[2]`, ... for each argument)");
    }
    for (const key of ["image", "directory"] as const) {
      if (section[key] !== undefined) problems.push(`\`migrations.${key}\` is set but \`migrations.mode\` is \`command\`: each color's own image runs its migrations; remove it with \`pulumi config rm --path migrations.${key}\``);
    }
  }
  return problems;
}

/**
 * The section with its SQL files read from `directory` (relative to `root`, the project directory),
 * or the problems with them. Call after migrationsProblems found none; run by loadConfig only, so
 * that validateStackConfig stays pure.
 */
export function loadMigrations(
  section: ParsedMigrations | undefined,
  jobsImage?: string,
  root = process.cwd(),
): { config?: MigrationsConfig; problems: string[] } {
  if (!section) return { problems: [] };
  let files: MigrationFile[] = [];
  if (section.mode === "sql") {
    const read = readDirectory(section.directory!, root);
    if (read.problem) return { problems: [read.problem] };
    files = read.files!;
  }
  return {
    problems: [],
    config: {
      mode: section.mode,
      image: section.mode === "sql" ? (section.image ?? jobsImage) : undefined,
      command: section.command,
      contractCommand: section.contractCommand,
      service: section.service,
      files,
      lockTimeoutSeconds: section.lockTimeoutSeconds,
      ddlLockTimeoutSeconds: section.ddlLockTimeoutSeconds,
      backoffLimit: section.backoffLimit,
      activeDeadlineSeconds: section.activeDeadlineSeconds,
      lintDirectory: section.mode === "sql" && section.lintAtPreview ? path.resolve(root, section.directory!) : undefined,
    },
  };
}

/** The service whose image runs command-mode migrations: `migrations.service`, else the first service. */
export function migrationService(migrations: Pick<MigrationsConfig, "service">, services: readonly { readonly displayName: string }[]): string {
  return migrations.service ?? services[0].displayName;
}
