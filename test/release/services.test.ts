/** The release CLI on an app of several services (a BFF and a web front end released together). */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SECRET_CONFIG_KEYS, validateStackConfig } from "../../config";
import { smokeJob } from "../../components/smokeJob";
import { liveServiceUrn } from "../../domain/names";
import { mergeStackConfig, withoutSecrets } from "../../lib/stackFile";
import { switchTarget } from "../../release/switchTarget";
import { switchedLine, targetedUpArgs } from "../../release/targetedSwitch";
import { ROOT } from "../helpers/program";
import { COMPLETE_JOB, fakeCluster, readyDeployment } from "./fakeCluster";
import { copyStacks, fileView, original, release, replaceOnce, withoutClusterNote } from "./harness";

const SHOP = `# A BFF and a web front end, released together.
config:
  bluegreen:app: shop
  bluegreen:namespace: shop-staging
  bluegreen:services:
    bff: { port: 8080, callers: [web] }
    web: { port: 3000, smoke: { checks: [{ path: /, status: 200 }] } }
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

const GREEN_RETIRED = `    green:
      retired: true
      replicas: 0
`;

function shop(text = SHOP) {
  const copy = copyStacks();
  copy.write("shop", text);
  return copy;
}

function parsed(stackText: string) {
  const projectText = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
  const result = validateStackConfig(withoutSecrets(mergeStackConfig(projectText, stackText), SECRET_CONFIG_KEYS));
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.config;
}

const usage = "usage: bluegreen <command> [arguments] -s <stack> [options]   (bluegreen <command> --help)";

describe("stage on an app with services", () => {
  it("puts every service's image on the idle color in one edit", async () => {
    const copy = shop();
    const result = await release(copy.dir, ["stage", "green", "web=ghcr.io/acme/web:1.6.0", "bff=ghcr.io/acme/bff:1.6.0", "--stack", "shop"]);
    expect(withoutClusterNote(result.err)).toBe("");
    expect(result.code).toBe(0);
    expect(copy.read("shop")).toBe(SHOP.replace("bff:1.5.0", "bff:1.6.0").replace("web:1.5.0", "web:1.6.0"));
    expect(result.out).toBe(
      [
        "--- Pulumi.shop.yaml",
        "+++ Pulumi.shop.yaml",
        "@@ line 16 @@",
        "       images:",
        "-        bff: ghcr.io/acme/bff:1.5.0",
        "-        web: ghcr.io/acme/web:1.5.0",
        "+        bff: ghcr.io/acme/bff:1.6.0",
        "+        web: ghcr.io/acme/web:1.6.0",
        "       replicas: 2",
        "",
        "`pulumi up` rolls green out behind its preview Services; traffic moves only with `npx bluegreen promote -s shop`.",
        "",
        "Next: review the diff, then commit and apply:",
        '  git commit -am "shop: stage bff=ghcr.io/acme/bff:1.6.0, web=ghcr.io/acme/web:1.6.0 on green"',
        "  pulumi up -s shop",
      ].join("\n"),
    );
  });

  it("changes only the images that differ", async () => {
    const copy = shop();
    const result = await release(copy.dir, ["stage", "green", "bff=ghcr.io/acme/bff:1.5.1", "web=ghcr.io/acme/web:1.5.0", "--stack", "shop"]);
    expect(result.code).toBe(0);
    expect(copy.read("shop")).toBe(replaceOnce(SHOP, "bff: ghcr.io/acme/bff:1.5.0", "bff: ghcr.io/acme/bff:1.5.1"));
  });

  it("adds the images to a retired color, scales it back up and clears its marker", async () => {
    const copy = shop(replaceOnce(SHOP, "    green:\n      images:\n        bff: ghcr.io/acme/bff:1.5.0\n        web: ghcr.io/acme/web:1.5.0\n      replicas: 2\n", GREEN_RETIRED));
    const result = await release(copy.dir, ["stage", "green", "bff=ghcr.io/acme/bff:1.6.0", "web=ghcr.io/acme/web:1.6.0", "--stack", "shop"]);
    expect(withoutClusterNote(result.err)).toBe("");
    expect(result.code).toBe(0);
    expect(copy.read("shop")).toBe(
      replaceOnce(
        SHOP,
        "    green:\n      images:\n        bff: ghcr.io/acme/bff:1.5.0\n        web: ghcr.io/acme/web:1.5.0\n      replicas: 2\n",
        "    green:\n      images:\n        bff: ghcr.io/acme/bff:1.6.0\n        web: ghcr.io/acme/web:1.6.0\n      retired: false\n      replicas: 2\n",
      ),
    );
    expect(result.out).toContain("\ngreen was scaled to 0; it is scaled to 2 Pods, as many as blue serves with.\n");
    expect((await release(copy.dir, ["promote", "--stack", "shop"])).code).toBe(0);
  });

  it("staging the images a color already runs changes nothing", async () => {
    const copy = shop();
    const result = await release(copy.dir, ["stage", "green", "bff=ghcr.io/acme/bff:1.5.0", "web=ghcr.io/acme/web:1.5.0", "--stack", "shop"]);
    expect(result).toEqual({
      code: 0,
      out: "`colors.green.images` already holds bff=ghcr.io/acme/bff:1.5.0, web=ghcr.io/acme/web:1.5.0: nothing to change",
      err: "",
    });
  });

  const example = "use `npx bluegreen stage green bff=<image> web=<image> -s shop`";
  it.each([
    [["bff=ghcr.io/acme/bff:1.6.0"], "bluegreen: no image for `web`: a color is a release of every service, and `shop` has services `bff`, `web`; give each, as in `npx bluegreen stage green bff=<image> web=<image> -s shop`"],
    [["bff=ghcr.io/acme/bff:1.6.0", "web=ghcr.io/acme/web:1.6.0", "api=ghcr.io/acme/api:1.0.0"], `bluegreen: \`api=ghcr.io/acme/api:1.0.0\` names no service of the app: \`shop\` has services \`bff\`, \`web\`; ${example}`],
    [["ghcr.io/acme/web:1.6.0"], `bluegreen: \`ghcr.io/acme/web:1.6.0\` is not a \`<service>=<image>\` argument: \`shop\` has services \`bff\`, \`web\`; ${example}`],
    [["bff=", "web=ghcr.io/acme/web:1.6.0"], `bluegreen: \`bff=\` is not a \`<service>=<image>\` argument: \`shop\` has services \`bff\`, \`web\`; ${example}`],
    [["bff=ghcr.io/acme/bff:1.6.0", "bff=ghcr.io/acme/bff:1.6.1", "web=ghcr.io/acme/web:1.6.0"], "bluegreen: `bff` is given twice (`bff=ghcr.io/acme/bff:1.6.0`, `bff=ghcr.io/acme/bff:1.6.1`): give each service's image once, as in `npx bluegreen stage green bff=<image> web=<image> -s shop`"],
  ])("%j is refused in one line naming the argument and the services", async (images, message) => {
    const copy = shop();
    const result = await release(copy.dir, ["stage", "green", ...images, "--stack", "shop"]);
    expect(result).toEqual({ code: 2, out: "", err: `${message}\n${usage}` });
    expect(copy.read("shop")).toBe(SHOP);
  });

  it("refuses the live color, naming the command for the idle one", async () => {
    const copy = shop();
    const result = await release(copy.dir, ["stage", "blue", "bff=ghcr.io/acme/bff:1.6.0", "web=ghcr.io/acme/web:1.6.0", "--stack", "shop"]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      [
        "bluegreen stage: refused: nothing was written",
        "  - cannot stage on `blue`: it is the live color (`activeColor` is `blue`); stage on the idle color `green` with `npx bluegreen stage green bff=ghcr.io/acme/bff:1.6.0 web=ghcr.io/acme/web:1.6.0 -s shop`, then promote it",
      ].join("\n"),
    );
  });

  it("refuses what `pulumi up` would refuse, naming the service's image key", async () => {
    const copy = shop();
    const result = await release(copy.dir, ["stage", "green", "bff=ghcr.io/acme/bff:1.6.0", "web=Not-An-Image!", "--stack", "shop"]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      [
        "bluegreen stage: refused: the edited Pulumi.shop.yaml would fail `pulumi up`; nothing was written",
        "  - `colors.green.images.web` is `Not-An-Image!`: not an image reference; use `registry/repository:tag` or `registry/repository@sha256:<digest>`",
      ].join("\n"),
    );
    expect(copy.read("shop")).toBe(SHOP);
  });
});

