import { describe, expect, it } from "vitest";
import { validateStackConfig } from "../../config";
import { DEFAULT_MAINTENANCE_MESSAGE } from "../../config/maintenance";
import { runProgram } from "../helpers/program";

const base = (): Record<string, any> => ({
  app: "shop",
  namespace: "shop-staging",
  production: false,
  activeColor: "blue",
  port: 8080,
  servicePort: 80,
  healthPath: "/healthz",
  readinessPath: "/ready",
  jobsImage: "ghcr.io/acme/jobs:1.0.0",
  colors: { blue: { image: "ghcr.io/acme/shop:1.0.0", replicas: 2 }, green: { replicas: 0 } },
});

const parse = (edit: (c: Record<string, any>) => void) => {
  const raw = base();
  edit(raw);
  return validateStackConfig(raw);
};
const problems = (edit: (c: Record<string, any>) => void) => {
  const result = parse(edit);
  return result.ok ? [] : result.problems;
};

describe("the `maintenance` section", () => {
  it("is absent unless the stack sets it; an empty one is off, with the default message, 300 s and 1 replica", () => {
    const without = parse(() => undefined);
    if (!without.ok) throw new Error(without.problems.join("\n"));
    expect(without.config.maintenance).toBeUndefined();
    const empty = parse((c) => (c.maintenance = {}));
    if (!empty.ok) throw new Error(empty.problems.join("\n"));
    expect(empty.config.maintenance).toEqual({ enabled: false, message: DEFAULT_MAINTENANCE_MESSAGE, retryAfterSeconds: 300, replicas: 1 });
  });

  it("takes every key, trimming the message", () => {
    const result = parse((c) => (c.maintenance = { enabled: true, message: "  Upgrading the database; back at 14:00 UTC. ", retryAfterSeconds: 900, replicas: 2 }));
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(result.config.maintenance).toEqual({ enabled: true, message: "Upgrading the database; back at 14:00 UTC.", retryAfterSeconds: 900, replicas: 2 });
  });

  it("names the key, the bad value and the fix for each bad value, all at once", () => {
    expect(
      problems((c) => (c.maintenance = { enabled: "yes", message: "", retryAfterSeconds: 0, replicas: 0 })),
    ).toEqual([
      "`maintenance.enabled` is `yes`: must be `true` or `false`; set it with `pulumi config set --path maintenance.enabled true`",
      '`maintenance.message` is ``: must be a sentence of 1 to 500 characters for users; set it with `pulumi config set --path maintenance.message "We are upgrading the database; back at 14:00 UTC."`',
      "`maintenance.retryAfterSeconds` is `0`: must be a whole number of seconds from 1 to 86400; set it with `pulumi config set --path maintenance.retryAfterSeconds 300`",
      "`maintenance.replicas` is `0`: must be a whole number of replicas from 1 to 20; set it with `pulumi config set --path maintenance.replicas 2`",
    ]);
    expect(problems((c) => (c.maintenance = { retryAfterSeconds: 2.5, replicas: 21, message: "x".repeat(501) }))).toEqual([
      `\`maintenance.message\` is \`${"x".repeat(501)}\`: must be a sentence of 1 to 500 characters for users; set it with \`pulumi config set --path maintenance.message "We are upgrading the database; back at 14:00 UTC."\``,
      "`maintenance.retryAfterSeconds` is `2.5`: must be a whole number of seconds from 1 to 86400; set it with `pulumi config set --path maintenance.retryAfterSeconds 300`",
      "`maintenance.replicas` is `21`: must be a whole number of replicas from 1 to 20; set it with `pulumi config set --path maintenance.replicas 2`",
    ]);
    expect(problems((c) => (c.maintenance = { message: "   " }))[0]).toMatch(/^`maintenance.message` is `   `: must be a sentence/);
  });

  it("refuses an unknown key with a hint, and a section that is not an object", () => {
    expect(problems((c) => (c.maintenance = { enabeld: true }))).toEqual([
      "`maintenance.enabeld` is not a known key (did you mean `enabled`?): remove it with `pulumi config rm --path maintenance.enabeld`",
    ]);
    expect(problems((c) => (c.maintenance = true))).toEqual([
      "`maintenance` is `true`: must be an object with `enabled`, `message`, `retryAfterSeconds` and `replicas`, each optional",
    ]);
  });

  it("needs `jobsImage`, in one line whichever section asks for it first", () => {
    const noJobs = (c: Record<string, any>) => {
      delete c.jobsImage;
      c.smoke = { enabled: false };
      c.maintenance = {};
    };
    expect(problems(noJobs)).toEqual([
      "`maintenance` is set but `jobsImage` is not: the maintenance page runs from the jobs image (`node dist/jobs/cli.js maintenance-page`); set it with `pulumi config set jobsImage ghcr.io/acme/web-jobs:1.5.0`, or remove the section with `pulumi config rm maintenance`",
    ]);
    // The smoke gate reports it first; the section adds no second line.
    expect(
      problems((c) => {
        delete c.jobsImage;
        c.maintenance = {};
      }),
    ).toEqual(["`jobsImage` is not set: the smoke gate runs in the jobs image; set it with `pulumi config set jobsImage ghcr.io/acme/web-jobs:1.5.0`"]);
  });

  it("is checked before any resource is created", async () => {
    const run = await runProgram("staging", { edit: (c) => (c.maintenance = { retryAfterSeconds: -5 }) });
    expect(run.error?.message).toBe(
      "Invalid stack config:\n  - `maintenance.retryAfterSeconds` is `-5`: must be a whole number of seconds from 1 to 86400; set it with `pulumi config set --path maintenance.retryAfterSeconds 300`",
    );
    expect(run.resources.filter((r) => r.custom)).toEqual([]);
  });
});
