import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Job } from "kubernetes-models/batch/v1";
import { ConfigMap } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MigrationJobSpec, migrationJobHash, planMigrations, runnerCommand } from "../../components/migrationJob";
import { readMigrations } from "../../jobs/migrate/files";
import { PlainConfig, ProgramRun, ROOT, RegisteredResource, TEST_SECRETS, changedResources, runProgram } from "../helpers/program";

const JOB = "kubernetes:batch/v1:Job";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

const shippedFiles = () => readMigrations(path.join(ROOT, "migrations")).map((f) => ({ name: f.name, content: f.sql }));

/** The expand Job the real stack files should produce (sql mode, the repo's migrations/). */
function expectedStagingSpec(): MigrationJobSpec {
  return { image: "ghcr.io/acme/web-jobs:1.5.0-rc.2", command: runnerCommand("expand", 300, 10), files: shippedFiles(), phase: "expand" };
}

/** The migration Jobs (other Jobs, such as smoke tests, carry other roles). */
const migrationJobsOf = (run: ProgramRun): RegisteredResource[] => run.ofType(JOB).filter((r) => r.inputs.metadata.labels?.role === "migration");
const migrationResources = (run: ProgramRun) =>
  run.resources.filter((r) => (r.type === JOB && r.inputs.metadata.labels?.role === "migration") || r.type === CONFIG_MAP || r.type.startsWith("bluegreen:k8s:Migration"));

function commandMode(c: PlainConfig) {
  c.migrations = { mode: "command", command: ["npx", "prisma", "migrate", "deploy"] };
}

describe("migrationJobHash", () => {
  const base: MigrationJobSpec = {
    image: "ghcr.io/acme/jobs:1.0.0",
    command: ["node", "dist/jobs/cli.js", "migrate"],
    files: [
      { name: "001_a.sql", content: "CREATE TABLE a (id int);" },
      { name: "002_b.sql", content: "ALTER TABLE a ADD COLUMN b text;" },
    ],
    phase: "expand",
  };

  it("is a 10-digit hex string that depends only on what the Job runs", () => {
    expect(migrationJobHash(base)).toMatch(/^[0-9a-f]{10}$/);
    expect(migrationJobHash({ ...base, files: [...base.files].reverse() })).toBe(migrationJobHash(base));
    expect(migrationJobHash(JSON.parse(JSON.stringify(base)))).toBe(migrationJobHash(base));
  });

  it("changes when the image, command, a file's name or content, or the phase changes", () => {
    const variants: MigrationJobSpec[] = [
      { ...base, image: "ghcr.io/acme/jobs:1.0.1" },
      { ...base, command: [...base.command, "--dry-run"] },
      { ...base, files: [base.files[0], { ...base.files[1], content: "ALTER TABLE a ADD COLUMN c text;" }] },
      { ...base, files: [base.files[0], { ...base.files[1], name: "003_b.sql" }] },
      { ...base, files: [base.files[0]] },
      { ...base, phase: "contract" },
    ];
    const hashes = new Set([migrationJobHash(base), ...variants.map(migrationJobHash)]);
    expect(hashes.size).toBe(variants.length + 1);
  });
});

