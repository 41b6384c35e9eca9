/**
 * The GitHub workflows are valid YAML and point at things that exist: stack files, npm scripts,
 * the policy pack, the jobs Dockerfile, and the repository secrets the README documents.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { ROOT } from "./helpers/program";

const WORKFLOWS = path.join(ROOT, ".github/workflows");
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}
interface Job {
  "runs-on": string;
  steps: Step[];
  needs?: string | string[];
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  strategy?: { matrix: { include: Record<string, string>[] } };
}
interface Workflow {
  name: string;
  on: Record<string, any>;
  jobs: Record<string, Job>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
}

function load(file: string): Workflow {
  const doc = parseDocument(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"));
  expect(doc.errors.map((e) => e.message)).toEqual([]);
  return doc.toJS() as Workflow;
}

/** Each job once per matrix entry, with `${{ matrix.x }}` replaced by the entry's values. */
function expandedJobs(workflow: Workflow): { id: string; job: Job }[] {
  return Object.entries(workflow.jobs).flatMap(([id, job]) => {
    const entries = job.strategy?.matrix.include ?? [{}];
    return entries.map((entry) => {
      let text = JSON.stringify(job);
      for (const [key, value] of Object.entries(entry)) text = text.replaceAll(`\${{ matrix.${key} }}`, value).replaceAll(`matrix.${key})`, `'${value}')`);
      return { id, job: JSON.parse(text) as Job };
    });
  });
}

const pulumiSteps = (workflow: Workflow) =>
  expandedJobs(workflow).flatMap(({ id, job }) =>
    job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command !== undefined).map((step) => ({ id, job, step })),
  );

const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).sort();

