import { describe, expect, it } from "vitest";
import { servicesOf, validateStackConfig } from "../../config";
import { releaseIdentity } from "../../config/services";

const base = () => ({
  app: "shop",
  namespace: "shop-staging",
  production: false,
  activeColor: "blue",
  port: 8080,
  servicePort: 80,
  healthPath: "/healthz",
  readinessPath: "/ready",
  env: { NODE_ENV: "production" },
  jobsImage: "ghcr.io/acme/jobs:1.0.0",
  networkPolicy: { enabled: false, reason: "test" },
  services: { bff: { callers: ["web"] }, web: { port: 3000, env: { API_URL: "http://shop-bff" }, smoke: { checks: [{ path: "/", status: 200 }] } } } as Record<string, any>,
  colors: {
    blue: { images: { bff: "ghcr.io/acme/bff:1.4.2", web: "ghcr.io/acme/web:1.4.2" }, replicas: 2 },
    green: { images: { bff: "ghcr.io/acme/bff:1.5.0", web: "ghcr.io/acme/web:1.5.0" }, replicas: 2, previewReplicas: 1 },
  } as Record<string, any>,
});

const problems = (edit: (c: ReturnType<typeof base>) => void) => {
  const raw = base();
  edit(raw);
  const result = validateStackConfig(raw);
  return result.ok ? [] : result.problems;
};

describe("services", () => {
  it("fills each service from the top-level defaults, adding its own env on top", () => {
    const result = validateStackConfig(base());
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const [bff, web] = servicesOf(result.config);
    expect(bff).toMatchObject({ service: "bff", qualifiedName: "shop-bff", port: 8080, env: { NODE_ENV: "production" }, callers: ["shop-web"], smokeChecks: [{ path: "/healthz", status: 200 }] });
    expect(web).toMatchObject({ service: "web", qualifiedName: "shop-web", port: 3000, env: { NODE_ENV: "production", API_URL: "http://shop-bff" }, smokeChecks: [{ path: "/", status: 200 }] });
    expect(web.callers).toEqual([]);
    expect(web.colors.green).toEqual({ image: "ghcr.io/acme/web:1.5.0", replicas: 2, previewReplicas: 1 });
    expect(releaseIdentity(result.config, "green")).toBe("bff=ghcr.io/acme/bff:1.5.0,web=ghcr.io/acme/web:1.5.0");
  });

  it("a service's replicas set its count while its color runs, never reviving a color scaled to 0", () => {
    const raw = base();
    raw.services.web.replicas = 4;
    raw.colors.green.previewReplicas = 0;
    const result = validateStackConfig(raw);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const web = servicesOf(result.config)[1];
    expect(web.colors.blue).toEqual({ image: "ghcr.io/acme/web:1.4.2", replicas: 4, previewReplicas: 4 });
    expect(web.colors.green.previewReplicas).toBe(0);
  });

  it("the one-service shorthand is one service named after the app, its release its image", () => {
    const raw: any = base();
    delete raw.services;
    raw.colors = { blue: { image: "ghcr.io/acme/shop:1.0.0", replicas: 2 }, green: { replicas: 0 } };
    const result = validateStackConfig(raw);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(servicesOf(result.config).map((s) => [s.service, s.qualifiedName, s.displayName])).toEqual([[undefined, "shop", "shop"]]);
    expect(releaseIdentity(result.config, "blue")).toBe("ghcr.io/acme/shop:1.0.0");
    expect(releaseIdentity(result.config, "green")).toBeUndefined();
  });

  it("a color missing one service's image is refused, naming the key and the stage command", () => {
    expect(problems((c) => delete c.colors.green.images.web)).toEqual([
      "`colors.green.images.web` is not set but green releases `bff`: a color is a release of every service; stage them together with `npx bluegreen stage green bff=<image> web=<image> -s <stack>`",
    ]);
  });

  it("refuses a service name that is not a DNS label, an unknown service in images or callers, and `image` beside `services`", () => {
    expect(problems((c) => (c.services.Web_2 = {}))).toContainEqual(
      "`services.Web_2` is not a DNS label: name services with lowercase letters, digits and `-`, starting with a letter, such as `bff`",
    );
    expect(problems((c) => (c.colors.blue.images.admin = "ghcr.io/acme/admin:1.0.0"))).toEqual([
      "`colors.blue.images.admin` names no service of the app; use one of `bff`, `web`, or remove it",
    ]);
    expect(problems((c) => (c.services.bff.callers = ["bff", "api"]))).toEqual([
      "`services.bff.callers` names `bff` itself: a service's own Pods need no rule; remove it",
      "`services.bff.callers` names `api`, which is not a service of the app; use one of `bff`, `web`",
    ]);
    expect(problems((c) => (c.colors.blue.image = "ghcr.io/acme/web:1.4.2"))[0]).toMatch(
      /^`colors.blue.image` is set but the stack declares `services`: give each service's image in `colors.blue.images.<service>`/,
    );
  });

  it("refuses two services whose objects would share a name, and names too long for their objects", () => {
    const clash = problems((c) => {
      c.services = { bff: {}, "bff-blue": {} };
      c.colors.blue.images = { bff: "ghcr.io/acme/bff:1", "bff-blue": "ghcr.io/acme/x:1" };
      c.colors.green.images = { bff: "ghcr.io/acme/bff:2", "bff-blue": "ghcr.io/acme/x:2" };
    });
    expect(clash).toContainEqual("`services.bff-blue` and `services.bff` would both name an object `shop-bff-blue`: rename one of them");
    expect(problems((c) => (c.services["a-very-long-service-name-x"] = {}))[0]).toBe(
      "`services.a-very-long-service-name-x` makes object names start with `shop-a-very-long-service-name-x` (31 characters): `app` plus `-` plus the service name must be at most 30 characters; shorten one of them",
    );
  });

  it("refuses `images` on a one-service app, and the live color without a release", () => {
    expect(
      problems((c: any) => {
        delete c.services;
      }),
    ).toEqual(expect.arrayContaining(["`colors.blue.images` is set but the stack declares no `services`: a one-service app gives its image in `colors.blue.image`; declare `services` to release several"]));
    expect(problems((c) => (c.colors.blue = { replicas: 2 }))).toContainEqual(
      "`activeColor` is `blue` but `colors.blue.images` is not set: stage a release of every service first with `npx bluegreen stage blue bff=<image> web=<image> -s <stack>`",
    );
  });

  it("production images of every service must be pinned, named by their key", () => {
    expect(problems((c) => ((c.production = true), (c.colors.green.images.web = "ghcr.io/acme/web:latest"))).filter((p) => p.includes("images.web"))).toEqual([
      "`colors.green.images.web` is `ghcr.io/acme/web:latest`: production images must be pinned (`latest` moves); use a version tag or a digest, such as `ghcr.io/acme/web:1.4.2` or `ghcr.io/acme/web@sha256:<digest>`",
    ]);
  });

  it("`migrations.service` must name a service, in command mode, of an app with services", () => {
    expect(problems((c: any) => (c.migrations = { mode: "command", command: ["migrate"], service: "api" }))).toEqual([
      "`migrations.service` is `api`, which is not a service of the app; use one of `bff`, `web`",
    ]);
    expect(problems((c: any) => (c.migrations = { mode: "command", command: ["migrate"], service: "bff" }))).toEqual([]);
  });
});
