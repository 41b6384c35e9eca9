/**
 * Decodes one config value as the program receives it. Pulumi hands every value over as text;
 * structured values (objects, arrays, numbers, booleans) arrive as JSON. `pulumi config set` also
 * writes scalars into the stack file as strings (`production: "true"`), which decode the same way.
 */
export function decodeConfigValue(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" || typeof value === "number" || typeof value === "boolean") return value;
  } catch {
    // plain text
  }
  return text;
}