describe("every workflow", () => {
  it("is one of the three, named and triggered", () => {
    expect(files).toEqual(["deploy.yml", "jobs-image.yml", "pr-preview.yml"]);
    for (const file of files) {
      const workflow = load(file);
      expect(typeof workflow.name).toBe("string");
      expect(Object.keys(workflow.on).length).toBeGreaterThan(0);
      for (const job of Object.values(workflow.jobs)) {
        expect(job["runs-on"]).toBe("ubuntu-latest");
        for (const step of job.steps) expect(Number(step.uses !== undefined) + Number(step.run !== undefined)).toBe(1);
      }
    }
  });

  it.each(files)("%s runs only npm scripts that exist", (file) => {
    const runs = Object.values(load(file).jobs).flatMap((job) => job.steps.map((s) => s.run ?? ""));
    const scripts = runs.flatMap((run) => [...run.matchAll(/npm (?:run (\S+)|(test)\b)/g)].map((m) => m[1] ?? m[2]));
    for (const script of scripts) expect(packageJson.scripts, `npm script ${script}`).toHaveProperty([script]);
  });

  it.each(files)("%s pins every action to a major version", (file) => {
    const uses = Object.values(load(file).jobs).flatMap((job) => job.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
    for (const ref of uses) expect(ref).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
  });

  it.each(files)("%s uses only secrets and variables the README documents", (file) => {
    const text = JSON.stringify(expandedJobs(load(file)));
    const secrets = [
      ...[...text.matchAll(/secrets\.([A-Z0-9_]+)/g)].map((m) => m[1]),
      ...[...text.matchAll(/secrets\[format\('([A-Z0-9_]*)\{0\}([A-Z0-9_]*)', '([A-Z0-9_]+)'\)\]/g)].map((m) => `${m[1]}${m[3]}${m[2]}`),
      ...[...text.matchAll(/vars\.([A-Z0-9_]+)/g)].map((m) => m[1]),
    ];
    expect(text).not.toMatch(/secrets\[format\([^)]*matrix\./);
    for (const name of new Set(secrets)) expect(readme, `README documents ${name}`).toContain(`| \`${name}\` |`);
  });
});

describe("pr-preview.yml", () => {
  const workflow = load("pr-preview.yml");

  it("runs on pull requests: install, lint, type-check, test, lint the migrations, then previews", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
    expect(workflow.jobs.test.steps.map((s) => s.run).filter((r) => r?.startsWith("npm"))).toEqual(["npm ci", "npm run lint", "npm run typecheck", "npm test", "npm run lint:migrations"]);
    expect(workflow.jobs.preview.needs).toBe("test");
  });

  it("previews every stack that has a stack file, with the policy pack, as an edited PR comment", () => {
    const previews = pulumiSteps(workflow);
    expect(previews.map(({ step }) => step.with!["stack-name"])).toEqual(["staging", "production"]);
    for (const { step } of previews) {
      expect(fs.existsSync(path.join(ROOT, `Pulumi.${step.with!["stack-name"]}.yaml`))).toBe(true);
      expect(step.with).toMatchObject({
        command: "preview",
        diff: true,
        policyPacks: "policy",
        "comment-on-pr": true,
        "edit-pr-comment": true,
        "always-include-summary": true,
      });
      expect(step.env).toEqual({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
    }
  });
});

describe("deploy.yml", () => {
  const workflow = load("deploy.yml");

  it("runs on pushes to main", () => {
    expect(workflow.on.push).toEqual({ branches: ["main"] });
  });

  it("updates staging, then production behind the protected environment, one deploy per stack at a time", () => {
    const ups = pulumiSteps(workflow);
    expect(ups.map(({ id, step }) => [id, step.with!.command, step.with!["stack-name"], step.with!.policyPacks])).toEqual([
      ["staging", "up", "staging", "policy"],
      ["production", "up", "production", "policy"],
    ]);
    for (const { job, step } of ups) {
      const stack = step.with!["stack-name"] as string;
      expect(fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`))).toBe(true);
      expect(job.environment).toBe(stack);
      expect(job.concurrency).toEqual({ group: `pulumi-${stack}`, "cancel-in-progress": false });
    }
    expect(workflow.jobs.production.needs).toBe("staging");
  });

  it("runs the post-promotion watch as its own step after pulumi up, only when the live color changed", () => {
    expect((workflow as any).permissions).toEqual({ contents: "write", "id-token": "write" });
    for (const stack of ["staging", "production"]) {
      const steps: any[] = workflow.jobs[stack].steps;
      const up = steps.findIndex((s: any) => s.with?.command === "up");
      const names = steps.map((s: any) => s.name);
      const before = steps.find((s: any) => s.id === "before");
      const after = steps.find((s: any) => s.id === "after");
      expect(steps.indexOf(before)).toBeLessThan(up);
      expect(steps.indexOf(after)).toBeGreaterThan(up);
      expect(before.run).toBe(`echo "active=$(pulumi stack output activeColor -s ${stack} 2>/dev/null || echo none)" >> "$GITHUB_OUTPUT"`);
      const watch = steps[names.indexOf("Post-promotion watch")];
      expect(steps.indexOf(watch)).toBeGreaterThan(steps.indexOf(after));
      expect(watch.if).toBe("steps.before.outputs.active != 'none' && steps.before.outputs.active != steps.after.outputs.active");
      expect(watch.run).toContain(`npx bluegreen watch -s ${stack} --commit`);
    }
  });

  it("reports a failed pulumi up (a releaseFailed notice per failed Job or Deployment) right after it, only when it failed", () => {
    const workflow = load("deploy.yml");
    for (const stack of ["staging", "production"]) {
      const steps: any[] = workflow.jobs[stack].steps;
      const up = steps.findIndex((s: any) => s.id === "up");
      expect(steps[up].with.command).toBe("up");
      const report = steps[up + 1];
      expect(report.name).toBe("Report the failed release");
      expect(report.if).toBe("failure() && steps.up.outcome == 'failure'");
      expect(report.run).toBe(`npx bluegreen report-failure -s ${stack} --reason "pulumi up failed, see $RUN_URL"`);
      expect(report.env.RUN_URL).toBe("${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}");
    }
  });

  it("refuses drift before pulumi up: the cluster's live color against the previous deploy's commit", () => {
    for (const stack of ["staging", "production"]) {
      const steps: any[] = workflow.jobs[stack].steps;
      const up = steps.findIndex((s: any) => s.with?.command === "up");
      const drift = steps.findIndex((s: any) => s.name === "Refuse drift");
      const kubeconfig = steps.findIndex((s: any) => s.name === "Write kubeconfig");
      expect(drift).toBeGreaterThan(kubeconfig);
      expect(drift).toBeLessThan(up);
      expect(steps[drift].run).toBe(`npx bluegreen check-drift -s ${stack} --since "\${BEFORE:-HEAD~1}"`);
      expect(steps[drift].env).toEqual({ BEFORE: "${{ github.event.before }}" });
      // HEAD~1 and the previous deploy's commit must be in the clone.
      expect(steps.find((s: any) => s.uses?.startsWith("actions/checkout@")).with).toEqual({ "fetch-depth": 0 });
    }
  });
});

describe("jobs-image.yml", () => {
  const workflow = load("jobs-image.yml");

  it("builds on changes to jobs/ and pushes to GHCR only from main", () => {
    expect(workflow.on.push.branches).toEqual(["main"]);
    expect(workflow.on.push.paths).toContain("jobs/**");
    expect(workflow.on.pull_request.paths).toContain("jobs/**");
    const build = workflow.jobs.build.steps.find((s) => s.uses?.startsWith("docker/build-push-action@"))!;
    expect(build.with).toMatchObject({ context: ".", file: "jobs/Dockerfile", push: "${{ github.event_name == 'push' }}" });
  });

  it("builds the Dockerfile that exists in jobs/", () => {
    expect(fs.existsSync(path.join(ROOT, "jobs/Dockerfile"))).toBe(true);
  });
});

describe("the policy pack the workflows apply", () => {
  it("is a Pulumi policy pack whose main file exists", () => {
    const manifest = parseDocument(fs.readFileSync(path.join(ROOT, "policy/PulumiPolicy.yaml"), "utf8")).toJS();
    expect(manifest.runtime).toBe("nodejs");
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, "policy/package.json"), "utf8"));
    expect(fs.existsSync(path.join(ROOT, "policy", pack.main))).toBe(true);
    // The pack resolves its dependencies from the root install, at the same versions.
    for (const [name, version] of Object.entries(pack.dependencies)) {
      expect(packageJson.dependencies[name] ?? packageJson.devDependencies[name]).toBe(version);
    }
  });
});

describe("one Node.js line", () => {
  // package.json `engines` names it; everything that runs the code must run that line.
  const engines = /^(\d+)\.x$/.exec(packageJson.engines.node);
  const major = engines?.[1];

  it("is named by package.json `engines` as `<major>.x`", () => {
    expect(engines, `engines.node is \`${packageJson.engines.node}\`: write the Node line as \`<major>.x\``).not.toBeNull();
  });

  it.each(files)("%s sets up that line in every job that installs Node", (file) => {
    const setups = Object.values(load(file).jobs).flatMap((job) => job.steps.filter((s) => s.uses?.startsWith("actions/setup-node@")));
    for (const step of setups) expect(String(step.with?.["node-version"]), `${file}: setup-node's node-version`).toBe(major);
  });

  it("is the jobs image's base, .ci/run's Node and the major of @types/node", () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, "jobs/Dockerfile"), "utf8");
    expect(/^ARG NODE_IMAGE=node:(\d+)-/m.exec(dockerfile)?.[1], "jobs/Dockerfile NODE_IMAGE").toBe(major);
    const ciRun = fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8");
    expect(/^NODE_VERSION=(\d+)\.\d+\.\d+$/m.exec(ciRun)?.[1], ".ci/run NODE_VERSION").toBe(major);
    expect(packageJson.devDependencies["@types/node"].split(".")[0], "@types/node").toBe(major);
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, "policy/package.json"), "utf8"));
    expect(pack.devDependencies["@types/node"].split(".")[0], "policy/package.json @types/node").toBe(major);
  });

  it("is the line the tests run on", () => {
    expect(process.versions.node.split(".")[0], "node running the tests: run them through .ci/run, or put Node on PATH").toBe(major);
  });
});