describe("the one-service shorthand is unchanged", () => {
  it.each([
    [["web=ghcr.io/acme/web:1.6.0"], "`web=ghcr.io/acme/web:1.6.0` is not one image"],
    [["ghcr.io/acme/web:1.6.0", "ghcr.io/acme/web:1.6.1"], "`ghcr.io/acme/web:1.6.0 ghcr.io/acme/web:1.6.1` is not one image"],
  ])("stage %j is refused: the stack declares no services", async (images, start) => {
    const copy = copyStacks();
    const result = await release(copy.dir, ["stage", "green", ...images, "--stack", "production"]);
    expect(result).toEqual({
      code: 2,
      out: "",
      err: `bluegreen: ${start}: \`web\` is one service (the stack declares no \`services\`); use \`npx bluegreen stage green <image> -s production\`\n${usage}`,
    });
    expect(copy.read("production")).toBe(original("production"));
  });

  it("switchTarget names the one live Service as before", () => {
    const target = switchTarget(parsed(original("production")), "production", "bluegreen", "green");
    expect(target.services).toHaveLength(1);
    expect(target.services[0]).toMatchObject({
      service: "web",
      liveServiceName: "web",
      liveServiceUrn: "urn:pulumi:production::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService$kubernetes:core/v1:Service::web-live",
      deploymentName: "web-green",
      image: "ghcr.io/acme/web:1.5.0",
    });
    expect(target.services[0].smokeJobName).toMatch(/^web-smoke-green-[0-9a-f]{10}$/);
  });

  it("reports the flip in the line it always printed", () => {
    const target = switchTarget(parsed(original("production")), "production", "bluegreen", "green");
    expect(switchedLine(target, { flippedAfterMs: new Map([["web", 2_949]]), finishedAfterMs: 3_210 })).toBe(
      "Traffic is on green: the selector flipped 2.9 s after the start; done after 3.2 s.",
    );
  });
});

