/** `release status`: both colors, which one is live, their images and replicas, and how warm the idle one is. */
import { COLORS, effectiveReplicas } from "../config";
import { Paint } from "./paint";
import { idleWarmth, ReleaseState } from "./transitions";

const pods = (n: number) => `${n} Pod${n === 1 ? "" : "s"}`;

export function statusLines(state: ReleaseState, fileName: string, paint: Paint): string[] {
  const rows = COLORS.map((color) => {
    const spec = state.colors[color];
    const live = color === state.activeColor;
    const running = effectiveReplicas(color, state.activeColor, spec);
    const replicas = running === spec.replicas ? `${spec.replicas}` : `${spec.replicas} (${running} while idle)`;
    return { color, role: live ? "live" : "idle", image: spec.image ?? "(none)", replicas };
  });
  const header = { color: "color", role: "role", image: "image", replicas: "replicas" };
  const width = (key: keyof typeof header) => Math.max(...[header, ...rows].map((r) => r[key].length));
  const format = (r: typeof header) =>
    `  ${r.color.padEnd(width("color"))}  ${r.role.padEnd(width("role"))}  ${r.image.padEnd(width("image"))}  ${r.replicas}`.trimEnd();

  const lines = [paint.bold(`Stack ${state.stack} (${fileName})`), "", paint.bold(format(header))];
  for (const row of rows) lines.push(row.role === "live" ? paint.green(format(row)) : format(row));
  lines.push("");

  const { warmth, idle, running, needed } = idleWarmth(state);
  const active = state.activeColor;
  const image = state.colors[idle].image;
  const rollback = `npm run release -- rollback --stack ${state.stack}`;
  lines.push(`Live: ${active}. Idle: ${idle}.`);
  if (warmth === "instant") {
    lines.push(
      `${paint.green("Rollback: instant.")} ${idle} already runs ${pods(running)} of ${image}, as many as ${active} serves with (${needed}); \`${rollback}\` only flips the Service selector.`,
    );
  } else if (warmth === "scales-up") {
    lines.push(
      `${paint.yellow("Rollback: not instant.")} ${idle} runs ${running} of the ${pods(needed)} ${active} serves with; \`${rollback}\` scales it up first and flips traffic once they are ready. Keep it at full size with \`pulumi config set --path colors.${idle}.previewReplicas ${needed} -s ${state.stack}\`.`,
    );
  } else {
    const why = image ? `runs no Pods` : `has no image`;
    lines.push(
      `${paint.red("Rollback: none.")} ${idle} ${why}; stage it first with \`npm run release -- stage ${idle} <image> --stack ${state.stack}\`.`,
    );
  }
  return lines;
}
