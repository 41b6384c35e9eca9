import { describe, expect, it } from "vitest";
import { mergeStackConfig, projectName, stackFileValues, withoutSecrets } from "../../lib/stackFile";

const PROJECT = `name: bluegreen
runtime: nodejs
config:
  production:
    type: boolean
    default: false
  port:
    type: integer
    default: 8080
  bluegreen:healthPath: /healthz
  region:
    value: eu-west-1
  namespace:
    type: string
    description: no default, so not set
  aws:region: us-east-1
`;

const STACK = `config:
  bluegreen:port: 9090
  bluegreen:production: true
  bluegreen:secretEnv:
    SESSION_SECRET: sessionSecret
  bluegreen:sessionSecret:
    secure: v1:AAAA
  bluegreen:databaseUrl: postgres://plain-but-secret
  aws:region: eu-central-1
`;

describe("stack file config", () => {
  it("merges project defaults under the stack's own keys, like pulumi does", () => {
    expect(projectName(PROJECT)).toBe("bluegreen");
    expect(mergeStackConfig(PROJECT, STACK)).toEqual({
      production: true,
      port: 9090,
      healthPath: "/healthz",
      region: "eu-west-1",
      secretEnv: { SESSION_SECRET: "sessionSecret" },
      sessionSecret: { secure: "v1:AAAA" },
      databaseUrl: "postgres://plain-but-secret",
    });
  });

  it("leaves out secret keys, the keys secretEnv names and encrypted values", () => {
    expect(withoutSecrets(mergeStackConfig(PROJECT, STACK), ["databaseUrl"])).toEqual({
      production: true,
      port: 9090,
      healthPath: "/healthz",
      region: "eu-west-1",
      secretEnv: { SESSION_SECRET: "sessionSecret" },
    });
  });

  it("decodes top-level strings as the engine does, since `pulumi config set` rewrites scalars as strings", () => {
    const rewritten = `config:
  bluegreen:production: "true"
  bluegreen:port: "9090"
  bluegreen:app: web
  bluegreen:namespace: "web-production"
  bluegreen:colors:
    blue:
      image: ghcr.io/acme/web:1.4.2
      replicas: "4"
  aws:region: eu-central-1
`;
    expect(mergeStackConfig(PROJECT, rewritten)).toEqual({
      production: true,
      port: 9090,
      healthPath: "/healthz",
      region: "eu-west-1",
      app: "web",
      namespace: "web-production",
      // Only top-level values are decoded: a nested value reaches the program inside JSON, as written.
      colors: { blue: { image: "ghcr.io/acme/web:1.4.2", replicas: "4" } },
    });
    expect(stackFileValues(`config:\n  bluegreen:production: "false"\n  bluegreen:activeColor: "blue"\n`, "bluegreen")).toEqual({
      production: false,
      activeColor: "blue",
    });
  });

  it("needs the project's name", () => {
    expect(() => projectName("runtime: nodejs\n")).toThrow("Pulumi.yaml has no `name`");
  });
});
