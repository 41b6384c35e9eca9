/**
 * The `networkPolicy` config section: which traffic the app's Pods may send and receive (see
 * components/networkPolicies.ts). On by default; a stack turns it off only with a `reason`.
 *
 *   ingress    where the colors' traffic comes from (the load balancer or ingress controller):
 *              `cidrs`, and/or `namespaceSelector` + `podSelector` labels; absent: any source, on
 *              the app's port only
 *   database   where the database is: `cidrs` (absent: any address) and `port` (5432); the colors
 *              and every Job that reads `databaseUrl` may reach it
 *   aws        where the AWS endpoints are (S3, STS, CloudWatch, on 443): `cidrs`, absent: any
 *              address; only the backup jobs reach them
 *   appEgress  further destinations of the colors' Pods: `{cidrs, ports}` each
 */
import * as net from "node:net";
import { z } from "zod";

const expect = (message: string) => ({ error: () => message });

/** An IPv4 or IPv6 CIDR such as `10.0.0.0/16`. */
export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const version = net.isIP(match[1]);
  const bits = Number(match[2]);
  return (version === 4 && bits <= 32) || (version === 6 && bits <= 128);
}

const cidrMessage = "must be a CIDR such as `10.0.0.0/16`";
const cidrs = z
  .array(z.string(expect(cidrMessage)).refine(isCidr, expect(cidrMessage)), expect("must be a list of CIDRs such as `[10.0.0.0/16]`"))
  .min(1, expect("must be a list of at least one CIDR such as `[10.0.0.0/16]`; remove the key to allow any address"));

const portMessage = (example: number) => `must be a whole number from 1 to 65535; set it with \`pulumi config set --path {key} ${example}\``;
const port = (example: number) =>
  z
    .number(expect(portMessage(example)))
    .int(expect(portMessage(example)))
    .min(1, expect(portMessage(example)))
    .max(65535, expect(portMessage(example)));

// Label keys and values as Kubernetes takes them: an optional DNS-subdomain prefix, then a name.
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const labels = (example: string) =>
  z
    .record(
      z.string().regex(LABEL_KEY, expect("is not a Kubernetes label key (such as `kubernetes.io/metadata.name`): fix it")),
      z.string(expect("must be a label value (up to 63 letters, digits, `-`, `_`, `.`)")).regex(LABEL_VALUE, expect("must be a label value (up to 63 letters, digits, `-`, `_`, `.`)")),
      expect(`must be a map of labels, such as \`{${example}}\``),
    )
    .refine((v) => Object.keys(v).length > 0, expect(`must name at least one label, such as \`{${example}}\`; remove the key otherwise`));

export const networkPolicySchema = z
  .strictObject(
    {
      /** Declare the NetworkPolicies. Turning them off needs a `reason`. @default true */
      enabled: z.boolean(expect("must be `true` or `false`")).default(true),
      /** Why the stack runs without NetworkPolicies (required with `enabled: false`). */
      reason: z.string(expect("must be a sentence saying why the NetworkPolicies are off")).trim().min(1, expect("must be a sentence saying why the NetworkPolicies are off")).optional(),
      /** Where the colors' traffic comes from. @default any source, on the app's port only */
      ingress: z
        .strictObject(
          {
            cidrs: cidrs.optional(),
            namespaceSelector: labels("kubernetes.io/metadata.name: ingress-nginx").optional(),
            podSelector: labels("app.kubernetes.io/name: ingress-nginx").optional(),
          },
          expect("must be an object with `cidrs` and/or `namespaceSelector` and `podSelector`"),
        )
        .optional(),
      /** Where the database is. @default any address, port 5432 */
      database: z
        .strictObject({ cidrs: cidrs.optional(), port: port(5432).default(5432) }, expect("must be an object with `cidrs` and `port`"))
        .prefault({}),
      /** Where the AWS endpoints are (port 443). @default any address */
      aws: z.strictObject({ cidrs: cidrs.optional() }, expect("must be an object with `cidrs`")).prefault({}),
      /** Further destinations of the colors' Pods. @default [] */
      appEgress: z
        .array(
          z.strictObject(
            { cidrs, ports: z.array(port(443), expect("must be a list of ports such as `[443]`")).min(1, expect("must be a list of ports such as `[443]`")) },
            expect("must be an object with `cidrs` and `ports`"),
          ),
          expect("must be a list of `{cidrs, ports}`"),
        )
        .default([]),
    },
    expect("must be an object with `enabled`, `reason`, `ingress`, `database`, `aws` and `appEgress`"),
  )
  .prefault({});

export type NetworkPolicyConfig = z.infer<typeof networkPolicySchema>;

/** Cross-field rules of the section; one problem line each. */
export function networkPolicyProblems(section: NetworkPolicyConfig, production: boolean): string[] {
  const problems: string[] = [];
  if (!section.enabled && section.reason === undefined) {
    const who = production ? "a production stack" : "a stack";
    problems.push(
      `\`networkPolicy.enabled\` is \`false\` but \`networkPolicy.reason\` is not set: ${who} runs without NetworkPolicies only for a stated reason; set one with \`pulumi config set --path networkPolicy.reason "<why>"\`, or turn them back on with \`pulumi config rm --path networkPolicy.enabled\``,
    );
  }
  if (section.enabled && section.reason !== undefined) {
    problems.push(
      `\`networkPolicy.reason\` is \`${section.reason}\` but the NetworkPolicies are on: the reason would explain nothing; remove it with \`pulumi config rm --path networkPolicy.reason\``,
    );
  }
  const ingress = section.ingress;
  if (ingress && !ingress.cidrs && !ingress.namespaceSelector && !ingress.podSelector) {
    problems.push(
      "`networkPolicy.ingress` names no source: set `cidrs` (such as the load balancer's subnets) or `namespaceSelector`/`podSelector` (such as the ingress controller's), or remove it to accept any source on the app's port",
    );
  }
  return problems;
}
