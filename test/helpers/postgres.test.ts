import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresServer, startPostgres } from "./postgres";

describe("test PostgreSQL harness", () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it("serves a fresh database on loopback and creates more on request", async () => {
    expect(pg.host).toBe("127.0.0.1");
    const url = await pg.createDatabase("harness_check");
    expect(url).toBe(`postgres://postgres@127.0.0.1:${pg.port}/harness_check`);
    const [row] = await pg.query<{ major: string }>("SELECT current_setting('server_version_num')::int / 10000 AS major", "harness_check");
    expect(Number(row.major)).toBe(pg.binaries.major);
  });
});
