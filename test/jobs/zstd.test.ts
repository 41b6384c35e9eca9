/** zstd as a child process (jobs/backup/zstd.ts), run for real. */
import { execFileSync, spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { startZstd } from "../../jobs/backup/zstd";
import { requireZstd } from "./backupFixture";

describe("startZstd", () => {
  it("reports a reader that stopped reading as gone, whether zstd got SIGPIPE or a connection reset", async () => {
    requireZstd();
    // 32 MB once decompressed: far more than the socket pair between the processes holds.
    const compressed = execFileSync("zstd", ["-q", "-c", "-1"], { input: Buffer.alloc(32 << 20) });
    // Which of the two zstd sees is a race (a reader closing with bytes unread resets the socket):
    // a few rounds see both on Node 24.
    for (let round = 1; round <= 6; round++) {
      const reader = spawn("head", ["-c", "1"], { stdio: ["pipe", "ignore", "ignore"] });
      const zstd = startZstd("zstd", "decompress", ["pipe", reader.stdin!, "pipe"]);
      reader.stdin!.destroy();
      zstd.child.stdin!.on("error", () => {});
      zstd.child.stdin!.end(compressed);
      const failure = await zstd.failure;
      expect(failure, `round ${round}`).toBeDefined();
      expect(failure!.readerGone, `round ${round}: ${failure!.message}`).toBe(true);
    }
  });

  it("does not take a corrupt frame for a reader that went away", async () => {
    requireZstd();
    const reader = spawn("cat", [], { stdio: ["pipe", "ignore", "ignore"] });
    const zstd = startZstd("zstd", "decompress", ["pipe", reader.stdin!, "pipe"]);
    reader.stdin!.destroy();
    zstd.child.stdin!.end(Buffer.from("not a zstd frame"));
    const failure = await zstd.failure;
    expect(failure?.message).toMatch(/^zstd -d failed \(exit 1\): /);
    expect(failure?.readerGone).toBe(false);
  });
});