describe("status of an app with services", () => {
  it("shows each service's image per color and an instant rollback", async () => {
    const result = await release(shop().dir, ["status", "--stack", "shop"]);
    expect({ ...result, out: fileView(result.out) }).toEqual({
      code: 0,
      err: "",
      out: [
        "Stack shop (Pulumi.shop.yaml)",
        "",
        "  color  role  service  image                   replicas",
        "  blue   live  bff      ghcr.io/acme/bff:1.4.0  2",
        "  blue   live  web      ghcr.io/acme/web:1.4.0  2",
        "  green  idle  bff      ghcr.io/acme/bff:1.5.0  2",
        "  green  idle  web      ghcr.io/acme/web:1.5.0  2",
        "",
        "Live: blue. Idle: green.",
        "Rollback: instant. green already runs as many Pods of each service as blue serves with (bff 2, web 2); `npx bluegreen rollback -s shop` only flips the Service selectors.",
      ].join("\n"),
    });
  });

  it("says which services run fewer Pods while idle", async () => {
    const text = replaceOnce(SHOP, "    bff: { port: 8080, callers: [web] }", "    bff: { port: 8080, callers: [web], replicas: 3, previewReplicas: 1 }");
    const result = await release(shop(text).dir, ["status", "--stack", "shop"]);
    expect(result.code).toBe(0);
    expect(fileView(result.out).split("\n").slice(2)).toEqual([
      "  color  role  service  image                   replicas",
      "  blue   live  bff      ghcr.io/acme/bff:1.4.0  3",
      "  blue   live  web      ghcr.io/acme/web:1.4.0  2",
      "  green  idle  bff      ghcr.io/acme/bff:1.5.0  3 (1 while idle)",
      "  green  idle  web      ghcr.io/acme/web:1.5.0  2",
      "",
      "Live: blue. Idle: green.",
      "Rollback: not instant. green runs fewer Pods than blue serves with (bff 1 of 3, web 2 of 2); `npx bluegreen rollback -s shop` scales it up first and flips traffic once they are ready. Keep it at full size: raise `previewReplicas` of `colors.green` or of `services.bff` to the live size.",
    ]);
  });

  it("says when the idle color has no release", async () => {
    const text = replaceOnce(SHOP, "    green:\n      images:\n        bff: ghcr.io/acme/bff:1.5.0\n        web: ghcr.io/acme/web:1.5.0\n      replicas: 2\n", GREEN_RETIRED);
    const result = await release(shop(text).dir, ["status", "--stack", "shop"]);
    expect(result.code).toBe(0);
    expect(fileView(result.out).split("\n").slice(-5)).toEqual([
      "  green  idle  bff      (none)                  0",
      "  green  idle  web      (none)                  0",
      "",
      "Live: blue. Idle: green.",
      "Rollback: none. green has no image for `bff`, `web`; stage a release of every service first with `npx bluegreen stage green bff=<image> web=<image> -s shop`.",
    ]);
  });
});

