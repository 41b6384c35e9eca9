/**
 * A color never scales down in the same `pulumi up` that moves traffic off it: the scale-down and
 * the selector patch would race, and a rollback would find fewer Pods than it left. The stack file's
 * last commit tells what this commit already changes; these checks refuse to mix the two.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { Color, ColorConfig, effectiveReplicas, otherColor } from "../config";
import { ReleaseState } from "./transitions";

/** The stack file as last committed (or at `ref`), or undefined outside git or where it does not exist. */
export function committedText(file: string, ref = "HEAD"): string | undefined {
  try {
    const dir = path.dirname(file);
    const top = execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 }).trim();
    const relative = path.relative(top, file).split(path.sep).join("/");
    return execFileSync("git", ["show", `${ref}:${relative}`], { cwd: top, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 });
  } catch {
    return undefined;
  }
}

/** Problems with switching traffic off `now.activeColor` when this commit already scales it down. */
export function switchProblems(committed: ReleaseState | undefined, now: ReleaseState): string[] {
  if (!committed || committed.activeColor !== now.activeColor) return [];
  const leaving: Color = now.activeColor;
  const idleSize = (spec: ColorConfig) => effectiveReplicas(leaving, otherColor(leaving), spec);
  const lowered = (before: number, after: number, key: string, what: string) =>
    `\`${key}\` is lowered (${before} → ${after} Pods${what} while idle) in the same commit that moves traffic off \`${leaving}\` (\`activeColor\`): commit and apply the switch first, then scale \`${leaving}\` down in a later commit`;
  const before = idleSize(committed.colors[leaving]);
  const after = idleSize(now.colors[leaving]);
  if (after < before) {
    const key = now.colors[leaving].previewReplicas !== committed.colors[leaving].previewReplicas ? "previewReplicas" : "replicas";
    return [lowered(before, after, `colors.${leaving}.${key}`, "")];
  }
  // A service's own `replicas`/`previewReplicas` can lower its Pods while the color's keys stay.
  const problems: string[] = [];
  for (const service of now.services) {
    const was = committed.services.find((s) => s.displayName === service.displayName);
    if (!was || service.service === undefined) continue;
    const [b, a] = [idleSize(was.colors[leaving]), idleSize(service.colors[leaving])];
    if (a < b) problems.push(lowered(b, a, `services.${service.service}`, ` of \`${service.displayName}\``));
  }
  return problems;
}

/** Problems with scaling `color` down when this commit already moves traffic off it. */
export function retireProblems(committed: ReleaseState | undefined, now: ReleaseState, color: Color): string[] {
  if (!committed || committed.activeColor === now.activeColor || committed.activeColor !== color) return [];
  return [
    `\`activeColor\` moves off \`${color}\` in this uncommitted change, and retiring \`${color}\` (\`colors.${color}.replicas\`) in the same commit would scale it down while traffic leaves it: commit and apply the switch first, then retire it in a later commit`,
  ];
}
