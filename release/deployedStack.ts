/**
 * What the last `pulumi up` of a stack left behind, read through the Automation API (the same
 * `pulumi` CLI and backend the user runs): the outputs the watch needs.
 */
// Loaded when a stack is read: the module takes ~0.9 s to load, and the rollback path never needs it.
import type { Stack } from "@pulumi/pulumi/automation";
import { Color, COLORS } from "../config";

export interface WatchOutput {
  readonly minutes: number;
  readonly alarmNames: readonly string[];
  readonly pollSeconds: number;
  readonly settleMinutes: number;
  readonly ignorePollFailures: boolean;
  readonly region: string;
}

export interface DeployedStack {
  readonly stack: Stack;
  readonly activeColor: Color;
  readonly namespace: string;
  /** Every live Service of the app (one for the one-service shorthand). */
  readonly liveServiceNames: readonly string[];
  readonly promotionWatch: WatchOutput;
}

export class DeployedStackError extends Error {}

/** Opens `stackName` of the project in `workDir` and reads its outputs. */
export async function readDeployedStack(stackName: string, workDir: string): Promise<DeployedStack> {
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
  let stack: Stack;
  try {
    stack = await LocalWorkspace.selectStack({ stackName, workDir });
  } catch (error) {
    throw new DeployedStackError(
      `cannot open stack \`${stackName}\`: ${firstLine(error)}; log in to its backend (\`pulumi login\`) and check \`pulumi stack ls\``,
    );
  }
  const outputs = await stack.outputs();
  const value = (key: string) => outputs[key]?.value as unknown;
  const text = (key: string) => {
    const v = value(key);
    if (typeof v !== "string" || v === "") {
      throw new DeployedStackError(`stack \`${stackName}\` has no \`${key}\` output: run \`pulumi up -s ${stackName}\` once with this version of the program`);
    }
    return v;
  };
  const activeColor = text("activeColor");
  if (!(COLORS as readonly string[]).includes(activeColor)) throw new DeployedStackError(`stack \`${stackName}\` output \`activeColor\` is \`${activeColor}\`, not a color`);
  const watch = (value("promotionWatch") ?? {}) as Partial<WatchOutput>;
  return {
    stack,
    activeColor: activeColor as Color,
    namespace: text("namespace"),
    liveServiceNames: liveServiceNames(stackName, value("liveServiceName")),
    promotionWatch: {
      minutes: typeof watch.minutes === "number" ? watch.minutes : 0,
      alarmNames: Array.isArray(watch.alarmNames) ? watch.alarmNames : [],
      pollSeconds: typeof watch.pollSeconds === "number" ? watch.pollSeconds : 60,
      settleMinutes: typeof watch.settleMinutes === "number" ? watch.settleMinutes : 10,
      ignorePollFailures: watch.ignorePollFailures === true,
      region: typeof watch.region === "string" ? watch.region : "",
    },
  };
}

/**
 * The live Services from the `liveServiceName` output: a name for the one-service shorthand, a map
 * of service to name for an app of several.
 */
export function liveServiceNames(stackName: string, output: unknown): string[] {
  const names = typeof output === "string" ? [output] : output !== null && typeof output === "object" ? Object.values(output) : [];
  if (names.length === 0 || names.some((name) => typeof name !== "string" || name === "")) {
    throw new DeployedStackError(`stack \`${stackName}\` has no \`liveServiceName\` output: run \`pulumi up -s ${stackName}\` once with this version of the program`);
  }
  return names as string[];
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split("\n").map((l) => l.trim()).filter(Boolean);
  // The CLI's own error line, when the Automation API wraps its whole output.
  return lines.find((l) => l.startsWith("error:")) ?? lines[0] ?? "unknown error";
}
