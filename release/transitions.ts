/**
 * What each release command changes in the stack config, and when it refuses. Pure: the state in,
 * a plan of edits (or the reasons to refuse) out. The edited config is then checked with the same
 * rules as `pulumi up` (config.ts `validateStackConfig`) before anything is written.
 *
 * A color is a release of every service of the app: `colors.<color>.images.<service>` for an app
 * that declares `services`, `colors.<color>.image` for the one-service shorthand.
 */
import { Color, ColorConfig, effectiveReplicas, otherColor } from "../config";
import type { ServiceColor } from "../config/services";
import { ConfigValue, KeyPath } from "./stackDocument";

/** One service of the app as the release commands see it: its image and replicas per color. */
export interface ReleaseService {
  /** Its key in `services`; undefined for the one-service shorthand. */
  readonly service?: string;
  /** How people call it: its `services` key, or the app name for the shorthand. */
  readonly displayName: string;
  readonly colors: Readonly<Record<Color, ServiceColor>>;
}

/** The release-relevant part of a stack's config. */
export interface ReleaseState {
  readonly stack: string;
  readonly app: string;
  readonly activeColor: Color;
  readonly colors: Readonly<Record<Color, ColorConfig>>;
  /** The app's services in declaration order (one, named after the app, for the shorthand). */
  readonly services: readonly ReleaseService[];
  /** The `maintenance` section (config/maintenance.ts); undefined: the stack has none. */
  readonly maintenance?: { readonly enabled: boolean };
}

export interface Edit {
  readonly path: KeyPath;
  readonly value: ConfigValue;
}

export type Plan =
  | { readonly kind: "edit"; readonly edits: readonly Edit[]; readonly commitMessage: string; readonly notes: readonly string[] }
  | { readonly kind: "unchanged"; readonly reason: string }
  | { readonly kind: "refused"; readonly problems: readonly string[] };

const release = (command: string, stack: string) => `npx bluegreen ${command} -s ${stack}`;
const quoted = (names: readonly string[]) => names.map((name) => `\`${name}\``).join(", ");

/** Whether the stack is the one-service shorthand (no `services`; `colors.<color>.image`). */
export function isShorthand(state: ReleaseState): boolean {
  return state.services.length === 1 && state.services[0].service === undefined;
}

/** The `stage` command for `color`: `stage <color> <image>`, or `stage <color> bff=<image> web=<image>` for an app with services. */
export function stageSynopsis(state: ReleaseState, color: Color): string {
  return isShorthand(state) ? `stage ${color} <image>` : `stage ${color} ${state.services.map((s) => `${s.displayName}=<image>`).join(" ")}`;
}

/** The services without an image in `color`, by display name. */
function missingImages(state: ReleaseState, color: Color): string[] {
  return state.services.filter((s) => !s.colors[color].image).map((s) => s.displayName);
}

/** Whether `color` holds a release: an image for every service of the app. */
export function hasRelease(state: ReleaseState, color: Color): boolean {
  return missingImages(state, color).length === 0;
}

/** A color's release in words: its image, or `bff=<image>, web=<image>` for an app with services. */
export function describeRelease(state: ReleaseState, color: Color): string {
  if (isShorthand(state)) return state.services[0].colors[color].image ?? "(none)";
  return state.services.map((s) => `${s.displayName}=${s.colors[color].image ?? "(none)"}`).join(", ");
}

/** Replicas the idle color runs, and whether traffic could move to it right away. */
export type Warmth = "instant" | "scales-up" | "none";

/** One service's Pods of the idle color: running now, and needed to serve as the live color does. */
export interface IdlePods {
  readonly service: string;
  readonly running: number;
  readonly needed: number;
}

/**
 * How ready the idle color is to take traffic back:
 * - `instant`: it has a release and every service runs at least as many Pods as in the live color:
 *   the flip only changes the Service selectors.
 * - `scales-up`: it has a release and runs Pods, but some service fewer; `pulumi up` scales it to
 *   full size first, and the selectors flip once those Pods are ready (minutes, not seconds).
 * - `none`: no release or no Pods: there is nothing to roll back to until it is staged again.
 */
