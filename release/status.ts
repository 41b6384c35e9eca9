/**
 * `status` as text. With the cluster read: the live color per source, each color's Deployment and
 * smoke Job as they run, and the maintenance page's Deployment of a stack with one. Without it
 * (statusLines): both colors as the stack file declares them, each service's image and replicas,
 * and how warm the idle one is meant to be. The one-service shorthand shows one row per color,
 * without a service column.
 */
import { COLORS, effectiveReplicas } from "../config";
import { MAINTENANCE } from "../domain/names";
import { Paint } from "./paint";
import { StatusReport } from "./statusReport";
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
  const rollback = `npx bluegreen rollback -s ${state.stack}`;
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
      lines.push(`${paint.red("Rollback: none.")} ${idle} ${why}; stage it first with \`npx bluegreen ${stageSynopsis(state, idle)} -s ${state.stack}\`.`);
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
    lines.push(`${paint.red("Rollback: none.")} ${idle} ${why}; stage a release of every service first with \`npx bluegreen ${stageSynopsis(state, idle)} -s ${state.stack}\`.`);
  }
  return lines;
}

const short = (commit: string | null) => (commit ? commit.slice(0, 7) : "");
const at = (iso: string) => iso.replace(/\.\d+Z$/, "Z");

/** The live color per source, in one line. */
function sourcesLine(report: StatusReport): string {
  const sources = [
    `cluster ${report.live.cluster ?? (report.unread.some((u) => u.source === "cluster") ? "(not read)" : "(no live Service)")}`,
    `${report.stackFile} ${report.live.stackFile}`,
    `HEAD${report.head ? ` ${short(report.head)}` : ""} ${report.live.head ?? "(not read)"}`,
    `Pulumi state ${report.live.state ?? "(not read)"}`,
  ];
  return `Live per source: ${sources.join(", ")}`;
}

/** Disagreements with their fixes, then the sources that could not be read. */
function problemLines(report: StatusReport, paint: Paint): string[] {
  const lines: string[] = [];
  if (report.problems.length > 0) {
    lines.push("", paint.bold("Disagreements and problems:"));
    for (const problem of report.problems) {
      const label = problem.kind === "release" || problem.kind === "image" ? paint.yellow(problem.kind) : paint.red(problem.kind);
      lines.push(`  ${label}: ${problem.message}`, `    fix: ${problem.fix}`);
    }
  } else if (report.unread.length === 0) {
    lines.push("", paint.green("The cluster, the stack file, HEAD and the Pulumi state agree."));
  }
  for (const source of report.unread) lines.push(paint.yellow(`Not read: ${source.source}: ${source.reason}`));
  return lines;
}

/**
 * `status` as text: the live color per source, a row per service and color as the cluster runs it
 * (and one for the maintenance page), then what to do. Without the cluster, the stack file's view
 * (statusLines) and what was not read.
 */
export function statusReportLines(report: StatusReport, state: ReleaseState, paint: Paint): string[] {
  if (report.rollback === null) return [...statusLines(state, report.stackFile, paint), "", sourcesLine(report), ...problemLines(report, paint)];
  const lines = [paint.bold(`Stack ${report.stack} · app ${report.app} · namespace ${report.namespace} · ${report.stackFile}`)];
  lines.push(`Live: ${paint.bold(report.live.cluster ?? report.live.stackFile)}`, sourcesLine(report), "");

  const shorthand = isShorthand(state);
  const header = ["service", "color", "role", "image", "Pods ready/wanted", "rollout", "smoke"];
  const rows = report.services.flatMap((service) =>
    COLORS.map((color) => {
      const c = service.colors[color];
      const d = c.deployment;
      const role = (service.selects ?? report.live.stackFile) === color ? "live" : "idle";
      return [service.name, color, role, c.image ?? "(none)", d.rollout === "missing" ? "-" : `${d.ready}/${d.replicas}`, d.rollout, c.smokeJob?.state ?? "off"];
    }),
  );
  const page = report.maintenancePage;
  if (page) {
    // One page for every service of the app: live while the live Services select it.
    const role = report.services.some((s) => (s.selects ?? report.live.stackFile) === MAINTENANCE) ? "live" : "idle";
    const d = page.deployment;
    rows.push(["all", MAINTENANCE, role, page.image ?? "(none)", d.rollout === "missing" ? "-" : `${d.ready}/${d.replicas}`, d.rollout, "-"]);
  }
  const columns = header.map((_, i) => i).filter((i) => !(shorthand && i === 0));
  const width = (i: number) => Math.max(...[header, ...rows].map((r) => r[i].length));
  const format = (row: string[]) => `  ${columns.map((i) => row[i].padEnd(width(i))).join("  ")}`.trimEnd();
  lines.push(paint.bold(format(header)));
  for (const row of rows) lines.push(row[2] === "live" ? paint.green(format(row)) : format(row));
  lines.push("");

  if (report.releaseJobs.length > 0) {
    const jobs = report.releaseJobs.map((j) => `${j.name} (${j.role}) ${j.state === "failed" ? paint.red(j.state) : j.state}`);
    lines.push(`Release Jobs: ${jobs.join(", ")}`);
  }
  const rollbackCommand = `npx bluegreen rollback -s ${report.stack} --apply`;
  if (report.rollback.instant) {
    lines.push(`${paint.green("Rollback: instant.")} ${report.rollback.to} is ready (Deployments rolled out and available, smoke passed): \`${rollbackCommand}\``);
  } else {
    lines.push(`${paint.red("Rollback: not now.")} \`${rollbackCommand}\` would refuse:`);
    for (const problem of report.rollback.problems) lines.push(`  - ${problem}`);
  }
  const last = report.lastSwitch;
  lines.push(
    last
      ? `Last switch: ${at(last.at)} ${last.from} → ${last.to} by ${last.who} (${last.how})${last.commit ? ` from ${short(last.commit)}` : ""}`
      : "Last switch: none recorded in the cluster (`npx bluegreen history` also reads Pulumi's and git's history)",
  );
  const watch = report.watch;
  if (watch) {
    const when = watch.state === "running" ? `running since ${at(watch.at)}${watch.until ? `, until ${at(watch.until)}` : ""}` : `${watch.state} at ${at(watch.at)}`;
    lines.push(`Watch of ${watch.color}: ${when}${watch.verdict ? `: ${watch.verdict}` : ""}`);
  } else {
    lines.push("Watch: none recorded");
  }
  return [...lines, ...problemLines(report, paint)];
}
