/**
 * The name and command of a color's smoke Job, computed from the stack config alone: the program
 * creates the Job under this name, and the release CLI finds the Job that gated a color without
 * loading the Pulumi SDK (its rollback path starts in milliseconds).
 */
import { createHash } from "node:crypto";
import { Color, objectNames } from "../domain/names";

export interface SmokeCheck {
  readonly path: string;
  readonly status: number;
  readonly bodyContains?: string;
}

/** Preview Service URL of a color, from inside the cluster (`<svc>.<ns>.svc` works whatever the cluster domain). */
export function previewUrl(app: string, color: Color, namespace: string, servicePort: number): string {
  return `http://${objectNames.previewService(app, color)}.${namespace}.svc:${servicePort}`;
}

export interface SmokeJobInput {
  readonly app: string;
  readonly namespace: string;
  readonly color: Color;
  /** The color's app image. */
  readonly image: string;
  readonly servicePort: number;
  readonly checks: readonly SmokeCheck[];
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly backoffSeconds: number;
}

/**
 * The smoke Job of one color's release: its command and its name, a hash of what it checks. Pure,
 * so the release CLI finds the Job that gated a color from the stack file alone.
 */
export function smokeJob(input: SmokeJobInput): { command: string[]; jobName: string } {
  const command = [
    "node",
    "dist/jobs/cli.js",
    "smoke",
    "--url",
    previewUrl(input.app, input.color, input.namespace, input.servicePort),
    "--checks",
    JSON.stringify(input.checks),
    "--timeout-seconds",
    String(input.timeoutSeconds),
    "--retries",
    String(input.retries),
    "--backoff-seconds",
    String(input.backoffSeconds),
  ];
  // The app image is part of the identity although the command does not name it: a new release
  // of the color must be checked again. The jobs image is not: it is the tool, not what is checked.
  const hash = createHash("sha256").update(JSON.stringify({ color: input.color, image: input.image, command })).digest("hex").slice(0, 10);
  return { command, jobName: `${input.app}-smoke-${input.color}-${hash}` };
}
