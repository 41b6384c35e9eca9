/**
 * The policies about maintenance: the live Service selecting the maintenance page is held to the
 * ready-Deployment rule, and a maintenance toggle together with a promotion is refused by comparing
 * each live Service with the deployed one. Here the deployed side comes from a table; the kubectl
 * read of a real cluster is exercised in e2e/maintenance.e2e.test.ts.
 */
import { describe, expect, it } from "vitest";
import { DeployedLiveService, DeployedReader } from "../../policy/deployedLiveServices";
import { maintenanceToggleNotWithPromotionPolicy } from "../../policy/maintenanceToggleNotWithPromotion";
import { policies } from "../../policy/policies";
import { runProgram } from "../helpers/program";
import { check, FakeResource, fromProgram } from "./harness";
import { deployment, DEPLOYMENT, SERVICE } from "./fixtures";

const POLICY = "maintenance-toggle-not-with-promotion";

/** A live Service of a stack with a `maintenance` section: selecting `traffic`, recording `activeColor`. */
function liveService(traffic: string, activeColor: string, name = "web"): FakeResource {
  return {
    type: SERVICE,
    name: `${name}-live`,
    props: {
      metadata: { name, namespace: "web-staging", labels: { app: name, role: "live" }, annotations: { "pulumi.com/skipAwait": "true", "bluegreen.dev/active-color": activeColor } },
      spec: { selector: traffic === "maintenance" ? { app: "web", color: "maintenance" } : { app: name, color: traffic }, ports: [{ port: 80, targetPort: "http" }] },
    },
  };
}

function maintenanceDeployment(replicas = 1): FakeResource {
  const labels = { app: "web", color: "maintenance" };
  const base = deployment("maintenance", { replicas });
  return { ...base, props: { ...base.props, metadata: { ...base.props.metadata, labels }, spec: { ...base.props.spec, selector: { matchLabels: labels }, template: { ...base.props.spec.template, metadata: { labels } } } } };
}

/** The deployed live Services, by `namespace/name`; reads are recorded. */
function cluster(deployed: Record<string, DeployedLiveService>): { read: DeployedReader; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: async (namespace, name, ref) => {
      reads.push(`${JSON.stringify(ref)} ${namespace}/${name}`);
      return deployed[`${namespace}/${name}`];
    },
  };
}

const deployedAs = (traffic: string, activeColor?: string): DeployedLiveService => ({
  selector: traffic === "maintenance" ? { app: "web", color: "maintenance" } : { app: "web", color: traffic },
  annotations: activeColor ? { "bluegreen.dev/active-color": activeColor } : { "pulumi.com/skipAwait": "true" },
});

const run = (resources: FakeResource[], read: DeployedReader, provider?: Record<string, unknown>) =>
  check(resources, {
    only: POLICY,
    policies: [maintenanceToggleNotWithPromotionPolicy(read)],
    provider: provider && { type: "pulumi:providers:kubernetes", name: "default", urn: "urn:pulumi:staging::bluegreen::pulumi:providers:kubernetes::default", props: provider },
  });

describe("maintenance-toggle-not-with-promotion", () => {
  it("lets a toggle alone, a promotion alone (in or out of maintenance) and a first deployment through", async () => {
    const cases: [DeployedLiveService | undefined, FakeResource][] = [
      [deployedAs("blue"), liveService("maintenance", "blue")], // maintenance on
      [deployedAs("maintenance", "blue"), liveService("blue", "blue")], // maintenance off
      [deployedAs("blue", "blue"), liveService("green", "green")], // a promotion
      [deployedAs("maintenance", "blue"), liveService("maintenance", "green")], // a promotion while in maintenance
      [deployedAs("maintenance", "green"), liveService("green", "green")], // then off, onto the promoted color
      [deployedAs("blue"), liveService("blue", "blue")], // the section added, nothing switched
      [undefined, liveService("maintenance", "green")], // not deployed yet
    ];
    for (const [deployed, planned] of cases) {
      const { read } = cluster(deployed ? { "web-staging/web": deployed } : {});
      expect(await run([planned], read), JSON.stringify([deployed, planned.props.spec.selector])).toEqual([]);
    }
  });

  it("refuses a live Service going from a color straight to maintenance while activeColor changes, and from maintenance straight to a new color", async () => {
    expect(await run([liveService("maintenance", "green")], cluster({ "web-staging/web": deployedAs("blue") }).read)).toEqual([
      {
        policy: POLICY,
        resource: "web-live",
        message:
          "live Service `web`: traffic would go from `blue` straight to the maintenance page while `activeColor` changes from `blue` to `green` in the same update: a promotion and a maintenance toggle are two commits; turn maintenance on alone first (`activeColor` stays `blue`), then promote while in maintenance",
      },
    ]);
    expect(await run([liveService("green", "green")], cluster({ "web-staging/web": deployedAs("maintenance", "blue") }).read)).toEqual([
      {
        policy: POLICY,
        resource: "web-live",
        message:
          "live Service `web`: traffic would leave the maintenance page straight for `green` while `activeColor` changes from `blue` to `green` in the same update: a promotion and a maintenance toggle are two commits; promote while still in maintenance first, then turn maintenance off alone",
      },
    ]);
  });

  it("checks every live Service of the app, each against its deployed self", async () => {
    const { read, reads } = cluster({ "web-staging/web": deployedAs("blue", "blue"), "web-staging/web-bff": deployedAs("blue", "blue") });
    const violations = await run([liveService("maintenance", "green"), liveService("maintenance", "green", "web-bff"), deployment("blue")], read);
    expect(violations.map((v) => v.resource)).toEqual(["web-live", "web-bff-live"]);
    expect(reads).toEqual(["{} web-staging/web", "{} web-staging/web-bff"]);
  });

  it("reads nothing for a stack without the section, a Service that is not live, or a stack rendering manifests; reads the provider's cluster otherwise", async () => {
    const { read, reads } = cluster({ "web-staging/web": deployedAs("maintenance", "blue") });
    const withoutSection = liveService("green", "green");
    delete withoutSection.props.metadata.annotations["bluegreen.dev/active-color"];
    const preview = { ...liveService("maintenance", "green"), name: "web-blue-preview" };
    preview.props = { ...preview.props, metadata: { ...preview.props.metadata, labels: { app: "web", role: "preview" } } };
    expect(await run([withoutSection, preview], read)).toEqual([]);
    expect(await run([liveService("green", "green")], read, { renderYamlToDirectory: "rendered/local" })).toEqual([]);
    expect(reads).toEqual([]);
    await run([liveService("green", "green")], read, { context: "prod-eu", kubeconfig: "/etc/kube/config" });
    expect(reads).toEqual(['{"context":"prod-eu","kubeconfig":"/etc/kube/config"} web-staging/web']);
  });

  it("refuses when the deployed live Service cannot be read: it cannot vouch for what it did not see", async () => {
    const failing: DeployedReader = async () => {
      throw new Error("kubectl get services -n web-staging -l role=live: Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout");
    };
    expect((await run([liveService("maintenance", "blue")], failing)).map((v) => v.message)).toEqual([
      "live Service `web`: cannot read the deployed one to compare with (kubectl get services -n web-staging -l role=live: Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout); this policy refuses a maintenance toggle and a promotion in one update, and needs the cluster the preview deploys to",
    ]);
  });
});