describe("planMigrations", () => {
  const colors = { blue: { image: "web:1.4.2", replicas: 2 }, green: { image: "web:1.5.0", replicas: 2 } };
  const files = [
    { name: "001_a.sql", content: "x", phase: "expand" as const },
    { name: "002_drop.sql", content: "y", phase: "contract" as const },
  ];

  it("sql mode: one expand Job gating every deployed color, no contract while the idle color runs", () => {
    const plan = planMigrations({ mode: "sql", image: "jobs:1", files, lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors, activeColor: "blue" });
    expect(plan.expand.map((j) => j.colors)).toEqual([["blue", "green"]]);
    expect(plan.expand[0].spec.command).toEqual(["node", "dist/jobs/cli.js", "migrate", "--dir", "/migrations", "--phase", "expand", "--lock-timeout", "60", "--ddl-lock-timeout", "5"]);
    expect(plan.contract).toBeUndefined();
  });

  it("sql mode: a contract Job once the idle color runs 0 replicas and contract files exist", () => {
    const retired = { ...colors, green: { image: "web:1.4.2", replicas: 2, previewReplicas: 0 } };
    const plan = planMigrations({ mode: "sql", image: "jobs:1", files, lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors: retired, activeColor: "blue" });
    expect(plan.contract?.spec.command).toContain("contract");
    expect(plan.contract?.spec.phase).toBe("contract");
    const noContractFiles = planMigrations({ mode: "sql", image: "jobs:1", files: [files[0]], lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors: retired, activeColor: "blue" });
    expect(noContractFiles.contract).toBeUndefined();
  });

  it("command mode: one Job per distinct color image, each gating the colors running it", () => {
    const plan = planMigrations({ mode: "command", command: ["migrate"], files: [], lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors, activeColor: "blue" });
    expect(plan.expand.map((j) => [j.spec.image, j.colors])).toEqual([
      ["web:1.4.2", ["blue"]],
      ["web:1.5.0", ["green"]],
    ]);
    const same = planMigrations({ mode: "command", command: ["migrate"], files: [], lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors: { ...colors, green: colors.blue }, activeColor: "blue" });
    expect(same.expand.map((j) => j.colors)).toEqual([["blue", "green"]]);
  });

  it("command mode: the contract command runs on the live image once the idle color is retired", () => {
    const retired = { blue: { image: "web:1.4.2", replicas: 0 }, green: { image: "web:1.5.0", replicas: 2 } };
    const plan = planMigrations({ mode: "command", command: ["migrate"], contractCommand: ["contract"], files: [], lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors: retired, activeColor: "green" });
    expect(plan.contract?.spec).toEqual({ image: "web:1.5.0", command: ["contract"], files: [], phase: "contract" });
  });
});