describe("promote and rollback of an app with services", () => {
  it("flip the one activeColor key and name every service's image in the commit", async () => {
    const copy = shop();
    const result = await release(copy.dir, ["promote", "--stack", "shop"]);
    expect(result.code).toBe(0);
    expect(copy.read("shop")).toBe(replaceOnce(SHOP, "activeColor: blue", "activeColor: green"));
    expect(result.out).toContain('  git commit -am "shop: promote green (bff=ghcr.io/acme/bff:1.5.0, web=ghcr.io/acme/web:1.5.0) to live"');
    const back = await release(copy.dir, ["rollback", "--stack", "shop"]);
    expect(copy.read("shop")).toBe(SHOP);
    expect(back.out).toContain('  git commit -am "shop: roll back to blue (bff=ghcr.io/acme/bff:1.4.0, web=ghcr.io/acme/web:1.4.0)"');
  });

  it("refuses a color without a release, naming the stage command with every service", async () => {
    const copy = shop(replaceOnce(SHOP, "    green:\n      images:\n        bff: ghcr.io/acme/bff:1.5.0\n        web: ghcr.io/acme/web:1.5.0\n      replicas: 2\n", GREEN_RETIRED));
    const result = await release(copy.dir, ["promote", "--stack", "shop"]);
    expect(result.code).toBe(1);
    expect(withoutClusterNote(result.err).split("\n")).toEqual([
      "bluegreen promote: refused: nothing was written",
      "  - cannot promote `green`: `colors.green.retired` is true, so its schema may be contracted and its code may read what the contract dropped; stage a compatible release first with `npx bluegreen stage green bff=<image> web=<image> -s shop`",
      "  - cannot promote `green`: `colors.green.images` is not set; stage a release of every service first with `npx bluegreen stage green bff=<image> web=<image> -s shop`",
      "  - cannot promote `green`: `colors.green.replicas` is 0, so it would serve no traffic; scale it up first with `pulumi config set --path colors.green.replicas 2 -s shop`",
    ]);
  });
});