export function idleWarmth(state: ReleaseState): { warmth: Warmth; idle: Color; pods: readonly IdlePods[] } {
  const idle = otherColor(state.activeColor);
  const pods = state.services.map((s) => ({
    service: s.displayName,
    running: effectiveReplicas(idle, state.activeColor, s.colors[idle]),
    needed: s.colors[state.activeColor].replicas,
  }));
  const warmth: Warmth =
    !hasRelease(state, idle) || pods.every((p) => p.running === 0) ? "none" : pods.every((p) => p.running >= p.needed) ? "instant" : "scales-up";
  return { warmth, idle, pods };
}

/** Flips `activeColor` to the idle color. `verb` only changes the wording: promote and rollback are the same edit. */
export function flip(state: ReleaseState, verb: "promote" | "rollback"): Plan {
  const target = otherColor(state.activeColor);
  const spec = state.colors[target];
  const action = verb === "promote" ? `promote \`${target}\`` : `roll back to \`${target}\``;
  const stageFirst = release(stageSynopsis(state, target), state.stack);
  const problems: string[] = [];
  if (spec.retired) {
    problems.push(
      `cannot ${action}: \`colors.${target}.retired\` is true, so its schema may be contracted and its code may read what the contract dropped; stage a compatible ${isShorthand(state) ? "image" : "release"} first with \`${stageFirst}\``,
    );
  }
  const missing = missingImages(state, target);
  if (missing.length > 0 && isShorthand(state)) {
    problems.push(`cannot ${action}: \`colors.${target}.image\` is not set; stage an image first with \`${stageFirst}\``);
  } else if (missing.length > 0) {
    const what = missing.length === state.services.length ? `\`colors.${target}.images\` is not set` : `\`colors.${target}.images\` has no image for ${quoted(missing)}`;
    problems.push(`cannot ${action}: ${what}; stage a release of every service first with \`${stageFirst}\``);
  }
  if (spec.replicas === 0) {
    const size = Math.max(state.colors[state.activeColor].replicas, 1);
    problems.push(
      `cannot ${action}: \`colors.${target}.replicas\` is 0, so it would serve no traffic; scale it up first with \`pulumi config set --path colors.${target}.replicas ${size} -s ${state.stack}\``,
    );
  }
  if (problems.length > 0) return { kind: "refused", problems };

  const notes: string[] = [];
  const short = state.services
    .map((s) => ({ service: s.displayName, running: effectiveReplicas(target, state.activeColor, s.colors[target]), size: s.colors[target].replicas }))
    .filter((s) => s.running < s.size);
  if (short.length > 0) {
    const counts = isShorthand(state) ? `${short[0].running} of its ${short[0].size} Pods` : `fewer Pods (${short.map((s) => `${s.service} ${s.running} of ${s.size}`).join(", ")})`;
    notes.push(`${target} runs ${counts} while idle: \`pulumi up\` scales it up first and moves traffic once they are ready.`);
  }
  if (verb === "rollback") {
    notes.push(
      "When you know the promotion commit, `git revert <promotion commit>` makes this same change and records why; " +
        `find it with \`git log --oneline -- Pulumi.${state.stack}.yaml\`.`,
    );
  }
  const described = describeRelease(state, target);
  const commitMessage = verb === "promote" ? `${state.stack}: promote ${target} (${described}) to live` : `${state.stack}: roll back to ${target} (${described})`;
  return { kind: "edit", edits: [{ path: ["activeColor"], value: target }], commitMessage, notes };
}

/**
 * The images `stage <color> <args...>` puts on the color, by service display name: one image for
 * the shorthand; `<service>=<image>` for every service of an app with services. A problem (one
 * line, naming the argument and the app's services) when the arguments do not say that.
 */