describe("migration Jobs in the stack (staging, sql mode)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("staging");
    if (run.error) throw run.error;
  });

  it("runs one expand Job named by the hash of what it runs, with the restricted pod spec", () => {
    const hash = migrationJobHash(expectedStagingSpec());
    const job = run.get(JOB, `web-migrate-${hash}-job`);
    const inputs = job.inputs;
    expect(inputs.metadata.name).toBe(`web-migrate-${hash}`);
    expect(inputs.metadata.annotations).toEqual({ "pulumi.com/replaceUnready": "true" });
    expect(inputs.metadata.labels).toEqual({ app: "web", role: "migration", "bluegreen/phase": "expand", "bluegreen/migration-hash": hash });
    expect(inputs.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(inputs.spec.backoffLimit).toBe(1);
    expect(inputs.spec.activeDeadlineSeconds).toBe(900);
    expect(job.deleteBeforeReplace).toBe(true);
    const pod = inputs.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } });
    const container = pod.containers[0];
    expect(container.image).toBe("ghcr.io/acme/web-jobs:1.5.0-rc.2"); // the stack's jobsImage
    expect(container.command).toEqual(["node", "dist/jobs/cli.js", "migrate", "--dir", "/migrations", "--phase", "expand", "--lock-timeout", "300", "--ddl-lock-timeout", "10"]);
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
    expect(container.env).toEqual([
      // The database Secret is named by a hash of the URL (see secretNames.test.ts).
      { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "web-database-255d6c1f84", key: "DATABASE_URL" } } },
      { name: "HOME", value: "/tmp" },
    ]);
    // The app's resources (staging sets CPU and memory; ephemeral storage is the default), /tmp as large as its limit.
    expect(container.resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "128Mi" },
      limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "1Gi" },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes[0]).toEqual({ name: "tmp", emptyDir: { sizeLimit: "1Gi" } });
    expect(migrationJobsOf(run)).toHaveLength(1);
  });

  it("ships the SQL files in an immutable ConfigMap named by their content, mounted read-only", () => {
    const [configMap] = run.ofType(CONFIG_MAP);
    expect(configMap.inputs.immutable).toBe(true);
    expect(configMap.inputs.data).toEqual(Object.fromEntries(shippedFiles().map((f) => [f.name, f.content])));
    const pod = migrationJobsOf(run)[0].inputs.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: "migrations", configMap: { name: configMap.inputs.metadata.name } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: "migrations", mountPath: "/migrations", readOnly: true });
    expect(configMap.inputs.metadata.name).toMatch(/^web-migrations-[0-9a-f]{10}$/);
  });

  it("makes only the idle color's Deployment wait for the expand Job; the live color's waits on nothing", () => {
    const job = migrationJobsOf(run)[0];
    const envSecret = run.get("kubernetes:core/v1:Secret", "web-env").urn;
    // Staging: green is live, blue idle (where releases land).
    expect(run.get(DEPLOYMENT, "web-blue").dependencies).toEqual([job.urn, envSecret]);
    expect(run.get(DEPLOYMENT, "web-green").dependencies).toEqual([envSecret]);
  });

  it("registers Kubernetes objects that validate against the schema", () => {
    expect(() => new Job(migrationJobsOf(run)[0].inputs).validate()).not.toThrow();
    expect(() => new ConfigMap(run.ofType(CONFIG_MAP)[0].inputs).validate()).not.toThrow();
  });

  it("never puts DATABASE_URL in plain text into a resource or a stack output", () => {
    const url = TEST_SECRETS.staging.databaseUrl;
    let wrapped = 0;
    const withoutSecrets = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(withoutSecrets);
      if (value && typeof value === "object") {
        if (SECRET_SIGNATURE in value) {
          if (JSON.stringify(value).includes(url)) wrapped++;
          return "[secret]";
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v)]));
      }
      return value;
    };
    for (const resource of run.resources) {
      expect(JSON.stringify(withoutSecrets(resource.wireInputs)), `${resource.type} ${resource.name}`).not.toContain("staging-db-password");
    }
    expect(wrapped).toBeGreaterThan(0); // the Secret does hold it, wrapped
    expect(JSON.stringify(run.outputs)).not.toContain("staging-db-password");
  });
});