describe("retire of an app with services", () => {
  it("scales the idle color to 0, keeps its images, and says a release must be staged again", async () => {
    const copy = shop();
    const result = await release(copy.dir, ["retire", "green", "--stack", "shop"]);
    expect(result.code).toBe(0);
    expect(copy.read("shop")).toBe(
      replaceOnce(SHOP, "    green:\n      images:\n", "    green:\n      retired: true\n      images:\n").replace(/replicas: 2\n  bluegreen:jobsImage/, "replicas: 0\n  bluegreen:jobsImage"),
    );
    expect(result.out).toContain("`colors.green.retired` marks it: promotion and rollback to green are refused until `stage` puts a compatible release on it.\n");
    const status = await release(copy.dir, ["status", "--stack", "shop"]);
    expect(fileView(status.out).split("\n").slice(-1)).toEqual([
      "Rollback: none. green runs no Pods; stage a release of every service first with `npx bluegreen stage green bff=<image> web=<image> -s shop`.",
    ]);
  });
});

describe("the switch target of an app with services", () => {
  const config = parsed(SHOP);
  const target = switchTarget(config, "staging", "bluegreen", "green");
  const smokeJobName = (app: string, image: string, checks: { path: string; status: number }[]) =>
    smokeJob({ ...config.smoke, app, namespace: "shop-staging", color: "green", image, servicePort: 80, checks }).jobName;

  it("names every service's live Service, URN, Deployment, image and smoke Job", () => {
    expect(target.stack).toBe("staging");
    expect(target.namespace).toBe("shop-staging");
    expect(target.color).toBe("green");
    expect(target.services.map((s) => s.service)).toEqual(["bff", "web"]);
    const [bff, web] = target.services;
    expect(bff).toEqual({
      service: "bff",
      qualifiedName: "shop-bff",
      liveServiceName: "shop-bff",
      liveServiceUrn: liveServiceUrn("staging", "bluegreen", "shop-bff"),
      deploymentName: "shop-bff-green",
      image: "ghcr.io/acme/bff:1.5.0",
      smokeJobName: smokeJobName("shop-bff", "ghcr.io/acme/bff:1.5.0", [{ path: "/healthz", status: 200 }]),
    });
    expect(bff.liveServiceUrn).toBe("urn:pulumi:staging::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService$kubernetes:core/v1:Service::shop-bff-live");
    expect(web).toMatchObject({ liveServiceName: "shop-web", liveServiceUrn: liveServiceUrn("staging", "bluegreen", "shop-web"), deploymentName: "shop-web-green" });
    // Each service's Job checks its own paths: web's `/`, not the default `/healthz`.
    expect(web.smokeJobName).toBe(smokeJobName("shop-web", "ghcr.io/acme/web:1.5.0", [{ path: "/", status: 200 }]));
    expect(web.smokeJobName).toMatch(/^shop-web-smoke-green-[0-9a-f]{10}$/);
  });

  it("switches every live Service in one targeted update", () => {
    expect(targetedUpArgs("staging", target.services.map((s) => s.liveServiceUrn))).toEqual([
      "up",
      "--stack",
      "staging",
      "--target",
      "urn:pulumi:staging::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService$kubernetes:core/v1:Service::shop-bff-live",
      "--target",
      "urn:pulumi:staging::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService$kubernetes:core/v1:Service::shop-web-live",
      "--yes",
      "--skip-preview",
      "--non-interactive",
      "--suppress-progress",
      "--color",
      "never",
    ]);
  });

  it("reports each Service's flip from one start", () => {
    expect(switchedLine(target, { flippedAfterMs: new Map([["shop-bff", 2_910], ["shop-web", 2_949]]), finishedAfterMs: 3_210 })).toBe(
      "Traffic is on green: shop-bff flipped 2.9 s, shop-web 2.9 s after the start; done after 3.2 s.",
    );
  });
});

