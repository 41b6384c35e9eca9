/**
 * What each release command changes in the stack config, and when it refuses. Pure: the state in,
 * a plan of edits (or the reasons to refuse) out. The edited config is then checked with the same
 * rules as `pulumi up` (config.ts `validateStackConfig`) before anything is written.
 */
import { Color, ColorConfig, effectiveReplicas, otherColor } from "../config";
import { ConfigValue, KeyPath } from "./stackDocument";

/** The release-relevant part of a stack's config. */
export interface ReleaseState {
  readonly stack: string;
  readonly activeColor: Color;
  readonly colors: Readonly<Record<Color, ColorConfig>>;
}

export interface Edit {
  readonly path: KeyPath;
  readonly value: ConfigValue;
}

export type Plan =
  | { readonly kind: "edit"; readonly edits: readonly Edit[]; readonly commitMessage: string; readonly notes: readonly string[] }
  | { readonly kind: "unchanged"; readonly reason: string }
  | { readonly kind: "refused"; readonly problems: readonly string[] };

const release = (command: string, stack: string) => `npm run release -- ${command} --stack ${stack}`;

/** Replicas the idle color runs, and whether traffic could move to it right away. */
export type Warmth = "instant" | "scales-up" | "none";

/**
 * How ready the idle color is to take traffic back:
 * - `instant`: it has an image and runs at least as many Pods as the live color: the flip only
 *   changes the Service selector.
 * - `scales-up`: it has an image and runs some Pods, but fewer; `pulumi up` scales it to full size
 *   first, and the selector flips once those Pods are ready (minutes, not seconds).
 * - `none`: no image or no Pods: there is nothing to roll back to until it is staged again.
 */
export function idleWarmth(state: ReleaseState): { warmth: Warmth; idle: Color; running: number; needed: number } {
  const idle = otherColor(state.activeColor);
  const spec = state.colors[idle];
  const running = effectiveReplicas(idle, state.activeColor, spec);
  const needed = state.colors[state.activeColor].replicas;
  const warmth: Warmth = !spec.image || running === 0 ? "none" : running >= needed ? "instant" : "scales-up";
  return { warmth, idle, running, needed };
}

/** Flips `activeColor` to the idle color. `verb` only changes the wording: promote and rollback are the same edit. */
export function flip(state: ReleaseState, verb: "promote" | "rollback"): Plan {
  const target = otherColor(state.activeColor);
  const spec = state.colors[target];
  const action = verb === "promote" ? `promote \`${target}\`` : `roll back to \`${target}\``;
  const problems: string[] = [];
  if (spec.retired) {
    problems.push(
      `cannot ${action}: \`colors.${target}.retired\` is true, so its schema may be contracted and its code may read what the contract dropped; stage a compatible image first with \`${release(`stage ${target} <image>`, state.stack)}\``,
    );
  }
  if (!spec.image) {
    problems.push(
      `cannot ${action}: \`colors.${target}.image\` is not set; stage an image first with \`${release(`stage ${target} <image>`, state.stack)}\``,
    );
  }
  if (spec.replicas === 0) {
    const size = Math.max(state.colors[state.activeColor].replicas, 1);
    problems.push(
      `cannot ${action}: \`colors.${target}.replicas\` is 0, so it would serve no traffic; scale it up first with \`pulumi config set --path colors.${target}.replicas ${size} -s ${state.stack}\``,
    );
  }
  if (problems.length > 0) return { kind: "refused", problems };

  const notes: string[] = [];
  const running = effectiveReplicas(target, state.activeColor, spec);
  if (running < spec.replicas) {
    notes.push(
      `${target} runs ${running} of its ${spec.replicas} Pods while idle: \`pulumi up\` scales it up first and moves traffic once they are ready.`,
    );
  }
  if (verb === "rollback") {
    notes.push(
      "When you know the promotion commit, `git revert <promotion commit>` makes this same change and records why; " +
        `find it with \`git log --oneline -- Pulumi.${state.stack}.yaml\`.`,
    );
  }
  const commitMessage =
    verb === "promote"
      ? `${state.stack}: promote ${target} (${spec.image}) to live`
      : `${state.stack}: roll back to ${target} (${spec.image})`;
  return { kind: "edit", edits: [{ path: ["activeColor"], value: target }], commitMessage, notes };
}

/**
 * Puts `image` on the idle color `color`. A color scaled to 0 (retired) is scaled back to the live
 * color's size, so the release can be promoted, and rolled back, without waiting for Pods.
 */
export function stage(state: ReleaseState, color: Color, image: string): Plan {
  if (color === state.activeColor) {
    return {
      kind: "refused",
      problems: [
        `cannot stage on \`${color}\`: it is the live color (\`activeColor\` is \`${color}\`); stage on the idle color \`${otherColor(color)}\` with \`${release(`stage ${otherColor(color)} ${image}`, state.stack)}\`, then promote it`,
      ],
    };
  }
  const spec = state.colors[color];
  const edits: Edit[] = [];
  const notes: string[] = [];
  if (spec.image !== image) edits.push({ path: ["colors", color, "image"], value: image });
  const size = state.colors[state.activeColor].replicas;
  if (spec.replicas === 0) {
    edits.push({ path: ["colors", color, "replicas"], value: size });
    notes.push(`${color} was scaled to 0; it is scaled to ${size} Pod${size === 1 ? "" : "s"}, as many as ${state.activeColor} serves with.`);
  }
  if (spec.previewReplicas === 0) {
    edits.push({ path: ["colors", color, "previewReplicas"], value: spec.replicas === 0 ? size : spec.replicas });
  }
  if (spec.retired) edits.push({ path: ["colors", color, "retired"], value: false });
  if (edits.length === 0) return { kind: "unchanged", reason: `\`colors.${color}.image\` is already \`${image}\`: nothing to change` };
  notes.push(
    `\`pulumi up\` rolls ${color} out behind its preview Service; traffic moves only with \`${release("promote", state.stack)}\`.`,
  );
  return { kind: "edit", edits, commitMessage: `${state.stack}: stage ${image} on ${color}`, notes };
}

/** Scales the idle color `color` to 0 Pods. Its image stays, so staging it again is one command. */
export function retire(state: ReleaseState, color: Color): Plan {
  if (color === state.activeColor) {
    return {
      kind: "refused",
      problems: [
        `cannot retire \`${color}\`: it is the live color (\`activeColor\` is \`${color}\`); promote \`${otherColor(color)}\` first with \`${release("promote", state.stack)}\``,
      ],
    };
  }
  const spec = state.colors[color];
  const edits: Edit[] = [];
  if (spec.replicas !== 0) edits.push({ path: ["colors", color, "replicas"], value: 0 });
  if (spec.previewReplicas !== undefined && spec.previewReplicas !== 0) {
    edits.push({ path: ["colors", color, "previewReplicas"], value: 0 });
  }
  if (!spec.retired) edits.push({ path: ["colors", color, "retired"], value: true });
  if (edits.length === 0) return { kind: "unchanged", reason: `\`${color}\` already runs 0 replicas: nothing to change` };
  return {
    kind: "edit",
    edits,
    commitMessage: `${state.stack}: retire ${color}`,
    notes: [
      `After \`pulumi up\` there is no instant rollback: ${color} runs no Pods until it is staged again.`,
      `\`colors.${color}.retired\` marks it: promotion and rollback to ${color} are refused until \`stage\` puts a compatible image on it.`,
      "Contract-phase migrations, which wait for the old color to be retired, run on that `pulumi up`.",
    ],
  };
}
