/**
 * A container image reference split into its parts: `registry/path[:tag][@sha256:digest]`.
 * The tag is what follows the last `:` after the last `/`, so `localhost:5000/web` has no tag.
 */
export interface ImageRef {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Parses an image reference, or returns undefined when it is not one. */
export function parseImageRef(image: string): ImageRef | undefined {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (!REPOSITORY.test(rest)) return undefined;
  return { repository: rest, tag, digest };
}

/**
 * Why an image may not run in production, or undefined when it may: it needs a digest, or a
 * version tag (one with a digit in it, never `latest`) so that a deploy is reproducible.
 */
export function unpinnedReason(ref: ImageRef): string | undefined {
  if (ref.digest) return undefined;
  if (ref.tag === undefined) return "it has no tag";
  if (ref.tag === "latest") return "`latest` moves";
  if (!/\d/.test(ref.tag)) return `tag \`${ref.tag}\` is not a version`;
  return undefined;
}