describe("the switch target of a one-service stack that adds a BFF", () => {
  // `web` keeps the app's name, so its objects stay as they were; the BFF's are prefixed.
  const WEB_BFF = replaceOnce(
    replaceOnce(replaceOnce(SHOP, "bluegreen:app: shop", "bluegreen:app: web"), "    bff: { port: 8080, callers: [web] }\n    web:", "    web:"),
    "    web: { port: 3000, smoke: { checks: [{ path: /, status: 200 }] } }\n",
    "    web: { port: 3000, smoke: { checks: [{ path: /, status: 200 }] } }\n    bff: { port: 8080, callers: [web] }\n",
  );

  it("keeps the app's names for the service named like the app, and prefixes the BFF's", () => {
    const target = switchTarget(parsed(WEB_BFF), "staging", "bluegreen", "blue");
    expect(target.services.map(({ service, liveServiceName, liveServiceUrn, deploymentName }) => ({ service, liveServiceName, liveServiceUrn, deploymentName }))).toEqual([
      {
        service: "web",
        liveServiceName: "web",
        liveServiceUrn: "urn:pulumi:staging::bluegreen::bluegreen:k8s:BlueGreenApp$bluegreen:k8s:LiveService$kubernetes:core/v1:Service::web-live",
        deploymentName: "web-blue",
      },
      { service: "bff", liveServiceName: "web-bff", liveServiceUrn: liveServiceUrn("staging", "bluegreen", "web-bff"), deploymentName: "web-bff-blue" },
    ]);
  });
});

describe("rollback --apply of an app with services (kubectl and pulumi stand-ins)", () => {
  // Green was promoted; blue, the rollback, still runs the stack file's images.
  const PROMOTED = replaceOnce(SHOP, "activeColor: blue", "activeColor: green");
  const blue = switchTarget(parsed(PROMOTED), "shop", "bluegreen", "blue");
  const ready = () => ({
    deployments: { "shop-bff-blue": readyDeployment("ghcr.io/acme/bff:1.4.0"), "shop-web-blue": readyDeployment("ghcr.io/acme/web:1.4.0") },
    jobs: Object.fromEntries(blue.services.map((s) => [s.smokeJobName!, COMPLETE_JOB])),
    services: { "shop-bff": "green", "shop-web": "green" },
  });
  let restore = () => {};
  afterEach(() => restore());

  it("checks every service's gate, then switches every live Service in one `pulumi up`", async () => {
    const cluster = fakeCluster(ready());
    restore = cluster.install();
    const copy = shop(PROMOTED);
    const result = await release(copy.dir, ["rollback", "--apply", "--stack", "shop"]);
    expect(withoutClusterNote(result.err)).toBe("");
    expect(result.code).toBe(0);
    expect(copy.read("shop")).toBe(SHOP);
    expect(cluster.state().services).toEqual({ "shop-bff": "blue", "shop-web": "blue" });
    const pulumi = cluster.calls().filter((call) => call[0] === "pulumi");
    expect(pulumi).toEqual([["pulumi", ...targetedUpArgs("shop", blue.services.map((s) => s.liveServiceUrn))]]);
    const watches = cluster.calls().filter((call) => call.includes("--watch"));
    expect(watches).toEqual([
      ["kubectl", "get", "services", "-n", "shop-staging", "-l", "role=live,app in (shop-bff,shop-web)", "--watch", "-o", 'jsonpath={.metadata.name}{" "}{.spec.selector.color}{"\\n"}'],
    ]);
    const lines = result.out.split("\n");
    expect(lines).toContain(
      `Switching the live Services shop-bff, shop-web to blue (pulumi up --target ${blue.services[0].liveServiceUrn} --target ${blue.services[1].liveServiceUrn})...`,
    );
    expect(lines.find((line) => line.startsWith("Traffic is on blue:"))).toMatch(
      /^Traffic is on blue: shop-bff flipped \d+\.\d s, shop-web \d+\.\d s after the start; done after \d+\.\d s\.$/,
    );
    expect(lines.slice(-2)).toEqual([
      "Next: commit the stack file, so git and the cluster agree:",
      '  git commit -am "shop: roll back to blue (bff=ghcr.io/acme/bff:1.4.0, web=ghcr.io/acme/web:1.4.0)" && git push',
    ]);
  });

  it("refuses when any service's gate fails, naming the service, and writes and runs nothing", async () => {
    const state = ready();
    state.deployments["shop-web-blue"] = readyDeployment("ghcr.io/acme/web:1.3.9");
    delete state.jobs[blue.services[0].smokeJobName!];
    const cluster = fakeCluster(state);
    restore = cluster.install();
    const copy = shop(PROMOTED);
    const result = await release(copy.dir, ["rollback", "--apply", "--stack", "shop"]);
    expect(result.code).toBe(1);
    expect(result.out).toBe("");
    expect(result.err.split("\n")).toEqual([
      "bluegreen rollback: refused: nothing was written or applied",
      `  - service \`bff\`: smoke Job \`${blue.services[0].smokeJobName}\` of \`blue\` (ghcr.io/acme/bff:1.4.0) is not in the cluster, so \`blue\` has not passed its gate; use the full \`pulumi up\` path, which runs the gate first`,
      "  - service `web`: Deployment `shop-web-blue` runs `ghcr.io/acme/web:1.3.9`, not the stack file's `ghcr.io/acme/web:1.4.0` (its release was never applied), so `blue` cannot take traffic now; fix or revert its release first",
    ]);
    expect(copy.read("shop")).toBe(PROMOTED);
    expect(cluster.calls().some((call) => call[0] === "pulumi")).toBe(false);
  });

  it("reports a failed `pulumi up` in one line: the CLI's error, where traffic is, the command that finishes the switch", async () => {
    const cluster = fakeCluster(ready());
    restore = cluster.install({ pulumiFails: "configured Kubernetes cluster is unreachable: dial tcp 127.0.0.1:1: connect: connection refused" });
    const result = await release(shop(PROMOTED).dir, ["rollback", "--apply", "--stack", "shop"]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      "bluegreen: the switch to blue did not finish (traffic is on green, as the API says): the Kubernetes API did not answer `pulumi up` of stack `shop` " +
        "(configured Kubernetes cluster is unreachable: dial tcp 127.0.0.1:1: connect: connection refused); rerun `npx bluegreen rollback -s shop --apply` once `kubectl get nodes` answers",
    );
    expect(cluster.calls().filter((call) => call[0] === "pulumi")).toEqual([["pulumi", ...targetedUpArgs("shop", blue.services.map((s) => s.liveServiceUrn))]]);
    expect(cluster.state().services).toEqual({ "shop-bff": "green", "shop-web": "green" });
  });
});

