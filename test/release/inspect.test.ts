/**
 * `status`, `history`, `check-drift` and promote's drift check against the kubectl and pulumi
 * stand-ins (their answers are what the real CLIs print), on copies of the stack files in a git
 * repository of their own.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SECRET_CONFIG_KEYS, validateStackConfig } from "../../config";
import { mergeStackConfig, withoutSecrets } from "../../lib/stackFile";
import { switchTarget } from "../../release/switchTarget";
import { ROOT } from "../helpers/program";
import { ClusterState, COMPLETE_JOB, fakeCluster, readyDeployment, recordConfigMap } from "./fakeCluster";
import { copyStacks, release, replaceOnce } from "./harness";

const SHOP = `config:
  bluegreen:app: shop
  bluegreen:namespace: shop-staging
  bluegreen:services:
    bff: { port: 8080, callers: [web] }
    web: { port: 3000 }
  bluegreen:activeColor: blue
  bluegreen:colors:
    blue:
      images:
        bff: ghcr.io/acme/bff:1.4.0
        web: ghcr.io/acme/web:1.4.0
      replicas: 2
    green:
      images:
        bff: ghcr.io/acme/bff:1.5.0
        web: ghcr.io/acme/web:1.5.0
      replicas: 2
  bluegreen:jobsImage: ghcr.io/acme/shop-jobs:1.5.0
`;
const GREEN_LIVE = replaceOnce(SHOP, "activeColor: blue", "activeColor: green");

function parsed(stackText: string) {
  const projectText = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
  const result = validateStackConfig(withoutSecrets(mergeStackConfig(projectText, stackText), SECRET_CONFIG_KEYS));
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.config;
}

const smoke = (color: "blue" | "green") => switchTarget(parsed(SHOP), "shop", "bluegreen", color).services.map((s) => s.smokeJobName!);

/** Both colors rolled out and smoke-tested; the live Services select `live`; the state says `live`. */
function cluster(live: string, changes: Partial<ClusterState> = {}): ClusterState {
  return {
    deployments: {
      "shop-bff-blue": readyDeployment("ghcr.io/acme/bff:1.4.0"),
      "shop-web-blue": readyDeployment("ghcr.io/acme/web:1.4.0"),
      "shop-bff-green": readyDeployment("ghcr.io/acme/bff:1.5.0"),
      "shop-web-green": readyDeployment("ghcr.io/acme/web:1.5.0"),
    },
    jobs: Object.fromEntries([...smoke("blue"), ...smoke("green")].map((name) => [name, COMPLETE_JOB])),
    services: { "shop-bff": live, "shop-web": live },
    outputs: { activeColor: live },
    ...changes,
  };
}

