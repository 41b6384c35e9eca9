import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Job } from "kubernetes-models/batch/v1";
import { ConfigMap } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MigrationJobSpec, colorMigrationHash, migrationJobHash, planMigrations, runnerCommand } from "../../components/migrationJob";
import { Color, COLORS } from "../../config";
import { PlainConfig, ProgramRun, RegisteredResource, TEST_SECRETS, changedResources, runProgram } from "../helpers/program";
import { JOBS_IMAGE, STACK_IMAGES, STACK_SERVICES, commandExpandSpec, expandJobName, expandJobResource, shippedFiles, smokeJob, sqlExpandSpec, stackRelease } from "../helpers/releaseJobs";

const JOB = "kubernetes:batch/v1:Job";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

/** What both colors' expand Jobs run in staging (sql mode, the repo's migrations/, the stack's jobsImage). */
const expectedStagingSpec = (): MigrationJobSpec => sqlExpandSpec(JOBS_IMAGE.staging);
/** Staging's releases: each color's `service=image` pairs (web and its BFF), as the stack file declares them. */
const STAGING_RELEASES = { blue: stackRelease("staging", "blue"), green: stackRelease("staging", "green") };
/** Staging's expand Job names, blue's then green's. */
const stagingExpandNames = (spec = expectedStagingSpec(), releases: Record<Color, string> = STAGING_RELEASES) => COLORS.map((color) => expandJobName(color, releases[color], spec));
/** Staging's services (qualified names): every Deployment of a color waits on that color's Jobs. */
const SERVICES = STACK_SERVICES.staging;

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

