/**
 * `history`: the stack's switches, newest first, from three sources that each know part of it:
 *   - Pulumi's update history: every update that changed the live color, when it ended, the commit
 *     it ran from and whether it was targeted. It is the record of what was applied, whoever ran it.
 *   - The switch records the CLI writes in the cluster: who switched and how (`rollback --apply`,
 *     the watch's rollback), and the watch's verdicts.
 *   - The stack file's git history: the commit that made the change, and its author.
 * An update is the backbone; a record or commit joins it when it names the same switch.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { Color } from "../config";
import { ReleaseRecord, SwitchRecord, WatchRecord } from "./switchRecords";
import { UpdateInfo } from "./pulumiState";

export const HISTORY_SCHEMA = "bluegreen.history/v1";

export interface HistoryEntry {
  /** When traffic moved (the update's end, or the record's time), ISO. */
  readonly at: string;
  readonly from: string | null;
  readonly to: string;
  /** Each service's image in the color that became live, where known. */
  readonly images: Readonly<Record<string, string>>;
  /** `pulumi up`, `pulumi up --target` (the targeted switch), `rollback --apply`, `watch rollback`. */
  readonly how: string;
  readonly who: string | null;
  readonly commit: string | null;
  /** The Pulumi update's version, when the update history has it. */
  readonly update: number | null;
  /** The post-switch watch's verdict, when one was recorded. */
  readonly watch: string | null;
  readonly sources: readonly ("pulumi" | "cluster" | "git")[];
}

export interface History {
  readonly schema: typeof HISTORY_SCHEMA;
  readonly stack: string;
  readonly switches: readonly HistoryEntry[];
  readonly unread: readonly { readonly source: "cluster" | "state" | "git"; readonly reason: string }[];
}

/** A commit that changed the live color in the stack file. */
export interface ColorCommit {
  readonly commit: string;
  readonly author: string;
  readonly at: string;
  readonly to: string;
}

/** How far apart (ms) an update and a record of the same switch may be. */
const SAME_SWITCH_MS = 120_000;

/** Reads, per commit that touched the stack file, the live color it set (one `git log`). */
export function readColorCommits(file: string, project: string): Promise<ColorCommit[]> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      ["log", "-n", "200", "--format=%x1e%H%x1f%an%x1f%aI", "-p", "-U0", "--", path.basename(file)],
      { cwd: path.dirname(file), timeout: 10_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout) => {
        if (error) {
          reject(new Error(`git log ${path.basename(file)}: ${error.message.split("\n")[0]}`));
          return;
        }
        const commits: ColorCommit[] = [];
        const key = new RegExp(`^\\+\\s*${project}:activeColor:\\s*"?(\\w+)"?\\s*$`, "m");
        for (const chunk of stdout.split("\x1e").filter(Boolean)) {
          const [header, ...rest] = chunk.split("\n");
          const [commit, author, at] = header.split("\x1f");
          const set = key.exec(rest.join("\n"));
          if (set) commits.push({ commit, author, at, to: set[1] });
        }
        resolve(commits.reverse());
      },
    );
  });
}

export interface HistorySources {
  readonly stack: string;
  readonly project: string;
  /** Pulumi's updates, oldest first, or why they could not be read. */
  readonly updates: readonly UpdateInfo[] | Error;
  readonly records: readonly ReleaseRecord[] | Error;
  readonly commits: readonly ColorCommit[] | Error;
  /** Each service's image in a color, from one update's config (for the images of a switch). */
  readonly imagesOf: (config: Readonly<Record<string, unknown>>, color: Color) => Record<string, string>;
}

const close = (a: string, b: string) => Math.abs(Date.parse(a) - Date.parse(b)) <= SAME_SWITCH_MS;

