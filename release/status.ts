/**
 * `release status`: both colors, which one is live, each service's image and replicas in each, and
 * how warm the idle one is. The one-service shorthand shows one row per color, without a service
 * column.
 */
import { COLORS, effectiveReplicas } from "../config";
import { Paint } from "./paint";
import { describeRelease, idleWarmth, isShorthand, ReleaseState, stageSynopsis } from "./transitions";

const pods = (n: number) => `${n} Pod${n === 1 ? "" : "s"}`;

type Row = { color: string; role: string; service: string; image: string; replicas: string };

function table(state: ReleaseState, paint: Paint): string[] {
  const shorthand = isShorthand(state);
  const rows: Row[] = COLORS.flatMap((color) =>
    state.services.map((s) => {
      const spec = s.colors[color];
      const running = effectiveReplicas(color, state.activeColor, spec);
      const replicas = running === spec.replicas ? `${spec.replicas}` : `${spec.replicas} (${running} while idle)`;
      return { color, role: color === state.activeColor ? "live" : "idle", service: s.displayName, image: spec.image ?? "(none)", replicas };
    }),
  );
  const header: Row = { color: "color", role: "role", service: "service", image: "image", replicas: "replicas" };
  const columns: (keyof Row)[] = shorthand ? ["color", "role", "image", "replicas"] : ["color", "role", "service", "image", "replicas"];
  const width = (key: keyof Row) => Math.max(...[header, ...rows].map((r) => r[key].length));
  const format = (r: Row) => `  ${columns.map((key) => r[key].padEnd(width(key))).join("  ")}`.trimEnd();
  return [paint.bold(format(header)), ...rows.map((row) => (row.role === "live" ? paint.green(format(row)) : format(row)))];
}

export function statusLines(state: ReleaseState, fileName: string, paint: Paint): string[] {
  const lines = [paint.bold(`Stack ${state.stack} (${fileName})`), "", ...table(state, paint), ""];

  const { warmth, idle, pods: idlePods } = idleWarmth(state);
  const active = state.activeColor;
  const rollback = `npm run release -- rollback --stack ${state.stack}`;
  lines.push(`Live: ${active}. Idle: ${idle}.`);
  if (isShorthand(state)) {
    const { running, needed } = idlePods[0];
    const image = describeRelease(state, idle);
    if (warmth === "instant") {
      lines.push(
        `${paint.green("Rollback: instant.")} ${idle} already runs ${pods(running)} of ${image}, as many as ${active} serves with (${needed}); \`${rollback}\` only flips the Service selector.`,
      );
    } else if (warmth === "scales-up") {
      lines.push(
        `${paint.yellow("Rollback: not instant.")} ${idle} runs ${running} of the ${pods(needed)} ${active} serves with; \`${rollback}\` scales it up first and flips traffic once they are ready. Keep it at full size with \`pulumi config set --path colors.${idle}.previewReplicas ${needed} -s ${state.stack}\`.`,
      );
    } else {
      const why = state.colors[idle].image ? "runs no Pods" : "has no image";
      lines.push(`${paint.red("Rollback: none.")} ${idle} ${why}; stage it first with \`npm run release -- ${stageSynopsis(state, idle)} --stack ${state.stack}\`.`);
    }
    return lines;
  }
  if (warmth === "instant") {
    const running = idlePods.map((p) => `${p.service} ${p.running}`).join(", ");
    lines.push(
      `${paint.green("Rollback: instant.")} ${idle} already runs as many Pods of each service as ${active} serves with (${running}); \`${rollback}\` only flips the Service selectors.`,
    );
  } else if (warmth === "scales-up") {
    const counts = idlePods.map((p) => `${p.service} ${p.running} of ${p.needed}`).join(", ");
    const short = idlePods.filter((p) => p.running < p.needed).map((p) => p.service);
    lines.push(
      `${paint.yellow("Rollback: not instant.")} ${idle} runs fewer Pods than ${active} serves with (${counts}); \`${rollback}\` scales it up first and flips traffic once they are ready. Keep it at full size: raise \`previewReplicas\` of \`colors.${idle}\` or of ${short.map((s) => `\`services.${s}\``).join(", ")} to the live size.`,
    );
  } else {
    const missing = state.services.filter((s) => !s.colors[idle].image).map((s) => `\`${s.displayName}\``);
    const why = missing.length > 0 ? `has no image for ${missing.join(", ")}` : "runs no Pods";
    lines.push(`${paint.red("Rollback: none.")} ${idle} ${why}; stage a release of every service first with \`npm run release -- ${stageSynopsis(state, idle)} --stack ${state.stack}\`.`);
  }
  return lines;
}
