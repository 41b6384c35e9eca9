/**
 * Names for objects whose content is secret (Kubernetes Secrets): `<prefix>-<hash>`, where the hash
 * is the first 10 hex digits of the SHA-256 of the content. A new value gives a new name, so a
 * rotation creates a new immutable Secret, the Pods that read it roll onto it, and Pulumi deletes
 * the old one afterwards (create before delete: the names differ).
 *
 * The values are Pulumi secrets, so the name is computed inside `apply`; it is then marked not
 * secret: a truncated SHA-256 does not reveal the values, and a secret name would hide every diff
 * of the objects that reference it.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

const HASH_LENGTH = 10;

/** Hash of key/value content, independent of key order. */
export function contentHash(data: Readonly<Record<string, string>>): string {
  const entries = Object.keys(data)
    .sort()
    .map((key) => [key, data[key]]);
  return createHash("sha256").update(JSON.stringify(entries)).digest("hex").slice(0, HASH_LENGTH);
}

/** `<prefix>-<contentHash(data)>`, a plain (not secret) Output. */
export function contentHashedName(prefix: string, data: Readonly<Record<string, pulumi.Input<string>>>): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.all(data).apply((values) => `${prefix}-${contentHash(values)}`));
}