describe("when the migration Jobs change", () => {
  let baseline: ProgramRun;
  let tmp: string;
  beforeAll(async () => {
    baseline = await runProgram("staging");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "migrations-"));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const jobNames = (run: ProgramRun) => migrationJobsOf(run).map((r) => r.inputs.metadata.name).sort();
  const copyMigrations = (dir: string) => {
    fs.mkdirSync(dir);
    for (const f of shippedFiles()) fs.writeFileSync(path.join(dir, f.name), f.content);
    return dir;
  };

  it("a promotion (flipping activeColor) changes no migration resource", async () => {
    const flipped = await runProgram("staging", { edit: (c) => (c.activeColor = "blue") });
    expect(flipped.error).toBeUndefined();
    const migrationKeys = new Set(migrationResources(baseline).map((r) => `${r.type}::${r.name}`));
    expect(changedResources(baseline, flipped).filter((k) => migrationKeys.has(k))).toEqual([]);
    expect(jobNames(flipped)).toEqual(jobNames(baseline));
  });

  it("an unchanged release (a new app image in sql mode) re-runs nothing", async () => {
    const release = await runProgram("staging", { edit: (c) => (c.colors.blue.image = "ghcr.io/acme/web:1.6.0") });
    expect(jobNames(release)).toEqual(jobNames(baseline));
  });

  it("a new runner image, lock timeout or migration file gives a new Job name", async () => {
    const image = await runProgram("staging", { edit: (c) => (c.migrations.image = "ghcr.io/acme/migrate-runner:1.0.1") });
    const timeout = await runProgram("staging", { edit: (c) => (c.migrations.lockTimeoutSeconds = 60) });
    const dir = copyMigrations(path.join(tmp, "added"));
    fs.writeFileSync(path.join(dir, "006_add_orders_note.sql"), "ALTER TABLE orders ADD COLUMN note text;\n");
    const added = await runProgram("staging", { edit: (c) => (c.migrations.directory = dir) });
    const names = [baseline, image, timeout, added].map((r) => jobNames(r)[0]);
    expect(new Set(names).size).toBe(4);
    // Same files copied elsewhere: same content, same Job.
    const copied = await runProgram("staging", { edit: (c) => (c.migrations.directory = copyMigrations(path.join(tmp, "copy"))) });
    expect(jobNames(copied)).toEqual(jobNames(baseline));
  });

  it("command mode: a Job per color image; a new image on the idle color (blue) changes only blue's Job and only blue waits for it", async () => {
    const before = await runProgram("staging", { edit: commandMode });
    const after = await runProgram("staging", {
      edit: (c) => {
        commandMode(c);
        c.colors.blue.image = "ghcr.io/acme/web:1.6.0-rc.1";
      },
    });
    expect(after.error).toBeUndefined();
    const spec = (image: string): MigrationJobSpec => ({ image, command: ["npx", "prisma", "migrate", "deploy"], files: [], phase: "expand" });
    const greenName = `web-migrate-${migrationJobHash(spec("ghcr.io/acme/web:1.5.0-rc.2"))}`;
    expect(jobNames(before)).toEqual([`web-migrate-${migrationJobHash(spec("ghcr.io/acme/web:1.4.2"))}`, greenName].sort());
    expect(jobNames(after)).toEqual([`web-migrate-${migrationJobHash(spec("ghcr.io/acme/web:1.6.0-rc.1"))}`, greenName].sort());
    const blueJob = migrationJobsOf(after).find((j) => j.inputs.spec.template.spec.containers[0].image === "ghcr.io/acme/web:1.6.0-rc.1")!;
    const greenJob = migrationJobsOf(after).find((j) => j.inputs.metadata.name === greenName)!;
    const envSecret = after.get("kubernetes:core/v1:Secret", "web-env").urn;
    expect(after.get(DEPLOYMENT, "web-blue").dependencies).toEqual([blueJob.urn, envSecret]);
    // Green is live: its Deployment waits on no Job, not even the Job of its own image.
    expect(after.get(DEPLOYMENT, "web-green").dependencies).toEqual([envSecret]);
    expect(greenJob.inputs).toEqual(migrationJobsOf(before).find((j) => j.inputs.metadata.name === greenName)!.inputs);
    expect(after.ofType(CONFIG_MAP)).toEqual([]);
    expect(blueJob.inputs.spec.template.spec.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }]);
  });

  it("runs the contract Job only once the idle color is retired, after the expand Job, both Deployments and the switch", async () => {
    const dir = copyMigrations(path.join(tmp, "contract"));
    fs.writeFileSync(path.join(dir, "006_drop_users_legacy.sql"), "-- migrate:contract\nALTER TABLE users DROP COLUMN IF EXISTS legacy_name;\n");
    const running = await runProgram("staging", { edit: (c) => (c.migrations.directory = dir) });
    expect(migrationJobsOf(running)).toHaveLength(1);
    const retired = await runProgram("staging", {
      edit: (c) => {
        c.migrations.directory = dir;
        c.colors.blue.previewReplicas = 0;
      },
    });
    expect(retired.error).toBeUndefined();
    const jobs = migrationJobsOf(retired);
    expect(jobs).toHaveLength(2);
    const contract = jobs.find((j) => j.inputs.metadata.labels["bluegreen/phase"] === "contract")!;
    const expand = jobs.find((j) => j.inputs.metadata.labels["bluegreen/phase"] === "expand")!;
    expect(contract.inputs.spec.template.spec.containers[0].command).toEqual(runnerCommand("contract", 300, 10));
    expect(contract.dependencies).toEqual(
      expect.arrayContaining([
        expand.urn,
        retired.get(DEPLOYMENT, "web-blue").urn,
        retired.get(DEPLOYMENT, "web-green").urn,
        retired.get("kubernetes:core/v1:Service", "web-live").urn,
      ]),
    );
    expect(retired.outputs.migrationJobs).toEqual({ expand: [expand.inputs.metadata.name], contract: contract.inputs.metadata.name });
  });

  it("a stack without a migrations section has no migration resources", async () => {
    const none = await runProgram("staging", { edit: (c) => delete c.migrations });
    expect(none.error).toBeUndefined();
    expect(migrationResources(none)).toEqual([]);
    expect(none.outputs.migrationJobs).toEqual({ expand: [], contract: "none" });
  });
});