describe("live-service-targets-ready-color, in maintenance", () => {
  const only = "live-service-targets-ready-color";

  it("passes a live Service on the page when the page's Deployment runs", async () => {
    expect(await check([deployment("blue"), maintenanceDeployment(), liveService("maintenance", "blue")], { only })).toEqual([]);
  });

  it("names the maintenance keys, not a color's, when the page is missing or scaled to 0", async () => {
    expect((await check([deployment("blue"), liveService("maintenance", "blue")], { only })).map((v) => v.message)).toEqual([
      "live Service `web` selects {app: web, color: maintenance}, but no Deployment in namespace `web-staging` runs Pods with those labels: the maintenance page is declared by the `maintenance` section; keep it, or leave maintenance with `pulumi config set --path maintenance.enabled false -s staging`",
    ]);
    expect((await check([deployment("blue"), maintenanceDeployment(0), liveService("maintenance", "blue")], { only })).map((v) => v.message)).toEqual([
      "live Service `web` selects {app: web, color: maintenance}, but Deployment `web-maintenance` has 0 replicas: scale it up with `pulumi config set --path maintenance.replicas 1 -s staging`",
    ]);
  });
});

describe("the pack over staging with a maintenance page", () => {
  it("passes every policy, maintenance on, compared with the same stack deployed with it off", async () => {
    const program = await runProgram("staging", { edit: (c) => (c.maintenance = { enabled: true }) });
    expect(program.error).toBeUndefined();
    const deployed = { selector: { app: "web", color: "green" }, annotations: { "bluegreen.dev/active-color": "green" } };
    const { read, reads } = cluster({ "web-staging/web": deployed, "web-staging/web-bff": { ...deployed, selector: { app: "web-bff", color: "green" } } });
    const pack = policies.map((p) => (p.name === POLICY ? maintenanceToggleNotWithPromotionPolicy(read) : p));
    const resources = fromProgram(program);
    expect(resources.filter((r) => r.type === DEPLOYMENT).map((r) => r.props.metadata.name)).toContain("web-maintenance");
    expect(await check(resources, { stack: "staging", policies: pack })).toEqual([]);
    expect(reads).toEqual(["{} web-staging/web", "{} web-staging/web-bff"]);
  });

  it("catches the same update landing with a promotion", async () => {
    const program = await runProgram("staging", { edit: (c) => ((c.maintenance = { enabled: true }), (c.activeColor = "blue")) });
    expect(program.error).toBeUndefined();
    const deployed = { selector: { app: "web", color: "green" }, annotations: { "bluegreen.dev/active-color": "green" } };
    const { read } = cluster({ "web-staging/web": deployed, "web-staging/web-bff": { ...deployed, selector: { app: "web-bff", color: "green" } } });
    const pack = policies.map((p) => (p.name === POLICY ? maintenanceToggleNotWithPromotionPolicy(read) : p));
    const violations = await check(fromProgram(program), { stack: "staging", policies: pack });
    expect(violations.map((v) => [v.policy, v.resource])).toEqual([
      [POLICY, "web-live"],
      [POLICY, "web-bff-live"],
    ]);
  });
});
