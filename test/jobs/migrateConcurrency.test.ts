/**
 * Runners started together, as the Job's retries or two overlapping releases do, on a file set with a
 * `CREATE INDEX CONCURRENTLY`: the index build waits for every transaction that holds a snapshot, so
 * a runner that held one while it waited for the migration lock would deadlock with the lock holder.
 */
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresServer, startPostgres } from "../helpers/postgres";
import { migrationDir, runCli } from "./cli";

const ROUNDS = 20;
const RUNNERS = 8;

let pg: PostgresServer;
let dir: string;

const FILES = {
  "001_create_items.sql": "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, sku text);\nINSERT INTO items (sku) SELECT 'sku-' || g FROM generate_series(1, 20000) g;\n",
  "002_index_items_sku.sql": "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_sku_idx ON items (sku);\n",
  "003_add_items_note.sql": "ALTER TABLE items ADD COLUMN note text;\n",
};

beforeAll(async () => {
  pg = await startPostgres();
  dir = migrationDir(FILES);
});
afterAll(async () => {
  await pg?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("migrate with concurrent runners", () => {
  it(
    `${RUNNERS} runners started together on a fresh database apply each file once and leave every index valid, ${ROUNDS} rounds out of ${ROUNDS}`,
    async () => {
      const durations: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const db = `concurrent_${round}`;
        const url = await pg.createDatabase(db);
        const started = performance.now();
        const results = await Promise.all(Array.from({ length: RUNNERS }, () => runCli(["migrate", "--dir", dir, "--lock-timeout", "60"], { DATABASE_URL: url })));
        durations.push(performance.now() - started);

        const at = `round ${round}`;
        expect(results.map((r) => r.error ?? r.code), at).toEqual(Array(RUNNERS).fill(0));
        // The race this guards against happened: runners waited while another held the lock.
        expect(results.filter((r) => r.events("migrate.lock.waiting").length > 0).length, at).toBeGreaterThan(0);
        const applied = results.flatMap((r) => r.events("migrate.file.applied").map((l) => l.name)).sort();
        expect(applied, at).toEqual(Object.keys(FILES));
        expect((await pg.query<{ name: string }>("SELECT name FROM bluegreen_migrations ORDER BY version", db)).map((r) => r.name), at).toEqual(Object.keys(FILES));
        expect(await pg.query("SELECT indexrelid::regclass::text AS index, indisvalid AS valid FROM pg_index WHERE indrelid = 'items'::regclass ORDER BY 1", db), at).toEqual([
          { index: "items_pkey", valid: true },
          { index: "items_sku_idx", valid: true },
        ]);
        await pg.query(`DROP DATABASE ${db}`);
      }
      const sorted = [...durations].sort((a, b) => a - b);
      console.log(`${ROUNDS}/${ROUNDS} rounds of ${RUNNERS} runners; per round: median ${Math.round(sorted[Math.floor(ROUNDS / 2)])} ms, max ${Math.round(sorted[ROUNDS - 1])} ms`);
    },
    ROUNDS * 15_000,
  );
});