const git = (dir: string, ...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** A copy of the stack files in a new git repository, `shop` committed as `text`. */
function repo(text = SHOP) {
  const copy = copyStacks();
  copy.write("shop", text);
  git(copy.dir, "init", "-q", "-b", "main");
  git(copy.dir, "config", "user.name", "Alice Oncall");
  git(copy.dir, "config", "user.email", "alice@example.com");
  git(copy.dir, "add", ".");
  git(copy.dir, "commit", "-qm", "shop: blue live");
  return { ...copy, commit: (message: string) => (git(copy.dir, "commit", "-qam", message), git(copy.dir, "rev-parse", "HEAD")) };
}

let restore = () => {};
afterEach(() => restore());

function install(state: ClusterState) {
  const fake = fakeCluster(state);
  restore = fake.install();
  return fake;
}

describe("status reads the cluster", () => {
  it("shows what each color runs, the live color per source, an instant rollback, and agreement", async () => {
    install(cluster("blue"));
    const copy = repo();
    const head = git(copy.dir, "rev-parse", "HEAD");
    const result = await release(copy.dir, ["status", "-s", "shop"]);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(result.out.split("\n")).toEqual([
      "Stack shop · app shop · namespace shop-staging · Pulumi.shop.yaml",
      "Live: blue",
      `Live per source: cluster blue, Pulumi.shop.yaml blue, HEAD ${head.slice(0, 7)} blue, Pulumi state blue`,
      "",
      "  service  color  role  image                   Pods ready/wanted  rollout   smoke",
      "  bff      blue   live  ghcr.io/acme/bff:1.4.0  2/2                complete  complete",
      "  bff      green  idle  ghcr.io/acme/bff:1.5.0  2/2                complete  complete",
      "  web      blue   live  ghcr.io/acme/web:1.4.0  2/2                complete  complete",
      "  web      green  idle  ghcr.io/acme/web:1.5.0  2/2                complete  complete",
      "",
      "Rollback: instant. green is ready (Deployments rolled out and available, smoke passed): `npx bluegreen rollback -s shop --apply`",
      "Last switch: none recorded in the cluster (`npx bluegreen history` also reads Pulumi's and git's history)",
      "Watch: none recorded",
      "",
      "The cluster, the stack file, HEAD and the Pulumi state agree.",
    ]);
  });

  it("-o json: the documented shape, with every Deployment's readiness and every Job's state", async () => {
    const state = cluster("blue");
    state.deployments["shop-web-green"] = { ...(readyDeployment("ghcr.io/acme/web:1.5.0") as object), status: { observedGeneration: 3, updatedReplicas: 2, availableReplicas: 1, readyReplicas: 1 } };
    state.jobs["shop-migrate-abc"] = { metadata: { labels: { role: "migration" } }, status: { conditions: [{ type: "Failed", status: "True" }] } };
    install(state);
    const copy = repo();
    const result = await release(copy.dir, ["status", "-s", "shop", "-o", "json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out);
    expect(Object.keys(report)).toEqual(["schema", "stack", "app", "namespace", "stackFile", "live", "head", "services", "releaseJobs", "rollback", "lastSwitch", "watch", "problems", "unread"]);
    expect(report.schema).toBe("bluegreen.status/v1");
    expect(report.live).toEqual({ stackFile: "blue", head: "blue", state: "blue", cluster: "blue" });
    expect(report.services.map((s: any) => [s.name, s.liveService, s.selects])).toEqual([["bff", "shop-bff", "blue"], ["web", "shop-web", "blue"]]);
    expect(report.services[1].colors.green).toEqual({
      image: "ghcr.io/acme/web:1.5.0",
      deployment: { name: "shop-web-green", image: "ghcr.io/acme/web:1.5.0", replicas: 2, ready: 1, available: 1, updated: 2, rollout: "progressing" },
      smokeJob: { name: smoke("green")[1], state: "complete" },
    });
    expect(report.releaseJobs).toEqual([{ name: "shop-migrate-abc", role: "migration", state: "failed" }]);
    expect(report.rollback).toEqual({ to: "green", instant: false, problems: ["service `web`: Deployment `shop-web-green` has 1 of 2 Pods available, so `green` cannot take traffic now; fix or revert its release first"] });
    expect(report.problems).toEqual([{ kind: "release", message: "release Job `shop-migrate-abc` (migration) failed", fix: "kubectl logs -n shop-staging job/shop-migrate-abc" }]);
    expect(report.unread).toEqual([]);
  });

  it("names a switch made outside the file (drift) with who and when from its record, and exits 3", async () => {
    install(
      cluster("green", {
        records: [
          {
            metadata: { name: "shop-record-1", labels: { app: "shop", "bluegreen.dev/record": "switch" } },
            data: { "record.json": JSON.stringify({ kind: "switch", at: "2026-12-03T03:12:09.412Z", stack: "shop", from: "blue", to: "green", images: {}, how: "rollback --apply", who: "bob" }) },
          },
        ],
      }),
    );
    const copy = repo();
    const result = await release(copy.dir, ["status", "-s", "shop"]);
    expect(result.code).toBe(3);
    const lines = result.out.split("\n");
    expect(lines.slice(lines.indexOf("Disagreements and problems:"))).toEqual([
      "Disagreements and problems:",
      "  drift: the cluster serves `green` (rollback --apply by bob at 2026-12-03T03:12:09Z) but Pulumi.shop.yaml says `blue`: traffic was switched outside this file, and the next `pulumi up` would switch it back",
      "    fix: git pull (if the switch was pushed), or make the file say what is live: npx bluegreen rollback -s shop   then commit and push",
    ]);
    expect(lines).toContain("Last switch: 2026-12-03T03:12:09Z blue → green by bob (rollback --apply)");
  });

  it("names an uncommitted switch, a split between live Services and a stale Pulumi state", async () => {
    install(cluster("green", { outputs: { activeColor: "blue" } }));
    const copy = repo();
    copy.write("shop", GREEN_LIVE);
    const uncommitted = JSON.parse((await release(copy.dir, ["status", "-s", "shop", "-o", "json"])).out);
    expect(uncommitted.problems.map((p: any) => p.kind)).toEqual(["uncommitted", "state"]);
    expect(uncommitted.problems[0].fix).toBe('git commit Pulumi.shop.yaml -m "shop: green is live" && git push');
    expect(uncommitted.problems[1].fix).toMatch(/^pulumi refresh -s shop --target 'urn:pulumi:shop::bluegreen::.*shop-bff-live' --target '.*shop-web-live'$/);

    restore();
    install(cluster("green", { services: { "shop-bff": "blue", "shop-web": "green" } }));
    const split = await release(copy.dir, ["status", "-s", "shop", "-o", "json"]);
    expect(split.code).toBe(3);
    const report = JSON.parse(split.out);
    expect(report.live.cluster).toBe("split");
    expect(report.problems[0].message).toBe("the live Services disagree (`shop-bff` selects blue, `shop-web` selects green): a switch did not finish");
  });

  it("without a cluster or a stack: the stack file's view, and what could not be read", async () => {
    const copy = repo();
    const result = await release(copy.dir, ["status", "-s", "shop"]);
    expect(result.code).toBe(0);
    const lines = result.out.split("\n");
    expect(lines[0]).toBe("Stack shop (Pulumi.shop.yaml)");
    expect(lines.slice(-3)).toEqual([
      `Live per source: cluster (not read), Pulumi.shop.yaml blue, HEAD ${git(copy.dir, "rev-parse", "--short=7", "HEAD")} blue, Pulumi state (not read)`,
      "Not read: cluster: kubectl get services,deployments,jobs,configmaps -n shop-staging -l app in (shop,shop-bff,shop-web) -o json: The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?",
      "Not read: state: pulumi stack output --stack shop: error: no stack found: log in to its backend",
    ]);
  });

  it("uses the stack's kubernetes:context for every kubectl call", async () => {
    const fake = install(cluster("blue"));
    const copy = repo(`${SHOP}  kubernetes:context: prod-eu\n`);
    await release(copy.dir, ["status", "-s", "shop"]);
    const kubectl = fake.calls().filter((call) => call[0] === "kubectl");
    expect(kubectl.length).toBeGreaterThan(0);
    for (const call of kubectl) expect(call.slice(1, 3)).toEqual(["--context", "prod-eu"]);
  });
});

describe("check-drift (the deploy's guard)", () => {
  it("refuses with exit 3 when the cluster serves a color neither commit put there", async () => {
    install(
      cluster("green", {
        records: [
          {
            metadata: { name: "shop-record-1", labels: { app: "shop", "bluegreen.dev/record": "switch" } },
            data: { "record.json": JSON.stringify({ kind: "switch", at: "2026-12-03T03:12:09.412Z", stack: "shop", from: "blue", to: "green", images: {}, how: "rollback --apply", who: "bob" }) },
          },
        ],
      }),
    );
    const copy = repo();
    const since = git(copy.dir, "rev-parse", "HEAD");
    copy.write("shop", `${SHOP}# an unrelated change\n`);
    const head = copy.commit("docs");
    const result = await release(copy.dir, ["check-drift", "-s", "shop", "--since", since]);
    expect(result).toEqual({
      code: 3,
      out: "",
      err: `check-drift: refused: the cluster serves \`green\` (rollback --apply by bob at 2026-12-03T03:12:09Z), but git said \`blue\` at ${since} and says \`blue\` at ${head.slice(0, 7)}: this deploy would switch traffic back to \`blue\`. Make git true first: commit \`activeColor: green\` to Pulumi.shop.yaml (\`npx bluegreen rollback -s shop\` writes it) and push; the deploy of that commit switches nothing`,
    });
  });

  it("lets the deploy go ahead when the cluster is where the previous commit or this one left it", async () => {
    const copy = repo();
    install(cluster("blue"));
    copy.write("shop", GREEN_LIVE);
    copy.commit("shop: promote green");
    // A promotion: the cluster still serves the previous commit's color.
    expect((await release(copy.dir, ["check-drift", "-s", "shop"])).code).toBe(0);
    restore();
    // The rollback was pushed: this commit says what the cluster serves.
    install(cluster("green"));
    const pushed = await release(copy.dir, ["check-drift", "-s", "shop"]);
    expect(pushed).toEqual({ code: 0, out: "check-drift: the cluster serves green, where git left it; `pulumi up -s shop` may go ahead.", err: "" });
  });

  it("refuses with exit 1 when the cluster cannot be read", async () => {
    const result = await release(repo().dir, ["check-drift", "-s", "shop"]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^check-drift: cannot read the cluster: kubectl get .*connection to the server .* was refused.*; check the kubeconfig and context, then rerun$/);
  });
});

describe("promote compares the live color with the cluster first", () => {
  it("refuses with exit 3 when the cluster serves another color than the file's, writing nothing", async () => {
    install(cluster("green"));
    const copy = repo();
    const result = await release(copy.dir, ["promote", "-s", "shop"]);
    expect(result.code).toBe(3);
    expect(result.err).toBe(
      "promote: refused: the cluster serves `green`, but Pulumi.shop.yaml says `blue` is live: traffic was switched outside this file; run `git pull` or `npx bluegreen status -s shop` and make the file agree first; nothing was written",
    );
    expect(copy.read("shop")).toBe(SHOP);
  });
});

describe("rollback --apply records the switch in the cluster", () => {
  it("writes who, how, from, to, the images and HEAD as a labelled ConfigMap", async () => {
    const fake = install(cluster("green"));
    const copy = repo(GREEN_LIVE);
    const result = await release(copy.dir, ["rollback", "--apply", "-s", "shop"]);
    expect(result.code).toBe(0);
    const records = fake.state().records as any[];
    expect(records).toHaveLength(1);
    expect(records[0].metadata.name).toMatch(/^shop-record-\d{8}t\d{9}z-[0-9a-f]{4}$/);
    expect(records[0].metadata.labels).toEqual({ app: "shop", "bluegreen.dev/record": "switch" });
    const record = JSON.parse(records[0].data["record.json"]);
    expect({ ...record, at: typeof record.at }).toEqual({
      kind: "switch",
      at: "string",
      stack: "shop",
      from: "green",
      to: "blue",
      images: { bff: "ghcr.io/acme/bff:1.4.0", web: "ghcr.io/acme/web:1.4.0" },
      how: "rollback --apply",
      who: "Alice Oncall",
      commit: git(copy.dir, "rev-parse", "HEAD"),
    });
    // status then shows it, and names the uncommitted switch.
    const status = await release(copy.dir, ["status", "-s", "shop"]);
    expect(status.code).toBe(3);
    expect(status.out).toContain(`by Alice Oncall (rollback --apply) from ${git(copy.dir, "rev-parse", "--short=7", "HEAD")}`);
    expect(status.out).toContain("  uncommitted: the cluster and Pulumi.shop.yaml serve `blue`");
  });
});

describe("rollback --apply keeps the newest 50 switch records", () => {
  const FORBIDDEN = 'Error from server (Forbidden): configmaps "shop-record-20200101t000000000z-00aa" is forbidden: User "alice" cannot delete resource "configmaps"';
  /** 52 switch records an hour apart, and 4 watch records. */
  const older = () => [...Array.from({ length: 52 }, (_, hours) => recordConfigMap("shop", "switch", hours)), ...[0, 1, 2, 3].map((hours) => recordConfigMap("shop", "watch", hours))];
  // A loaded machine may print a progress line while `pulumi up` runs: not what is asserted here.
  const withoutProgress = (err: string) => err.split("\n").filter((line) => !line.startsWith("  … waiting for ")).join("\n");
  const switchNames = (records: any[]) => records.filter((r) => r.metadata.labels["bluegreen.dev/record"] === "switch").map((r) => r.metadata.name);

  it("52 records and the rollback's: the 3 oldest switch records are deleted; status and history show the rollback first", async () => {
    const fake = install(cluster("green", { records: older() }));
    const copy = repo(GREEN_LIVE);
    const result = await release(copy.dir, ["rollback", "--apply", "-s", "shop"]);
    expect(result.code).toBe(0);
    expect(withoutProgress(result.err)).toBe("");
    const records = fake.state().records as any[];
    const kept = switchNames(records);
    expect(kept).toHaveLength(50);
    expect(kept.slice(0, 49)).toEqual(Array.from({ length: 49 }, (_, i) => recordConfigMap("shop", "switch", i + 3).metadata.name));
    expect(JSON.parse(records.at(-1).data["record.json"])).toMatchObject({ kind: "switch", from: "green", to: "blue", how: "rollback --apply", who: "Alice Oncall" });
    expect(records.filter((r) => r.metadata.labels["bluegreen.dev/record"] === "watch")).toHaveLength(4);
    expect(fake.calls().filter((call) => call[1] === "delete")).toEqual([
      ["kubectl", "delete", "configmap", "-n", "shop-staging", "--ignore-not-found", "--wait=false", ...[0, 1, 2].map((hours) => recordConfigMap("shop", "switch", hours).metadata.name), "--request-timeout=5s"],
    ]);

    const status = (await release(copy.dir, ["status", "-s", "shop"])).out.split("\n");
    expect(status.filter((line) => line.startsWith("Last switch: "))).toEqual([expect.stringMatching(/^Last switch: \S+ green → blue by Alice Oncall \(rollback --apply\) from [0-9a-f]{7}$/)]);
    const history = JSON.parse((await release(copy.dir, ["history", "-s", "shop", "--limit", "60", "-o", "json"])).out);
    expect(history.switches).toHaveLength(50);
    expect(history.switches[0]).toMatchObject({ from: "green", to: "blue", how: "rollback --apply", who: "Alice Oncall" });
    expect(history.switches.at(-1).at).toBe("2020-01-01T03:00:00.000Z");
  });

  it("a refused delete: the switch is done and the record written, the failure printed on stderr", async () => {
    const fake = fakeCluster(cluster("green", { records: older() }));
    restore = fake.install({ deleteFails: FORBIDDEN });
    const copy = repo(GREEN_LIVE);
    const result = await release(copy.dir, ["rollback", "--apply", "-s", "shop"]);
    expect(result.code).toBe(0);
    expect(fake.state().services).toEqual({ "shop-bff": "blue", "shop-web": "blue" });
    expect(switchNames(fake.state().records as any[])).toHaveLength(53);
    const oldest = [0, 1, 2].map((hours) => recordConfigMap("shop", "switch", hours).metadata.name).join(" ");
    expect(withoutProgress(result.err)).toBe(
      `The switch is done and recorded, but older switch records of shop were not deleted (kubectl delete configmap -n shop-staging --ignore-not-found --wait=false ${oldest}: ${FORBIDDEN}); the next write retries (it needs \`delete\` on ConfigMaps in shop-staging).`,
    );
    expect(result.out).toContain("Next: commit the stack file, so git and the cluster agree:");
  });
});

describe("maintenance on|off", () => {
  const WITH_PAGE = `${SHOP}  bluegreen:maintenance:\n    enabled: false\n`;
  const page = () => ({ "shop-maintenance": readyDeployment("ghcr.io/acme/shop-jobs:1.5.0", 1) });

  it("without --apply: the edit and the commands, nothing run", async () => {
    const fake = install(cluster("blue"));
    const copy = repo(WITH_PAGE);
    const result = await release(copy.dir, ["maintenance", "on", "-s", "shop"]);
    expect(result.code).toBe(0);
    expect(copy.read("shop")).toBe(WITH_PAGE.replace("enabled: false", "enabled: true"));
    expect(result.out).toContain('  git commit -am "shop: maintenance on (traffic to the maintenance page)"');
    expect(fake.calls().some((call) => call[0] === "pulumi")).toBe(false);
  });

  it("--apply: checks the page, switches every live Service to it in one targeted update, records it; off returns to the live color", async () => {
    const fake = install(cluster("blue", { deployments: { ...cluster("blue").deployments, ...page() } }));
    const copy = repo(WITH_PAGE);
    const on = await release(copy.dir, ["maintenance", "on", "-s", "shop", "--apply"]);
    expect(on.code).toBe(0);
    expect(fake.state().services).toEqual({ "shop-bff": "maintenance", "shop-web": "maintenance" });
    expect(on.out).toMatch(/Traffic is on maintenance: shop-bff flipped \d+\.\d s, shop-web \d+\.\d s after the start/);
    const pulumi = fake.calls().filter((call) => call[0] === "pulumi");
    expect(pulumi).toHaveLength(1);
    expect(pulumi[0].filter((arg) => arg === "--target")).toHaveLength(2);
    copy.commit("shop: maintenance on");
    // status: the page is where traffic goes, and nothing disagrees about it.
    const status = JSON.parse((await release(copy.dir, ["status", "-s", "shop", "-o", "json"])).out);
    expect(status.live).toMatchObject({ stackFile: "maintenance", head: "maintenance", cluster: "maintenance" });
    expect(status.problems).toEqual([]);
    // A rollback --apply now would move nothing: refused.
    expect((await release(copy.dir, ["rollback", "-s", "shop", "--apply"])).code).toBe(1);
    const off = await release(copy.dir, ["maintenance", "off", "-s", "shop", "--apply"]);
    expect(off.code).toBe(0);
    expect(fake.state().services).toEqual({ "shop-bff": "blue", "shop-web": "blue" });
    const records = (fake.state().records as any[]).map((r) => JSON.parse(r.data["record.json"]));
    expect(records.map((r) => [r.from, r.to, r.how])).toEqual([["blue", "maintenance", "maintenance"], ["maintenance", "blue", "maintenance"]]);
  });

  it("refuses --apply when the page is not ready, and a toggle in the same commit as a promotion", async () => {
    install(cluster("blue"));
    const copy = repo(WITH_PAGE);
    const refused = await release(copy.dir, ["maintenance", "on", "-s", "shop", "--apply"]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("Deployment `shop-maintenance` is not in the cluster, so the maintenance page cannot take traffic now; `pulumi up -s shop` starts it");
    expect(copy.read("shop")).toBe(WITH_PAGE);
    expect((await release(copy.dir, ["promote", "-s", "shop"])).code).toBe(0);
    const mixed = await release(copy.dir, ["maintenance", "on", "-s", "shop"]);
    expect(mixed.code).toBe(1);
    expect(mixed.err.split("\n")[0]).toBe("bluegreen maintenance: refused: nothing was written");
  });
});

describe("status shows the maintenance page", () => {
  const WITH_PAGE = `${SHOP}  bluegreen:maintenance:\n    enabled: false\n`;
  const IN_MAINTENANCE = WITH_PAGE.replace("enabled: false", "enabled: true");
  const withPage = (live: string, page: unknown) => cluster(live, { deployments: { ...cluster(live).deployments, "shop-maintenance": page }, outputs: { activeColor: "blue" } });

  it("a row for the page, idle while traffic is on a color", async () => {
    install(withPage("blue", readyDeployment("ghcr.io/acme/shop-jobs:1.5.0", 1)));
    const copy = repo(WITH_PAGE);
    const result = await release(copy.dir, ["status", "-s", "shop"]);
    expect(result.code).toBe(0);
    expect(result.out.split("\n").slice(3, 11)).toEqual([
      "",
      "  service  color        role  image                         Pods ready/wanted  rollout   smoke",
      "  bff      blue         live  ghcr.io/acme/bff:1.4.0        2/2                complete  complete",
      "  bff      green        idle  ghcr.io/acme/bff:1.5.0        2/2                complete  complete",
      "  web      blue         live  ghcr.io/acme/web:1.4.0        2/2                complete  complete",
      "  web      green        idle  ghcr.io/acme/web:1.5.0        2/2                complete  complete",
      "  all      maintenance  idle  ghcr.io/acme/shop-jobs:1.5.0  1/1                complete  -",
      "",
    ]);
    const report = JSON.parse((await release(copy.dir, ["status", "-s", "shop", "-o", "json"])).out);
    expect(Object.keys(report)).toEqual(["schema", "stack", "app", "namespace", "stackFile", "live", "head", "services", "maintenancePage", "releaseJobs", "rollback", "lastSwitch", "watch", "problems", "unread"]);
    expect(report.maintenancePage).toEqual({
      image: "ghcr.io/acme/shop-jobs:1.5.0",
      deployment: { name: "shop-maintenance", image: "ghcr.io/acme/shop-jobs:1.5.0", replicas: 1, ready: 1, available: 1, updated: 1, rollout: "complete" },
    });
    expect(report.problems).toEqual([]);
  });

  it("traffic on the page and its Pods not ready: the row is live, and a problem names the fix", async () => {
    const notReady = { ...(readyDeployment("ghcr.io/acme/shop-jobs:1.5.0", 1) as object), status: { observedGeneration: 3, updatedReplicas: 1, availableReplicas: 0, readyReplicas: 0 } };
    install(withPage("maintenance", notReady));
    const copy = repo(IN_MAINTENANCE);
    const result = await release(copy.dir, ["status", "-s", "shop"]);
    expect(result.code).toBe(0);
    const lines = result.out.split("\n");
    expect(lines).toContain("  all      maintenance  live  ghcr.io/acme/shop-jobs:1.5.0  0/1                progressing  -");
    expect(lines.slice(lines.indexOf("Disagreements and problems:"))).toEqual([
      "Disagreements and problems:",
      "  maintenance: traffic is on the maintenance page, but its Deployment `shop-maintenance` has 0 of 1 Pods ready: users get errors, not the page",
      "    fix: kubectl describe deployment shop-maintenance -n shop-staging   (why its Pods are not ready)",
    ]);
    const report = JSON.parse((await release(copy.dir, ["status", "-s", "shop", "-o", "json"])).out);
    expect(report.maintenancePage).toEqual({
      image: "ghcr.io/acme/shop-jobs:1.5.0",
      deployment: { name: "shop-maintenance", image: "ghcr.io/acme/shop-jobs:1.5.0", replicas: 1, ready: 0, available: 0, updated: 1, rollout: "progressing" },
    });
    expect(report.problems).toEqual([
      {
        kind: "maintenance",
        message: "traffic is on the maintenance page, but its Deployment `shop-maintenance` has 0 of 1 Pods ready: users get errors, not the page",
        fix: "kubectl describe deployment shop-maintenance -n shop-staging   (why its Pods are not ready)",
      },
    ]);
  });

  it("traffic on the page and no page in the cluster: `pulumi up` starts it", async () => {
    const fake = install(cluster("maintenance", { outputs: { activeColor: "blue" } }));
    const copy = repo(IN_MAINTENANCE);
    const report = JSON.parse((await release(copy.dir, ["status", "-s", "shop", "-o", "json"])).out);
    expect(report.maintenancePage).toEqual({
      image: "ghcr.io/acme/shop-jobs:1.5.0",
      deployment: { name: "shop-maintenance", replicas: 0, ready: 0, available: 0, updated: 0, rollout: "missing" },
    });
    expect(report.problems).toEqual([
      {
        kind: "maintenance",
        message: "traffic is on the maintenance page, but its Deployment `shop-maintenance` is not in the cluster: users get errors, not the page",
        fix: "pulumi up -s shop   (starts the page)",
      },
    ]);
    // One read, whose selector takes the page's Deployment (labelled `app: shop`) with the services'.
    const reads = fake.calls().filter((call) => call[0] === "kubectl");
    expect(reads).toEqual([["kubectl", "get", "services,deployments,jobs,configmaps", "-n", "shop-staging", "-l", "app in (shop,shop-bff,shop-web)", "-o", "json", "--request-timeout=10s"]]);
  });
});

describe("rollback --apply with a notify section", () => {
  const NOTIFY = `${GREEN_LIVE}  bluegreen:notify:\n    snsTopicArn: arn:aws:sns:eu-west-1:123456789012:releases\n`;
  const NOTICE_URN = "urn:pulumi:shop::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:notify:SwitchNotice$pulumi-nodejs:dynamic/notify:SwitchNotice::shop-switch-notice";

  it("targets the switch notice too, telling the program how and who", async () => {
    const fake = install(cluster("green"));
    const copy = repo(NOTIFY);
    const result = await release(copy.dir, ["rollback", "-s", "shop", "--apply"]);
    expect(result.code).toBe(0);
    const [up] = fake.calls().filter((call) => call[0] === "pulumi");
    expect(up.filter((_, i) => up[i - 1] === "--target")).toEqual([
      "urn:pulumi:shop::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService$kubernetes:core/v1:Service::shop-bff-live",
      "urn:pulumi:shop::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService$kubernetes:core/v1:Service::shop-web-live",
      NOTICE_URN,
    ]);
    expect(process.env.BLUEGREEN_SWITCH_HOW).toBe("rollback --apply");
    expect(process.env.BLUEGREEN_SWITCH_WHO).toBe("Alice Oncall");
    expect(fake.state().services).toEqual({ "shop-bff": "blue", "shop-web": "blue" });
  });

  it("switches without the notice when the stack does not have it yet, and says so", async () => {
    const fake = fakeCluster(cluster("green"));
    restore = fake.install({ noNotice: true });
    const copy = repo(NOTIFY);
    const result = await release(copy.dir, ["rollback", "-s", "shop", "--apply"]);
    expect(result.code).toBe(0);
    expect(fake.calls().filter((call) => call[0] === "pulumi")).toHaveLength(2);
    expect(result.out).toContain("The stack has no switch notice yet (`notify` was added after its last full `pulumi up`): switching without announcing it.");
    expect(fake.state().services).toEqual({ "shop-bff": "blue", "shop-web": "blue" });
  });
});
