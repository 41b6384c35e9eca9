/**
 * Just enough SQL lexing for the runner and the lint: split a file into statements and hide what
 * is not SQL structure (comments, string literals, dollar-quoted bodies) behind spaces, keeping every
 * character's offset, so a regex match maps back to the file's exact line.
 */

export interface Statement {
  /** The statement as written (comments included), without the closing `;`. */
  readonly text: string;
  /** Same length as `text`; comments and literal contents replaced by spaces, newlines kept. */
  readonly masked: string;
  /** Offset of `text` in the file. */
  readonly offset: number;
  /** 1-based line of the statement's first SQL token. */
  readonly line: number;
}

/** A possibly schema-qualified, possibly quoted identifier, for building regexes over masked SQL. */
export const IDENT = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*))?`;

/** Replaces comments and the contents of string literals and dollar-quoted bodies with spaces. */
export function maskSql(sql: string): string {
  const out = sql.split("");
  const blank = (from: number, to: number) => {
    for (let i = from; i < to && i < out.length; i++) if (out[i] !== "\n") out[i] = " ";
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      // Block comments nest in PostgreSQL.
      let depth = 1;
      let j = i + 2;
      while (j < sql.length && depth > 0) {
        if (sql[j] === "/" && sql[j + 1] === "*") {
          depth++;
          j += 2;
        } else if (sql[j] === "*" && sql[j + 1] === "/") {
          depth--;
          j += 2;
        } else {
          j++;
        }
      }
      blank(i, j);
      i = j;
    } else if (c === "'") {
      // In an escape string (E'...', the E not ending a longer word) a backslash escapes the next character.
      const escapes = /[Ee]/.test(sql[i - 1] ?? "") && !/[A-Za-z0-9_$]/.test(sql[i - 2] ?? "");
      let j = i + 1;
      while (j < sql.length) {
        if (escapes && sql[j] === "\\") j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      blank(i + 1, j); // keep the quotes so `DEFAULT ''` still reads as a default
      i = j + 1;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      i = end < 0 ? sql.length : end + 1; // identifiers stay visible
    } else if (c === "$") {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? "")) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        const stop = end < 0 ? sql.length : end;
        blank(i + tag[0].length, stop);
        i = end < 0 ? sql.length : end + tag[0].length;
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
  return out.join("");
}

/** 1-based line number of an offset. */
export function lineAt(sql: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < sql.length; i++) if (sql[i] === "\n") line++;
  return line;
}

/** The file's statements in order; empty ones (only comments or whitespace) are left out. */
export function splitStatements(sql: string): Statement[] {
  const masked = maskSql(sql);
  const statements: Statement[] = [];
  let start = 0;
  const push = (end: number) => {
    const part = masked.slice(start, end);
    const first = part.search(/\S/);
    if (first >= 0) {
      statements.push({ text: sql.slice(start, end), masked: part, offset: start, line: lineAt(sql, start + first) });
    }
  };
  for (let i = 0; i < masked.length; i++) {
    if (masked[i] === ";") {
      push(i);
      start = i + 1;
    }
  }
  push(masked.length);
  return statements;
}

/** Splits at commas outside parentheses: the actions of an ALTER TABLE, with their offsets. */
export function splitTopLevel(masked: string, from = 0): { text: string; offset: number }[] {
  const parts: { text: string; offset: number }[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < masked.length; i++) {
    const c = masked[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push({ text: masked.slice(start, i), offset: start });
      start = i + 1;
    }
  }
  parts.push({ text: masked.slice(start), offset: start });
  return parts;
}

/** Lowercased bare name of a possibly qualified, possibly quoted identifier (`public."Users"` -> `Users`). */
export function bareName(identifier: string): string {
  const parts = identifier.match(/"(?:[^"]|"")*"|[^."]+/g) ?? [identifier];
  const last = parts[parts.length - 1];
  return last.startsWith('"') ? last.slice(1, -1).replace(/""/g, '"') : last.toLowerCase();
}