describe("rollback --apply of the one-service shorthand (kubectl and pulumi stand-ins)", () => {
  let restore = () => {};
  afterEach(() => restore());

  it("switches the one live Service and prints the line it always printed", async () => {
    const green = switchTarget(parsed(original("production")), "production", "bluegreen", "green");
    const cluster = fakeCluster({
      deployments: { "web-green": readyDeployment("ghcr.io/acme/web:1.5.0", 4) },
      jobs: { [green.services[0].smokeJobName!]: COMPLETE_JOB },
      services: { web: "blue" },
    });
    restore = cluster.install();
    const copy = copyStacks();
    const result = await release(copy.dir, ["rollback", "--apply", "--stack", "production"]);
    expect(withoutClusterNote(result.err)).toBe("");
    expect(result.code).toBe(0);
    expect(copy.read("production")).toBe(replaceOnce(original("production"), "activeColor: blue", "activeColor: green"));
    expect(cluster.calls().filter((call) => call[0] === "pulumi")).toEqual([["pulumi", ...targetedUpArgs("production", [green.services[0].liveServiceUrn])]]);
    const lines = result.out.split("\n");
    expect(lines).toContain(`Switching the live Service to green (pulumi up --target ${green.services[0].liveServiceUrn})...`);
    expect(lines.find((line) => line.startsWith("Traffic is on green:"))).toMatch(/^Traffic is on green: the selector flipped \d+\.\d s after the start; done after \d+\.\d s\.$/);
  });
});
