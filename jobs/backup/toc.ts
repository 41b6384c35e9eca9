/**
 * What a dump's table of contents (`pg_restore --list`) says about the tables its manifest counts,
 * read before a restore touches its target. Lines look like `3348; 0 16387 TABLE DATA public users
 * postgres`: schema and name unquoted, so a name with spaces is matched as a prefix of the line's
 * rest.
 */

const PART = String.raw`(?:"((?:[^"]|"")*)"|([^".]+))`;
const QUALIFIED = new RegExp(`^${PART}\\.${PART}$`);

/** `"S q"."T""x"` (as `format('%I.%I')` writes it) -> `["S q", 'T"x']`. */
export function splitQualifiedName(name: string): [string, string] | undefined {
  const match = QUALIFIED.exec(name);
  if (!match) return undefined;
  const unquote = (quoted: string | undefined, bare: string | undefined) => (quoted !== undefined ? quoted.replace(/""/g, '"') : bare!);
  return [unquote(match[1], match[2]), unquote(match[3], match[4])];
}

function hasEntry(listing: readonly string[], kind: string, schema: string, table: string): boolean {
  const rest = ` ${kind} ${schema} ${table} `;
  return listing.some((line) => line.replace(/^\d+; \d+ \d+/, "").startsWith(rest));
}

/**
 * Tables the manifest counts rows in whose definition is in the dump but whose data is not: a
 * restore could never match those counts. (Tables without a definition in the dump, such as those
 * an extension creates, are left to the row-count comparison after the restore.)
 */
export function tablesWithoutData(tables: Readonly<Record<string, number>>, listingText: string): string[] {
  const listing = listingText.split("\n");
  return Object.keys(tables)
    .sort()
    .filter((name) => {
      const parts = splitQualifiedName(name);
      if (!parts || tables[name] === 0) return false;
      return hasEntry(listing, "TABLE", ...parts) && !hasEntry(listing, "TABLE DATA", ...parts);
    });
}