describe("migrations config errors", () => {
  const problems = async (edit: (c: PlainConfig) => void, secrets?: Record<string, string>, stack: "staging" | "production" = "staging") => {
    const run = await runProgram(stack, { edit, secrets });
    expect(run.resources.filter((r) => r.custom)).toEqual([]);
    return (run.error as { problems?: string[] } | undefined)?.problems ?? [];
  };

  it("command mode without a command names `migrations.command`", async () => {
    expect(await problems((c) => (c.migrations = { mode: "command" }))).toEqual([
      "`migrations.command` is not set: command mode runs the app image's own migration command, such as `[npx, prisma, migrate, deploy]`; set it with `pulumi config set --path 'migrations.command[0]' npx` (then `[1]`, `[2]`, ... for each argument)",
    ]);
  });

  it("sql mode without a directory, or with an empty one, names `migrations.directory`", async () => {
    expect(await problems((c) => delete c.migrations.directory)).toEqual([
      "`migrations.directory` is not set: sql mode ships that directory's NNN_name.sql files; set it with `pulumi config set --path migrations.directory migrations`",
    ]);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "empty-migrations-"));
    try {
      expect(await problems((c) => (c.migrations.directory = empty))).toEqual([
        `\`migrations.directory\` is \`${empty}\`: it holds no NNN_name.sql files; add one such as \`001_create_users.sql\`, or remove the \`migrations\` section`,
      ]);
      fs.writeFileSync(path.join(empty, "4_bad.sql"), "SELECT 1;");
      expect(await problems((c) => (c.migrations.directory = empty))).toEqual([
        `\`migrations.directory\` is \`${empty}\`: \`4_bad.sql\` is not a migration file name: use \`NNN_name.sql\` (three or more digits, lowercase letters, digits and \`_\`), such as \`004_add_orders_status.sql\``,
      ]);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it("sql mode without a runner image, and a bad mode, name their keys", async () => {
    const noImage = await problems((c) => {
      delete c.jobsImage;
      c.smoke = { enabled: false };
    });
    expect(noImage).toEqual([
      "`migrations.image` is not set and neither is `jobsImage`: sql mode runs the built-in runner from the jobs image; set it with `pulumi config set jobsImage ghcr.io/acme/web-jobs:1.5.0` (or `pulumi config set --path migrations.image <image>`)",
    ]);
    expect(await problems((c) => (c.migrations.image = "ghcr.io/acme/web-jobs:latest"), undefined, "production")).toEqual([
      "`migrations.image` is `ghcr.io/acme/web-jobs:latest`: production images must be pinned and `latest` moves; use a version tag or a digest",
    ]);
    expect(await problems((c) => (c.migrations.mode = "flyway"))).toEqual([
      "`migrations.mode` is `flyway`: must be `sql` (built-in runner, SQL files) or `command` (the app image's own migration command)",
    ]);
  });

  it("migrations without the `databaseUrl` secret say how to set it", async () => {
    const { databaseUrl: _omitted, ...rest } = TEST_SECRETS.staging;
    expect(
      await problems((c) => {
        c.secretEnv = { SESSION_SECRET: "sessionSecret" };
      }, rest),
    ).toEqual([
      "`databaseUrl` is not set but `migrations` is configured: migration Jobs read the database URL from it; set it with `pulumi config set --secret databaseUrl <url> -s staging`",
    ]);
  });
});