export function stageImages(state: ReleaseState, color: Color, args: readonly string[]): { images: Record<string, string> } | { problem: string } {
  const example = `\`${release(stageSynopsis(state, color), state.stack)}\``;
  if (isShorthand(state)) {
    if (args.length === 1 && !args[0].includes("=")) return { images: { [state.app]: args[0] } };
    return { problem: `\`${args.join(" ")}\` is not one image: \`${state.app}\` is one service (the stack declares no \`services\`); use ${example}` };
  }
  const names = state.services.map((s) => s.displayName);
  const services = `\`${state.app}\` has services ${quoted(names)}`;
  const images: Record<string, string> = {};
  for (const arg of args) {
    const at = arg.indexOf("=");
    const name = arg.slice(0, Math.max(at, 0));
    const image = arg.slice(at + 1);
    if (at < 0 || name === "" || image === "") return { problem: `\`${arg}\` is not a \`<service>=<image>\` argument: ${services}; use ${example}` };
    if (!names.includes(name)) return { problem: `\`${arg}\` names no service of the app: ${services}; use ${example}` };
    if (name in images) return { problem: `\`${name}\` is given twice (\`${name}=${images[name]}\`, \`${arg}\`): give each service's image once, as in ${example}` };
    images[name] = image;
  }
  const missing = names.filter((name) => !(name in images));
  if (missing.length > 0) {
    return { problem: `no image for ${quoted(missing)}: a color is a release of every service, and ${services}; give each, as in ${example}` };
  }
  return { images };
}

/**
 * Puts `images` (by service display name, from stageImages) on the idle color `color`. A color
 * scaled to 0 (retired) is scaled back to the live color's size, so the release can be promoted,
 * and rolled back, without waiting for Pods.
 */
export function stage(state: ReleaseState, color: Color, images: Readonly<Record<string, string>>): Plan {
  const shorthand = isShorthand(state);
  const given = state.services.map((s) => ({ name: s.displayName, key: s.service, image: images[s.displayName] }));
  const args = shorthand ? given[0].image : given.map((g) => `${g.name}=${g.image}`).join(" ");
  if (color === state.activeColor) {
    return {
      kind: "refused",
      problems: [
        `cannot stage on \`${color}\`: it is the live color (\`activeColor\` is \`${color}\`); stage on the idle color \`${otherColor(color)}\` with \`${release(`stage ${otherColor(color)} ${args}`, state.stack)}\`, then promote it`,
      ],
    };
  }
  const spec = state.colors[color];
  const edits: Edit[] = [];
  const notes: string[] = [];
  if (shorthand) {
    if (spec.image !== given[0].image) edits.push({ path: ["colors", color, "image"], value: given[0].image });
  } else if (spec.images === undefined) {
    edits.push({ path: ["colors", color, "images"], value: Object.fromEntries(given.map((g) => [g.key!, g.image])) });
  } else {
    for (const g of given) if (spec.images[g.key!] !== g.image) edits.push({ path: ["colors", color, "images", g.key!], value: g.image });
  }
  const size = state.colors[state.activeColor].replicas;
  if (spec.replicas === 0) {
    edits.push({ path: ["colors", color, "replicas"], value: size });
    notes.push(`${color} was scaled to 0; it is scaled to ${size} Pod${size === 1 ? "" : "s"}, as many as ${state.activeColor} serves with.`);
  }
  if (spec.previewReplicas === 0) {
    edits.push({ path: ["colors", color, "previewReplicas"], value: spec.replicas === 0 ? size : spec.replicas });
  }
  if (spec.retired) edits.push({ path: ["colors", color, "retired"], value: false });
  const described = shorthand ? given[0].image : given.map((g) => `${g.name}=${g.image}`).join(", ");
  if (edits.length === 0) {
    return {
      kind: "unchanged",
      reason: shorthand ? `\`colors.${color}.image\` is already \`${described}\`: nothing to change` : `\`colors.${color}.images\` already holds ${described}: nothing to change`,
    };
  }
  notes.push(
    `\`pulumi up\` rolls ${color} out behind its preview Service${shorthand ? "" : "s"}; traffic moves only with \`${release("promote", state.stack)}\`.`,
  );
  return { kind: "edit", edits, commitMessage: `${state.stack}: stage ${described} on ${color}`, notes };
}

/** Scales the idle color `color` to 0 Pods. Its images stay, so staging it again is one command. */
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
      `\`colors.${color}.retired\` marks it: promotion and rollback to ${color} are refused until \`stage\` puts a compatible ${isShorthand(state) ? "image" : "release"} on it.`,
      "Contract-phase migrations, which wait for the old color to be retired, run on that `pulumi up`.",
    ],
  };
}
