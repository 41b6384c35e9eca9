/**
 * Progress while a command waits: after a second without news, one line saying what it waits for
 * and for how long, then one every few seconds (on stderr, so `-o json` output stays clean).
 */
const FIRST_AFTER_MS = 1_000;
const EVERY_MS = 5_000;

export async function withProgress<T>(say: (line: string) => void, what: string, work: Promise<T>): Promise<T> {
  const started = Date.now();
  const tell = () => say(`  … waiting for ${what} (${Math.round((Date.now() - started) / 1000)} s)`);
  let repeat: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    tell();
    repeat = setInterval(tell, EVERY_MS);
  }, FIRST_AFTER_MS);
  try {
    return await work;
  } finally {
    clearTimeout(first);
    if (repeat) clearInterval(repeat);
  }
}