/** The switches, newest first. */
export function buildHistory(sources: HistorySources, limit: number): History {
  const unread: { source: "cluster" | "state" | "git"; reason: string }[] = [];
  const updates = sources.updates instanceof Error ? (unread.push({ source: "state", reason: sources.updates.message }), []) : sources.updates;
  const records = sources.records instanceof Error ? (unread.push({ source: "cluster", reason: sources.records.message }), []) : sources.records;
  const commits = sources.commits instanceof Error ? (unread.push({ source: "git", reason: sources.commits.message }), []) : sources.commits;
  const switchRecords = records.filter((r): r is SwitchRecord => r.kind === "switch");
  const watchRecords = records.filter((r): r is WatchRecord => r.kind === "watch");
  const colorKey = `${sources.project}:activeColor`;

  type Draft = { -readonly [K in keyof HistoryEntry]: HistoryEntry[K] } & { sources: ("pulumi" | "cluster" | "git")[] };
  const entries: Draft[] = [];
  let previous: string | undefined;
  for (const update of updates) {
    if (update.kind !== "update" || update.result !== "succeeded") continue;
    const color = update.config[colorKey];
    if (typeof color !== "string") continue;
    if (previous !== undefined && color !== previous) {
      const commit = update.environment["git.head"] ?? null;
      entries.push({
        at: update.endTime ?? update.startTime,
        from: previous,
        to: color,
        images: sources.imagesOf(update.config, color as Color),
        how: update.environment["pulumi.flag.target"] ? "pulumi up --target" : "pulumi up",
        who: null,
        commit,
        update: update.version,
        watch: null,
        sources: ["pulumi"],
      });
    }
    previous = color;
  }
  // A record names who switched and how; one that matches no update still happened (its update
  // history may be unreadable here).
  for (const record of switchRecords) {
    const entry = entries.find((e) => e.to === record.to && !e.sources.includes("cluster") && close(e.at, record.at));
    if (entry) {
      Object.assign(entry, { how: record.how, who: record.who, commit: entry.commit ?? record.commit ?? null, sources: [...entry.sources, "cluster"] });
      if (Object.keys(entry.images).length === 0) entry.images = record.images;
    } else {
      entries.push({ at: record.at, from: record.from, to: record.to, images: record.images, how: record.how, who: record.who, commit: record.commit ?? null, update: null, watch: null, sources: ["cluster"] });
    }
  }
  // The commit that set the color: its author, for a switch applied from git.
  for (const entry of entries) {
    const commit = commits.find((c) => c.to === entry.to && (c.commit === entry.commit || (entry.commit === null && close(c.at, entry.at))));
    if (!commit) continue;
    entry.commit = commit.commit;
    entry.who ??= `${commit.author} (commit)`;
    entry.sources.push("git");
  }
  if (updates.length === 0 && records.length === 0) {
    // Neither the state nor the cluster: what git says was switched, applied or not.
    for (const [i, c] of commits.entries()) {
      if (i === 0) continue;
      entries.push({ at: c.at, from: commits[i - 1].to, to: c.to, images: {}, how: "commit (applied or not: the state was not read)", who: c.author, commit: c.commit, update: null, watch: null, sources: ["git"] });
    }
  }
  entries.sort((a, b) => a.at.localeCompare(b.at));
  // A watch verdict belongs to the last switch to the color it watched, before it ended.
  for (const watch of watchRecords) {
    if (watch.state === "running") continue;
    const entry = [...entries].reverse().find((e) => e.to === watch.color && e.at <= watch.at);
    if (entry) entry.watch = `${watch.state}${watch.verdict ? `: ${watch.verdict}` : ""}`;
  }
  return { schema: HISTORY_SCHEMA, stack: sources.stack, switches: entries.reverse().slice(0, limit), unread };
}

/** `history` as text, one switch per line, newest first. */
export function historyLines(history: History): string[] {
  if (history.switches.length === 0) {
    const lines = [`No switch of ${history.stack} found.`];
    for (const u of history.unread) lines.push(`Not read: ${u.source}: ${u.reason}`);
    return lines;
  }
  const header = ["when (UTC)", "switch", "how", "who", "commit", "images", "watch"];
  const rows = history.switches.map((e) => [
    e.at.replace("T", " ").replace(/(\.\d+)?Z$/, ""),
    `${e.from ?? "?"} → ${e.to}`,
    e.how,
    e.who ?? "?",
    e.commit ? e.commit.slice(0, 7) : "-",
    Object.entries(e.images).map(([service, image]) => `${service}=${image}`).join(" ") || "-",
    e.watch ?? "-",
  ]);
  const width = (i: number) => Math.max(...[header, ...rows].map((r) => r[i].length));
  const format = (row: string[]) => row.map((cell, i) => cell.padEnd(width(i))).join("  ").trimEnd();
  const lines = [format(header), ...rows.map(format)];
  for (const u of history.unread) lines.push(`Not read: ${u.source}: ${u.reason}`);
  return lines;
}
