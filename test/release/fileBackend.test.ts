/**
 * The file backend's metadata sidecars, on real files: a `pulumi` killed while writing a state file's
 * `.attrs` leaves it empty (seen on the real CLI: every command then fails "failed to load
 * checkpoint: EOF"); such a sidecar is removed when the object beside it is whole, and only then.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { isCheckpoint, lockFilesOf, repairSidecars, stateFileOf } from "../../release/fileBackend";

function backend(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "file-backend-"));
  fs.mkdirSync(path.join(root, ".pulumi", "stacks", "bluegreen"), { recursive: true });
  fs.mkdirSync(path.join(root, ".pulumi", "locks", "organization", "bluegreen", "prod"), { recursive: true });
  return root;
}

const CHECKPOINT = JSON.stringify({ version: 3, checkpoint: { stack: "prod", latest: { resources: [] } } });
const ATTRS = JSON.stringify({ "user.content_type": "application/json", md5: "46xZug/A1BSa9mAFN6B88A==" });

describe("a file backend's stack files", () => {
  it("finds the state file (project layout first, then the legacy one) and the stack's lock files", () => {
    const root = backend();
    expect(stateFileOf(root, "bluegreen", "prod")).toBeUndefined();
    const legacy = path.join(root, ".pulumi", "stacks", "prod.json");
    fs.writeFileSync(legacy, CHECKPOINT);
    expect(stateFileOf(root, "bluegreen", "prod")).toBe(legacy);
    const scoped = path.join(root, ".pulumi", "stacks", "bluegreen", "prod.json");
    fs.writeFileSync(scoped, CHECKPOINT);
    expect(stateFileOf(root, "bluegreen", "prod")).toBe(scoped);
    expect(isCheckpoint(scoped)).toBe(true);
    const lock = path.join(root, ".pulumi", "locks", "organization", "bluegreen", "prod", "1.json");
    fs.writeFileSync(lock, "{}");
    fs.writeFileSync(`${lock}.attrs`, ATTRS);
    expect(lockFilesOf(root, "bluegreen", "prod")).toEqual([lock]);
    expect(lockFilesOf(root, "bluegreen", "other")).toEqual([]);
  });

  it("an empty sidecar beside a whole checkpoint is removed, saying so; a good one, or one beside a damaged object, stays", () => {
    const root = backend();
    const state = path.join(root, ".pulumi", "stacks", "bluegreen", "prod.json");
    fs.writeFileSync(state, CHECKPOINT);
    fs.writeFileSync(`${state}.attrs`, "");
    fs.writeFileSync(`${state}.bak`, CHECKPOINT);
    fs.writeFileSync(`${state}.bak.attrs`, ATTRS);
    expect(repairSidecars([state, `${state}.bak`])).toEqual([
      `Removed ${state}.attrs: the backend's metadata of prod.json, left unreadable by a \`pulumi\` stopped while writing it (prod.json itself is whole).`,
    ]);
    expect(fs.existsSync(`${state}.attrs`)).toBe(false);
    expect(fs.readFileSync(`${state}.bak.attrs`, "utf8")).toBe(ATTRS);

    // The checkpoint itself is damaged: its sidecar is not the problem and stays.
    fs.writeFileSync(state, CHECKPOINT.slice(0, 20));
    fs.writeFileSync(`${state}.attrs`, "");
    expect(repairSidecars([state])).toEqual([]);
    expect(fs.existsSync(`${state}.attrs`)).toBe(true);
    expect(isCheckpoint(state)).toBe(false);
  });
});