describe("colorMigrationHash", () => {
  const spec: MigrationJobSpec = {
    image: "ghcr.io/acme/jobs:1.0.0",
    command: ["node", "dist/jobs/cli.js", "migrate"],
    files: [
      { name: "001_a.sql", content: "CREATE TABLE a (id int);" },
      { name: "002_b.sql", content: "ALTER TABLE a ADD COLUMN b text;" },
    ],
    phase: "expand",
  };
  const base = colorMigrationHash("blue", "ghcr.io/acme/web:1.4.2", spec);

  it("is the digest of {color, release, image, command, files sorted by name, phase}", () => {
    const expected = createHash("sha256")
      .update(JSON.stringify({ color: "blue", release: "ghcr.io/acme/web:1.4.2", image: spec.image, command: spec.command, files: spec.files, phase: "expand" }))
      .digest("hex")
      .slice(0, 10);
    expect(base).toBe(expected);
    expect(colorMigrationHash("blue", "ghcr.io/acme/web:1.4.2", { ...spec, files: [...spec.files].reverse() })).toBe(base);
    expect(colorMigrationHash("blue", "ghcr.io/acme/web:1.4.2", JSON.parse(JSON.stringify(spec)))).toBe(base);
  });

  it("changes with the color, the color's release, and anything the Job runs", () => {
    const variants = [
      colorMigrationHash("green", "ghcr.io/acme/web:1.4.2", spec),
      colorMigrationHash("blue", "ghcr.io/acme/web:1.5.0", spec),
      colorMigrationHash("blue", "ghcr.io/acme/web:1.4.2", { ...spec, image: "ghcr.io/acme/jobs:1.0.1" }),
      colorMigrationHash("blue", "ghcr.io/acme/web:1.4.2", { ...spec, command: [...spec.command, "--dry-run"] }),
      colorMigrationHash("blue", "ghcr.io/acme/web:1.4.2", { ...spec, files: [spec.files[0], { ...spec.files[1], content: "ALTER TABLE a ADD COLUMN c text;" }] }),
      colorMigrationHash("blue", "ghcr.io/acme/web:1.4.2", { ...spec, files: [spec.files[0]] }),
      colorMigrationHash("blue", "ghcr.io/acme/web:1.4.2", { ...spec, phase: "contract" }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    // Never the hash of the spec alone: the same spec for two colors names two Jobs.
    expect(base).not.toBe(migrationJobHash(spec));
  });
});

describe("planMigrations", () => {
  // A one-service app: the release is the image, and command mode migrates with it.
  const colors = { blue: { release: "web:1.4.2", image: "web:1.4.2", replicas: 2 }, green: { release: "web:1.5.0", image: "web:1.5.0", replicas: 2 } };
  const files = [
    { name: "001_a.sql", content: "x", phase: "expand" as const },
    { name: "002_drop.sql", content: "y", phase: "contract" as const },
  ];

  it("sql mode: one expand Job per deployed color, gating only that color, each running every file from the runner image; no contract while the idle color runs", () => {
    const plan = planMigrations({ mode: "sql", image: "jobs:1", files, lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors, activeColor: "blue" });
    const spec: MigrationJobSpec = {
      image: "jobs:1",
      command: ["node", "dist/jobs/cli.js", "migrate", "--dir", "/migrations", "--phase", "expand", "--lock-timeout", "60", "--ddl-lock-timeout", "5"],
      files: [
        { name: "001_a.sql", content: "x" },
        { name: "002_drop.sql", content: "y" },
      ],
      phase: "expand",
    };
    expect(plan.expand).toEqual([
      { spec, hash: colorMigrationHash("blue", "web:1.4.2", spec), colors: ["blue"] },
      { spec, hash: colorMigrationHash("green", "web:1.5.0", spec), colors: ["green"] },
    ]);
    expect(plan.expand[0].hash).not.toBe(plan.expand[1].hash);
    expect(plan.contract).toBeUndefined();
  });

  it("plans the same expand Jobs whichever color is live", () => {
    for (const mode of ["sql", "command"] as const) {
      const input = { mode, image: "jobs:1", command: ["migrate"], files: mode === "sql" ? files : [], lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors };
      expect(planMigrations({ ...input, activeColor: "green" }).expand, mode).toEqual(planMigrations({ ...input, activeColor: "blue" }).expand);
    }
  });

  it("a color without an image gets no expand Job", () => {
    const greenOnly = { blue: { replicas: 0 }, green: colors.green };
    const plan = planMigrations({ mode: "sql", image: "jobs:1", files, lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors: greenOnly, activeColor: "green" });
    expect(plan.expand.map((j) => [j.colors, j.hash])).toEqual([[["green"], colorMigrationHash("green", "web:1.5.0", plan.expand[0].spec)]]);
  });

  it("sql mode: a contract Job once the idle color runs 0 replicas and contract files exist", () => {
    const retired = { ...colors, green: { release: "web:1.4.2", image: "web:1.4.2", replicas: 2, previewReplicas: 0 } };
    const plan = planMigrations({ mode: "sql", image: "jobs:1", files, lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors: retired, activeColor: "blue" });
    expect(plan.contract?.spec.command).toContain("contract");
    expect(plan.contract?.spec.phase).toBe("contract");
    const noContractFiles = planMigrations({ mode: "sql", image: "jobs:1", files: [files[0]], lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors: retired, activeColor: "blue" });
    expect(noContractFiles.contract).toBeUndefined();
  });

  it("command mode: one Job per deployed color, running the command in that color's image and gating only that color", () => {
    const plan = planMigrations({ mode: "command", command: ["migrate"], files: [], lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors, activeColor: "blue" });
    const spec = (image: string): MigrationJobSpec => ({ image, command: ["migrate"], files: [], phase: "expand" });
    expect(plan.expand).toEqual([
      { spec: spec("web:1.4.2"), hash: colorMigrationHash("blue", "web:1.4.2", spec("web:1.4.2")), colors: ["blue"] },
      { spec: spec("web:1.5.0"), hash: colorMigrationHash("green", "web:1.5.0", spec("web:1.5.0")), colors: ["green"] },
    ]);
    // Both colors on one image still get a Job each, named apart by the color.
    const same = planMigrations({ mode: "command", command: ["migrate"], files: [], lockTimeoutSeconds: 60, ddlLockTimeoutSeconds: 5, colors: { ...colors, green: colors.blue }, activeColor: "blue" });
    expect(same.expand).toEqual([
      { spec: spec("web:1.4.2"), hash: colorMigrationHash("blue", "web:1.4.2", spec("web:1.4.2")), colors: ["blue"] },
      { spec: spec("web:1.4.2"), hash: colorMigrationHash("green", "web:1.4.2", spec("web:1.4.2")), colors: ["green"] },
    ]);
    expect(same.expand[0].hash).not.toBe(same.expand[1].hash);
  });

  it("command mode: the contract command runs on the live image once the idle color is retired", () => {
    const retired = { blue: { release: "web:1.4.2", image: "web:1.4.2", replicas: 0 }, green: { release: "web:1.5.0", image: "web:1.5.0", replicas: 2 } };
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

  it("runs one expand Job per color, named by the color, its release (every service's image) and what it runs, with the restricted pod spec", () => {
    expect(STAGING_RELEASES.blue).toBe("bff=ghcr.io/acme/bff:1.4.2,web=ghcr.io/acme/web:1.4.2");
    expect(migrationJobsOf(run).map((j) => j.name)).toEqual(COLORS.map((color) => expandJobResource(color, STAGING_RELEASES[color], expectedStagingSpec())));
    const hash = colorMigrationHash("blue", "bff=ghcr.io/acme/bff:1.4.2,web=ghcr.io/acme/web:1.4.2", expectedStagingSpec());
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
    // Green's Job runs exactly the same: only its name and hash label differ.
    const greenHash = colorMigrationHash("green", "bff=ghcr.io/acme/bff:1.5.0-rc.2,web=ghcr.io/acme/web:1.5.0-rc.2", expectedStagingSpec());
    expect(greenHash).not.toBe(hash);
    const green = run.get(JOB, `web-migrate-${greenHash}-job`);
    const labels = { ...inputs.metadata.labels, "bluegreen/migration-hash": greenHash };
    expect(green.inputs).toEqual({
      ...inputs,
      metadata: { ...inputs.metadata, name: `web-migrate-${greenHash}`, labels },
      spec: { ...inputs.spec, template: { ...inputs.spec.template, metadata: { ...inputs.spec.template.metadata, labels } } },
    });
    expect(green.deleteBeforeReplace).toBe(true);
    expect(run.outputs.migrationJobs).toEqual({ expand: stagingExpandNames(), contract: "none" });
  });

  it("ships the SQL files in one immutable ConfigMap named by their content, mounted read-only by both colors' Jobs", () => {
    expect(run.ofType(CONFIG_MAP)).toHaveLength(1);
    const [configMap] = run.ofType(CONFIG_MAP);
    expect(configMap.inputs.immutable).toBe(true);
    expect(configMap.inputs.data).toEqual(Object.fromEntries(shippedFiles().map((f) => [f.name, f.content])));
    expect(migrationJobsOf(run)).toHaveLength(2);
    for (const job of migrationJobsOf(run)) {
      const pod = job.inputs.spec.template.spec;
      expect(pod.volumes, job.name).toContainEqual({ name: "migrations", configMap: { name: configMap.inputs.metadata.name } });
      expect(pod.containers[0].volumeMounts, job.name).toContainEqual({ name: "migrations", mountPath: "/migrations", readOnly: true });
    }
    expect(configMap.inputs.metadata.name).toMatch(/^web-migrations-[0-9a-f]{10}$/);
  });

  it("makes each color's Deployments (web's and the BFF's) wait for that color's own expand Job, whichever color is live", async () => {
    const [blueJob, greenJob] = COLORS.map((color) => run.get(JOB, expandJobResource(color, STAGING_RELEASES[color], expectedStagingSpec())));
    const flipped = await runProgram("staging", { edit: (c) => (c.activeColor = "blue") });
    expect(flipped.error).toBeUndefined();
    for (const service of SERVICES) {
      const envSecret = run.get("kubernetes:core/v1:Secret", `${service}-env`).urn;
      // Staging: green is live, blue idle; the live color waits on its own (unchanged) Job too.
      expect(run.get(DEPLOYMENT, `${service}-blue`).dependencies, service).toEqual([blueJob.urn, envSecret]);
      expect(run.get(DEPLOYMENT, `${service}-green`).dependencies, service).toEqual([greenJob.urn, envSecret]);
      expect(flipped.get(DEPLOYMENT, `${service}-blue`).dependencies, service).toEqual([blueJob.urn, envSecret]);
      expect(flipped.get(DEPLOYMENT, `${service}-green`).dependencies, service).toEqual([greenJob.urn, envSecret]);
    }
  });

  it("registers Kubernetes objects that validate against the schema", () => {
    for (const job of migrationJobsOf(run)) expect(() => new Job(job.inputs).validate(), job.name).not.toThrow();
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

  it("the baseline runs blue's and green's expand Jobs", () => {
    expect(baseline.error).toBeUndefined();
    expect(jobNames(baseline)).toEqual([...stagingExpandNames()].sort());
  });

  it("a promotion (flipping activeColor) changes no migration resource and no Job name", async () => {
    const flipped = await runProgram("staging", { edit: (c) => (c.activeColor = "blue") });
    expect(flipped.error).toBeUndefined();
    const migrationKeys = new Set(migrationResources(baseline).map((r) => `${r.type}::${r.name}`));
    expect(migrationResources(flipped).map((r) => `${r.type}::${r.name}`).sort()).toEqual([...migrationKeys].sort());
    expect(changedResources(baseline, flipped).filter((k) => migrationKeys.has(k))).toEqual([]);
    expect(jobNames(flipped)).toEqual(jobNames(baseline));
    const allJobNames = (run: ProgramRun) => run.ofType(JOB).map((j) => j.inputs.metadata.name).sort();
    expect(allJobNames(flipped)).toEqual(allJobNames(baseline));
  });

  /** New images on a color: a release of both services, or of one of them (still a new release of the color). */
  const newImages: [string, Record<string, string>][] = [
    ["both services' images", { web: "ghcr.io/acme/web:1.6.0", bff: "ghcr.io/acme/bff:1.6.0" }],
    ["the BFF's image only", { bff: "ghcr.io/acme/bff:1.6.0" }],
  ];
  it.each(COLORS.flatMap((color) => newImages.map(([what, images]) => [color, what, images] as const)))("a release on %s (%s, sql mode) re-runs that color's expand Job only; the other color's keeps its name", async (color, _what, images) => {
    const release = await runProgram("staging", { edit: (c) => Object.assign(c.colors[color].images, images) });
    expect(release.error).toBeUndefined();
    const releases = { ...STAGING_RELEASES, [color]: stackRelease("staging", color, images) };
    expect(releases[color]).not.toBe(STAGING_RELEASES[color]);
    const [before, after] = [stagingExpandNames(), stagingExpandNames(expectedStagingSpec(), releases)];
    expect(release.outputs.migrationJobs).toEqual({ expand: after, contract: "none" });
    const other = color === "blue" ? 1 : 0;
    const own = 1 - other;
    expect(after[other]).toBe(before[other]);
    expect(after[own]).not.toBe(before[own]);
    // The other color's Job is the same resource with the same inputs: nothing re-runs for it.
    const otherJob = `${before[other]}-job`;
    expect(release.get(JOB, otherJob).wireInputs).toEqual(baseline.get(JOB, otherJob).wireInputs);
    // The ConfigMap of files is unchanged: the new Job runs the same files.
    expect(release.ofType(CONFIG_MAP).map((c) => c.inputs.metadata.name)).toEqual(baseline.ofType(CONFIG_MAP).map((c) => c.inputs.metadata.name));
  });

  it("a new runner image, lock timeout or migration file gives both colors' Jobs new names", async () => {
    const image = await runProgram("staging", { edit: (c) => (c.migrations.image = "ghcr.io/acme/migrate-runner:1.0.1") });
    const jobsImage = await runProgram("staging", { edit: (c) => (c.jobsImage = "ghcr.io/acme/web-jobs:1.6.0-rc.1") });
    const timeout = await runProgram("staging", { edit: (c) => (c.migrations.lockTimeoutSeconds = 60) });
    const dir = copyMigrations(path.join(tmp, "added"));
    fs.writeFileSync(path.join(dir, "006_add_orders_note.sql"), "ALTER TABLE orders ADD COLUMN note text;\n");
    const added = await runProgram("staging", { edit: (c) => (c.migrations.directory = dir) });
    const expected: [ProgramRun, MigrationJobSpec][] = [
      [baseline, expectedStagingSpec()],
      [image, sqlExpandSpec("ghcr.io/acme/migrate-runner:1.0.1")],
      [jobsImage, sqlExpandSpec("ghcr.io/acme/web-jobs:1.6.0-rc.1")],
      [timeout, { ...expectedStagingSpec(), command: runnerCommand("expand", 60, 10) }],
      [added, sqlExpandSpec(JOBS_IMAGE.staging, shippedFiles(dir))],
    ];
    for (const [run, spec] of expected) {
      expect(run.error).toBeUndefined();
      expect(run.outputs.migrationJobs).toEqual({ expand: stagingExpandNames(spec), contract: "none" });
    }
    expect(shippedFiles(dir).map((f) => f.name)).toContain("006_add_orders_note.sql");
    // Ten distinct names: each change renames both colors' Jobs.
    expect(new Set(expected.flatMap(([run]) => jobNames(run))).size).toBe(10);
    // Same files copied elsewhere: same content, same Jobs.
    const copied = await runProgram("staging", { edit: (c) => (c.migrations.directory = copyMigrations(path.join(tmp, "copy"))) });
    expect(jobNames(copied)).toEqual(jobNames(baseline));
  });

  it("command mode: a Job per color running its first service's (web's) image; a new image on blue changes only blue's Job, and each color waits on its own", async () => {
    const before = await runProgram("staging", { edit: commandMode });
    const after = await runProgram("staging", {
      edit: (c) => {
        commandMode(c);
        c.colors.blue.images.web = "ghcr.io/acme/web:1.6.0-rc.1";
      },
    });
    const bffOnly = await runProgram("staging", {
      edit: (c) => {
        commandMode(c);
        c.colors.blue.images.bff = "ghcr.io/acme/bff:1.6.0-rc.1";
      },
    });
    expect(before.error).toBeUndefined();
    expect(after.error).toBeUndefined();
    expect(bffOnly.error).toBeUndefined();
    /** A color's command-mode Job: named by its release, running web's image (the migrating service: the first one). */
    const name = (color: Color, images: Record<string, string> = {}) =>
      expandJobName(color, stackRelease("staging", color, images), commandExpandSpec(images.web ?? STACK_IMAGES.staging[color]));
    const greenName = name("green");
    const oldBlueName = name("blue");
    const blueName = name("blue", { web: "ghcr.io/acme/web:1.6.0-rc.1" });
    expect(before.outputs.migrationJobs).toEqual({ expand: [oldBlueName, greenName], contract: "none" });
    expect(after.outputs.migrationJobs).toEqual({ expand: [blueName, greenName], contract: "none" });
    // A new BFF image is a new release of blue too: blue's Job is renamed, and still runs web's image.
    const bffBlueName = name("blue", { bff: "ghcr.io/acme/bff:1.6.0-rc.1" });
    expect(new Set([oldBlueName, blueName, bffBlueName]).size).toBe(3);
    expect(bffOnly.outputs.migrationJobs).toEqual({ expand: [bffBlueName, greenName], contract: "none" });
    expect(bffOnly.get(JOB, `${bffBlueName}-job`).inputs.spec.template.spec.containers[0].image).toBe("ghcr.io/acme/web:1.4.2");
    const blueJob = after.get(JOB, `${blueName}-job`);
    const greenJob = after.get(JOB, `${greenName}-job`);
    expect(blueJob.inputs.spec.template.spec.containers[0].image).toBe("ghcr.io/acme/web:1.6.0-rc.1");
    expect(blueJob.inputs.spec.template.spec.containers[0].command).toEqual(["npx", "prisma", "migrate", "deploy"]);
    expect(greenJob.inputs.spec.template.spec.containers[0].image).toBe("ghcr.io/acme/web:1.5.0-rc.2");
    for (const service of SERVICES) {
      const envSecret = after.get("kubernetes:core/v1:Secret", `${service}-env`).urn;
      expect(after.get(DEPLOYMENT, `${service}-blue`).dependencies, service).toEqual([blueJob.urn, envSecret]);
      // Green is live and waits on its own Job, which the release on blue leaves as it is.
      expect(after.get(DEPLOYMENT, `${service}-green`).dependencies, service).toEqual([greenJob.urn, envSecret]);
      expect(after.get(DEPLOYMENT, `${service}-green`).dependencies, service).toEqual(before.get(DEPLOYMENT, `${service}-green`).dependencies);
    }
    expect(greenJob.wireInputs).toEqual(before.get(JOB, `${greenName}-job`).wireInputs);
    expect(after.ofType(CONFIG_MAP)).toEqual([]);
    expect(blueJob.inputs.spec.template.spec.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }]);
  });

  it("runs the contract Job only once the idle color is retired, after both expand Jobs, every Deployment and the switch of both live Services", async () => {
    const dir = copyMigrations(path.join(tmp, "contract"));
    fs.writeFileSync(path.join(dir, "006_drop_users_legacy.sql"), "-- migrate:contract\nALTER TABLE users DROP COLUMN IF EXISTS legacy_name;\n");
    const running = await runProgram("staging", { edit: (c) => (c.migrations.directory = dir) });
    expect(running.error).toBeUndefined();
    expect(migrationJobsOf(running).map((j) => j.inputs.metadata.labels["bluegreen/phase"])).toEqual(["expand", "expand"]);
    const retired = await runProgram("staging", {
      edit: (c) => {
        c.migrations.directory = dir;
        c.colors.blue.previewReplicas = 0;
      },
    });
    expect(retired.error).toBeUndefined();
    const jobs = migrationJobsOf(retired);
    expect(jobs).toHaveLength(3);
    const files = shippedFiles(dir);
    const contractSpec: MigrationJobSpec = { image: JOBS_IMAGE.staging, command: runnerCommand("contract", 300, 10), files, phase: "contract" };
    const contract = retired.get(JOB, `web-migrate-${migrationJobHash(contractSpec)}-job`);
    expect(contract.inputs.metadata.labels["bluegreen/phase"]).toBe("contract");
    expect(contract.inputs.spec.template.spec.containers[0].command).toEqual(runnerCommand("contract", 300, 10));
    // Retiring blue renames no expand Job: blue keeps its Job, and its Deployment still waits on it.
    const expandNames = stagingExpandNames(sqlExpandSpec(JOBS_IMAGE.staging, files));
    expect(jobNames(running)).toEqual([...expandNames].sort());
    const [blueExpand, greenExpand] = expandNames.map((n) => retired.get(JOB, `${n}-job`));
    for (const service of SERVICES) {
      const env = retired.get("kubernetes:core/v1:Secret", `${service}-env`).urn;
      expect(retired.get(DEPLOYMENT, `${service}-blue`).dependencies, service).toEqual([blueExpand.urn, env]);
      expect(retired.get(DEPLOYMENT, `${service}-green`).dependencies, service).toEqual([greenExpand.urn, env]);
    }
    // After both expand Jobs, every service's Deployments, the live color's smoke Jobs and the switch
    // of every live Service; plus what its Pod reads.
    expect([...contract.dependencies].sort()).toEqual(
      [
        blueExpand.urn,
        greenExpand.urn,
        ...SERVICES.flatMap((service) => [
          retired.get(DEPLOYMENT, `${service}-blue`).urn,
          retired.get(DEPLOYMENT, `${service}-green`).urn,
          smokeJob(retired, service, "green").urn,
          retired.get("kubernetes:core/v1:Service", `${service}-live`).urn,
        ]),
        retired.get("kubernetes:core/v1:Secret", "web-database").urn,
        retired.ofType(CONFIG_MAP)[0].urn,
      ].sort(),
    );
    expect(retired.outputs.migrationJobs).toEqual({ expand: expandNames, contract: contract.inputs.metadata.name });
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
