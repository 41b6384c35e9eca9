import { beforeAll, describe, expect, it } from "vitest";
import { ProgramRun, runProgram, TEST_SECRETS, withoutSecrets } from "../helpers/program";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

describe("BlueGreenDeployment (production stack)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("production");
  });

  it("registers one component with a Deployment, preview Service and PDB per color, and the env Secret", () => {
    const component = run.get("bluegreen:k8s:BlueGreenDeployment", "web");
    const children = run.resources.filter((r) => r.parent === component.urn).map((r) => `${r.type}::${r.name}`);
    expect(children.sort()).toEqual([
      "kubernetes:apps/v1:Deployment::web-blue",
      "kubernetes:apps/v1:Deployment::web-green",
      "kubernetes:core/v1:Secret::web-env",
      "kubernetes:core/v1:Service::web-blue-preview",
      "kubernetes:core/v1:Service::web-green-preview",
      "kubernetes:policy/v1:PodDisruptionBudget::web-blue",
      "kubernetes:policy/v1:PodDisruptionBudget::web-green",
    ]);
  });

  it("the blue Deployment: labels, selector, probes, resources, env and a restricted securityContext", () => {
    const labels = { app: "web", color: "blue" };
    expect(run.get("kubernetes:apps/v1:Deployment", "web-blue").inputs).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web-blue", namespace: "web-production", labels },
      spec: {
        replicas: 4,
        revisionHistoryLimit: 5,
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10001,
              runAsGroup: 10001,
              fsGroup: 10001,
              seccompProfile: { type: "RuntimeDefault" },
            },
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
              { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
            ],
            containers: [
              {
                name: "web",
                image: "ghcr.io/acme/web:1.4.2",
                imagePullPolicy: "IfNotPresent",
                ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
                env: [
                  { name: "APP_ENV", value: "production" },
                  { name: "LOG_LEVEL", value: "info" },
                  { name: "NODE_ENV", value: "production" },
                  // The env Secret is named by a hash of its content (see secretNames.test.ts).
                  { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "web-env-4960deb140", key: "DATABASE_URL" } } },
                  { name: "SESSION_SECRET", valueFrom: { secretKeyRef: { name: "web-env-4960deb140", key: "SESSION_SECRET" } } },
                ],
                // Ephemeral storage: the defaults (the stack file sets CPU and memory only).
                resources: {
                  requests: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "128Mi" },
                  limits: { cpu: "2", memory: "1Gi", "ephemeral-storage": "1Gi" },
                },
                livenessProbe: {
                  httpGet: { path: "/healthz", port: "http" },
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                  timeoutSeconds: 2,
                  failureThreshold: 3,
                },
                readinessProbe: {
                  httpGet: { path: "/ready", port: "http" },
                  periodSeconds: 5,
                  timeoutSeconds: 2,
                  failureThreshold: 3,
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ["ALL"] },
                },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }],
          },
        },
      },
    });
  });

  it("ephemeral storage and the /tmp size follow `resources.*.ephemeralStorage`", async () => {
    const sized = await runProgram("production", {
      edit: (c) => {
        c.resources.requests.ephemeralStorage = "256Mi";
        c.resources.limits.ephemeralStorage = "2Gi";
      },
    });
    expect(sized.error).toBeUndefined();
    const pod = sized.get("kubernetes:apps/v1:Deployment", "web-green").inputs.spec.template.spec;
    expect(pod.containers[0].resources).toEqual({
      requests: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "256Mi" },
      limits: { cpu: "2", memory: "1Gi", "ephemeral-storage": "2Gi" },
    });
    expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "2Gi" } }]);
  });

  it("the colors never share a selector", () => {
    const selector = (color: string) => run.get("kubernetes:apps/v1:Deployment", `web-${color}`).inputs.spec.selector.matchLabels;
    expect(selector("blue")).toEqual({ app: "web", color: "blue" });
    expect(selector("green")).toEqual({ app: "web", color: "green" });
  });

  it("the green Deployment differs from blue only in color and image", () => {
    const blue = JSON.stringify(run.get("kubernetes:apps/v1:Deployment", "web-blue").inputs);
    const green = JSON.stringify(run.get("kubernetes:apps/v1:Deployment", "web-green").inputs);
    expect(green).toBe(blue.replaceAll('"blue"', '"green"').replaceAll("web-blue", "web-green").replace("web:1.4.2", "web:1.5.0"));
  });

  it("a preview Service per color selects only that color and does not await Pods", () => {
    expect(run.get("kubernetes:core/v1:Service", "web-green-preview").inputs).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "web-green-preview",
        namespace: "web-production",
        labels: { app: "web", color: "green", role: "preview" },
        annotations: { "pulumi.com/skipAwait": "true" },
      },
      spec: {
        type: "ClusterIP",
        selector: { app: "web", color: "green" },
        ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
      },
    });
  });

  it("a PodDisruptionBudget per color", () => {
    expect(run.get("kubernetes:policy/v1:PodDisruptionBudget", "web-blue").inputs).toEqual({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "web-blue", namespace: "web-production", labels: { app: "web", color: "blue" } },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: "web", color: "blue" } } },
    });
  });

  it("secret env values live only in the Secret, wrapped as Pulumi secrets", () => {
    const secret = run.get("kubernetes:core/v1:Secret", "web-env");
    expect(secret.wireInputs.stringData).toEqual({
      [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
      value: {
        DATABASE_URL: TEST_SECRETS.production.databaseUrl,
        SESSION_SECRET: TEST_SECRETS.production.sessionSecret,
      },
    });
    // The migration Jobs' Secret holds the database URL too, also wrapped.
    const databaseSecret = run.get("kubernetes:core/v1:Secret", "web-database");
    expect(databaseSecret.wireInputs.stringData[SECRET_SIG]).toBe("1b47061264138c4ac30d75fd1eb44270");
    // Everywhere else (the jobs' database Secret, the alarm topic's PagerDuty subscription) they are wrapped too.
    for (const resource of run.resources) {
      const wire = JSON.stringify(withoutSecrets(resource.wireInputs));
      for (const value of Object.values(TEST_SECRETS.production)) expect(wire).not.toContain(value);
    }
    for (const value of Object.values(run.outputs)) {
      for (const secretValue of Object.values(TEST_SECRETS.production)) expect(JSON.stringify(value)).not.toContain(secretValue);
    }
  });

  it("the idle color can be scaled to 0 by config", async () => {
    const scaled = await runProgram("production", { edit: (c) => (c.colors.green.replicas = 0) });
    expect(scaled.error).toBeUndefined();
    expect(scaled.get("kubernetes:apps/v1:Deployment", "web-green").inputs.spec.replicas).toBe(0);
    expect(scaled.outputs.rollbackHint).toBe(
      "No instant rollback: idle color green is not running; stage it with pulumi config set --path colors.green.image <image> -s production",
    );
  });

  it("a stack without secretEnv registers no Secret and no secretKeyRef", async () => {
    // Only the backups' own secrets: the database they back up and the restore-check scratch server.
    const { databaseUrl, restoreCheckDatabaseUrl, pagerdutyEndpoint } = TEST_SECRETS.production;
    const plain = await runProgram("production", {
      edit: (c) => {
        c.secretEnv = {};
        delete c.migrations; // migrations need more than the backups' secrets
      },
      secrets: { databaseUrl, restoreCheckDatabaseUrl, pagerdutyEndpoint },
    });
    expect(plain.error).toBeUndefined();
    expect(plain.ofType("kubernetes:core/v1:Secret").map((s) => s.name).sort()).toEqual(["web-backups-restore-check", "web-database"]);
    expect(plain.get("kubernetes:apps/v1:Deployment", "web-blue").inputs.spec.template.spec.containers[0].env).toEqual([
      { name: "APP_ENV", value: "production" },
      { name: "LOG_LEVEL", value: "info" },
      { name: "NODE_ENV", value: "production" },
    ]);
  });
});

describe("BlueGreenDeployment used directly", () => {
  it("refuses an active color without replicas before creating anything", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const { BlueGreenDeployment } = await import("../../components/blueGreenDeployment");
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs });
    expect(
      () =>
        new BlueGreenDeployment("web", {
          app: "web",
          namespace: "default",
          activeColor: "green",
          colors: { blue: { image: "web:1", replicas: 2 }, green: { image: "web:2", replicas: 0 } },
          port: 8080,
          healthPath: "/healthz",
          readinessPath: "/ready",
          resources: {
            requests: { cpu: "100m", memory: "64Mi", ephemeralStorage: "64Mi" },
            limits: { cpu: "1", memory: "128Mi", ephemeralStorage: "256Mi" },
          },
        }),
    ).toThrow("BlueGreenDeployment web: active color `green` needs an image and at least 1 replica (image web:2, replicas 0)");
  });
});
