/**
 * A short line diff of a stack file before and after an edit: changed lines with one line of
 * context, in the unified format reviewers know. Stack files are small, so a plain LCS table is fine.
 */
import { Paint } from "./paint";

type Line = { readonly op: " " | "-" | "+"; readonly text: string; readonly oldLine: number; readonly newLine: number };

function lineOps(before: string[], after: string[]): Line[] {
  const n = before.length;
  const m = after.length;
  // lcs[i][j] = length of the longest common subsequence of before[i..] and after[j..]
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = before[i] === after[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const ops: Line[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      ops.push({ op: " ", text: before[i], oldLine: i + 1, newLine: j + 1 });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push({ op: "-", text: before[i], oldLine: i + 1, newLine: j });
      i++;
    } else {
      ops.push({ op: "+", text: after[j], oldLine: i, newLine: j + 1 });
      j++;
    }
  }
  return ops;
}

/** The diff as printable lines; empty when nothing changed. */
export function diffLines(fileName: string, before: string, after: string, paint: Paint, context = 1): string[] {
  const ops = lineOps(before.split("\n"), after.split("\n"));
  const changed = ops.map((o, index) => (o.op === " " ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return [];
  const shown = new Set<number>();
  for (const index of changed) {
    for (let k = index - context; k <= index + context; k++) if (k >= 0 && k < ops.length) shown.add(k);
  }
  const out = [paint.bold(`--- ${fileName}`), paint.bold(`+++ ${fileName}`)];
  let previous = -2;
  for (const index of [...shown].sort((a, b) => a - b)) {
    const o = ops[index];
    if (index !== previous + 1) out.push(paint.cyan(`@@ line ${o.op === "+" ? o.newLine : o.oldLine} @@`));
    previous = index;
    const line = `${o.op}${o.text}`;
    out.push(o.op === "-" ? paint.red(line) : o.op === "+" ? paint.green(line) : line);
  }
  return out;
}
