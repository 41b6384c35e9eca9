/**
 * No secret as a plain env literal: an env var that by its name holds a secret (PASSWORD, SECRET,
 * TOKEN, API keys, DATABASE_URL, ...) or whose value is a URL with credentials must come from a
 * Kubernetes Secret with `valueFrom.secretKeyRef`, never `value:` in the spec, where anyone who can
 * read the Deployment (or the Pulumi state's plain inputs) sees it. Messages never repeat the value.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describeContainer, displayName, podSpecOf } from "./workloads";

/** Name parts that mark a secret. `KEY` counts only as the last part (`STRIPE_KEY`), not `KMS_KEY_ID` or `KEY_PREFIX`. */
const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|ACCESS_KEY|API_?KEY|DATABASE_URL|_DSN$|(^|_)KEY$)/i;
/** `scheme://user:password@host` */
const URL_WITH_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

export function secretLiteralReason(name: string, value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  if (URL_WITH_CREDENTIALS.test(value)) return "its literal value is a URL with credentials";
  if (SECRET_NAME.test(name)) return "its name says it holds a secret, but it is a literal `value`";
  return undefined;
}

export const noSecretEnvLiterals: ResourceValidationPolicy = {
  name: "no-secret-env-literals",
  description: "Secret values reach containers through `valueFrom.secretKeyRef`, never as a plain env `value`.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const podSpec = podSpecOf(args.type, args.props);
    if (!podSpec) return;
    const objectName = displayName(args.props, args.name);
    for (const ref of containersOf(podSpec)) {
      for (const env of Array.isArray(ref.container.env) ? ref.container.env : []) {
        const reason = secretLiteralReason(env.name, env.value);
        if (!reason) continue;
        reportViolation(
          `${describeContainer(ref, args.type, objectName)} sets env \`${env.name}\` in plain text (${reason}): ` +
            `keep it in Pulumi secret config (\`pulumi config set --secret <key> <value>\`), store it in a Kubernetes Secret and read it with \`valueFrom.secretKeyRef\``,
        );
      }
    }
  },
};
