import { describe, expect, it } from "vitest";
import { parseImageRef, unpinnedReason } from "../../lib/imageRef";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("parseImageRef", () => {
  it.each([
    ["ghcr.io/acme/web:1.5.0", { repository: "ghcr.io/acme/web", tag: "1.5.0", digest: undefined }],
    ["web", { repository: "web", tag: undefined, digest: undefined }],
    ["localhost:5000/web", { repository: "localhost:5000/web", tag: undefined, digest: undefined }],
    ["localhost:5000/web:v2", { repository: "localhost:5000/web", tag: "v2", digest: undefined }],
    [`ghcr.io/acme/web@${DIGEST}`, { repository: "ghcr.io/acme/web", tag: undefined, digest: DIGEST }],
    [`ghcr.io/acme/web:1.5.0@${DIGEST}`, { repository: "ghcr.io/acme/web", tag: "1.5.0", digest: DIGEST }],
  ])("%s", (image, expected) => {
    expect(parseImageRef(image)).toEqual(expected);
  });

  it.each(["", "Web:1", "ghcr.io/acme/web:", "ghcr.io/acme/web@sha256:abc", "web:has space", "-web:1"])(
    "rejects %j",
    (image) => {
      expect(parseImageRef(image)).toBeUndefined();
    },
  );
});

describe("unpinnedReason", () => {
  it.each([
    ["ghcr.io/acme/web:1.5.0", undefined],
    ["ghcr.io/acme/web:sha-4f2a9c1", undefined],
    [`ghcr.io/acme/web@${DIGEST}`, undefined],
    ["ghcr.io/acme/web", "it has no tag"],
    ["ghcr.io/acme/web:latest", "`latest` moves"],
    ["ghcr.io/acme/web:stable", "tag `stable` is not a version"],
  ])("%s -> %s", (image, reason) => {
    expect(unpinnedReason(parseImageRef(image)!)).toBe(reason);
  });
});
