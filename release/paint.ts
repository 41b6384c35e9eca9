/**
 * ANSI colors for the release CLI's output: on only when writing to a terminal and `NO_COLOR` is
 * not set (https://no-color.org), so logs, pipes and tests get plain text.
 */
export interface Paint {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  bold(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export const PLAIN: Paint = { red: String, green: String, yellow: String, cyan: String, bold: String };
export const ANSI: Paint = { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), bold: wrap(1, 22) };

export function paintFor(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): Paint {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  return isTTY && !noColor ? ANSI : PLAIN;
}
