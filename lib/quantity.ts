/**
 * Kubernetes resource quantities ("250m", "1.5", "512Mi", "1G") parsed to plain numbers,
 * so config validation can compare a request with its limit.
 */
const SUFFIX_FACTORS: Record<string, number> = {
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^(\d+(?:\.\d+)?|\.\d+)(?:[eE]([+-]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/;

/** The quantity's value in base units (cores or bytes), or undefined when it is not a quantity. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const [, digits, exponent, suffix] = match;
  const base = Number(digits);
  if (exponent !== undefined) return base * 10 ** Number(exponent);
  return base * SUFFIX_FACTORS[suffix ?? ""];
}
