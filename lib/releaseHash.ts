import { createHash } from "node:crypto";

/**
 * A color's release, as a hash of the color and its image: it changes when a new image is staged on
 * that color, never on a promotion (which only flips `activeColor`) nor with the other color.
 */
export function colorReleaseHash(color: string, image: string): string {
  return createHash("sha256").update(JSON.stringify({ color, image })).digest("hex").slice(0, 10);
}
