/**
 * Entry point of the jobs image: `node dist/jobs/cli.js <command> [flags]`.
 * Each command lives in its own module under jobs/commands/ and exports `run(argv)`, which resolves
 * to the process exit code (0 only on full success). Commands parse their flags with ./flags:
 * `cli <command> --help` ends that parse, and the usage it carries is printed here (exit 0).
 */
import { listenForSignals } from "./backup/interruption";
import { HelpRequested } from "./flags";
import { JobError, logFailure } from "./log";

/**
 * Commands that clean up on SIGTERM/SIGINT start listening here, before their modules load (a
 * tenth of a second or more): a signal during start-up then ends them with their one error line
 * and exit code, instead of killing node without a word. Other commands keep node's default.
 */
const CLEAN_UP_ON_SIGNALS = ["backup", "restore-check", "restore"];
if (CLEAN_UP_ON_SIGNALS.includes(process.argv[2])) listenForSignals();

type Command = { run(argv: string[]): Promise<number> };

/** Command name -> module loader; loaded lazily so one command's dependencies never slow another. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  backup: () => import("./commands/backup"),
  "restore-check": () => import("./commands/restoreCheck"),
  restore: () => import("./commands/restore"),
  migrate: () => import("./commands/migrate"),
  smoke: () => import("./commands/smoke"),
  verify: () => import("./commands/verify"),
  "maintenance-page": () => import("./commands/maintenancePage"),
};

function usage(): string {
  return [
    "usage: cli <command> [flags]",
    `commands: ${Object.keys(COMMANDS).sort().join(", ") || "(none)"}`,
    "`cli <command> --help` prints a command's flags, the environment it reads and its exit codes",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    logFailure("cli", new JobError(`unknown command \`${name}\`; ${usage().replace(/\n/g, "; ")}`));
    return 2;
  }
  try {
    return await (await load()).run(rest);
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${error.usage}\n`);
      return 0;
    }
    logFailure(name, error);
    return error instanceof JobError ? error.exitCode : 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    logFailure("cli", error);
    process.exitCode = 1;
  },
);
