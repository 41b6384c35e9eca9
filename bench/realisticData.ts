/**
 * The benchmark's "realistic" database: tables that compress like an application's (about 3-5:1
 * with gzip), unlike pgbench's, which compress about 50:1 and so make any backup look bound by
 * compression speed alone. Text from a vocabulary of phrases, random UUIDs, JSON documents,
 * timestamps with jitter, numerics, a few wide rows (TOASTed text) and large objects (random
 * bytes, as images or PDFs are).
 *
 * `realisticSql(mb)` returns the statements that fill an empty database with about `mb` MB of
 * tables (pg_database_size); rows are derived from a hash of their id, so the sizes are stable.
 */

/** Rows of `events` per MB of database: the other tables are sized from it. */
const EVENTS_PER_MB = 3200;

const WORDS = [
  "account", "address", "amount", "balance", "basket", "billing", "browser", "cancel", "card", "cart",
  "checkout", "city", "coupon", "courier", "customer", "delivery", "discount", "email", "error", "export",
  "failed", "invoice", "item", "language", "login", "mobile", "notice", "order", "package", "paid",
  "parcel", "payment", "pending", "phone", "price", "product", "profile", "quantity", "refund", "region",
  "reminder", "return", "review", "session", "shipped", "shipping", "signup", "size", "status", "stock",
  "street", "subscription", "support", "tax", "ticket", "total", "tracking", "update", "user", "voucher",
  "warehouse", "weight", "wishlist", "zip",
];

export function realisticSql(mb: number): string[] {
  const events = Math.max(1000, Math.round(mb * EVENTS_PER_MB));
  const customers = Math.round(events / 20);
  const orders = Math.round(events / 5);
  const documents = Math.max(10, Math.round(mb / 4));
  const largeObjects = Math.max(4, Math.round(mb / 40));
  const words = `ARRAY[${WORDS.map((w) => `'${w}'`).join(",")}]`;
  // A pseudo-random integer in [0, n) from a row number and a salt: cheaper than random() joins.
  const pick = (expr: string, salt: number, n: number) => `(abs(hashint8((${expr})::bigint * 7919 + ${salt})::bigint) % ${n})`;
  return [
    // 20,000 phrases of 4-24 words with numbers in them: the vocabulary of every text column.
    `CREATE TABLE bench_phrases AS
       SELECT p AS id, string_agg(CASE WHEN w % 5 = 0 THEN (abs(hashint8(p * 131 + w)::bigint) % 100000)::text
                                       ELSE (${words})[1 + abs(hashint8(p * 977 + w)::bigint) % ${WORDS.length}] END, ' ') AS text
       FROM generate_series(0, 19999) p, generate_series(1, 24) w
       WHERE w <= 4 + abs(hashint8(p)::bigint) % 21
       GROUP BY p`,
    `CREATE UNIQUE INDEX ON bench_phrases (id)`,
    `CREATE TABLE customers (
       id bigint PRIMARY KEY, uuid uuid NOT NULL, email text NOT NULL, name text NOT NULL, country char(2) NOT NULL,
       created_at timestamptz NOT NULL, profile jsonb NOT NULL)`,
    `INSERT INTO customers
       SELECT i, gen_random_uuid(), 'user' || i || '@' || (ARRAY['example.com','mail.test','corp.example','shop.test'])[1 + i % 4],
              initcap(split_part(a.text, ' ', 1)) || ' ' || initcap(split_part(a.text, ' ', 2)),
              (ARRAY['DE','FR','GB','US','NL','ES','IT','PL'])[1 + ${pick("i", 1, 8)}],
              timestamptz '2019-01-01' + i * interval '41 seconds' + ${pick("i", 2, 40000)} * interval '1 ms',
              jsonb_build_object('address', b.text, 'newsletter', i % 3 = 0, 'language', (ARRAY['de','fr','en','nl'])[1 + i % 4],
                                 'tags', jsonb_build_array(split_part(a.text, ' ', 3), split_part(b.text, ' ', 2)))
       FROM generate_series(1, ${customers}) i
       JOIN bench_phrases a ON a.id = ${pick("i", 3, 20000)}
       JOIN bench_phrases b ON b.id = ${pick("i", 4, 20000)}`,
    `CREATE TABLE orders (
       id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id), uuid uuid NOT NULL, status text NOT NULL,
       total numeric(12,2) NOT NULL, created_at timestamptz NOT NULL, shipped_at timestamptz, items jsonb NOT NULL)`,
    `INSERT INTO orders
       SELECT i, 1 + ${pick("i", 5, customers)}, gen_random_uuid(), (ARRAY['pending','paid','shipped','delivered','refunded'])[1 + ${pick("i", 6, 5)}],
              (${pick("i", 7, 5000000)} / 100.0)::numeric(12,2),
              timestamptz '2022-01-01' + i * interval '9 seconds' + ${pick("i", 8, 9000)} * interval '1 ms',
              CASE WHEN i % 4 <> 0 THEN timestamptz '2022-01-02' + i * interval '9 seconds' + ${pick("i", 9, 86400)} * interval '1 s' END,
              jsonb_build_array(
                jsonb_build_object('sku', substr(md5(i::text), 1, 10), 'qty', 1 + i % 3, 'price', ${pick("i", 10, 20000)} / 100.0, 'name', a.text),
                jsonb_build_object('sku', substr(md5((i + 1)::text), 1, 10), 'qty', 1, 'price', ${pick("i", 11, 9000)} / 100.0))
       FROM generate_series(1, ${orders}) i
       JOIN bench_phrases a ON a.id = ${pick("i", 12, 20000)}`,
    `CREATE TABLE events (
       id bigint PRIMARY KEY, order_id bigint NOT NULL, at timestamptz NOT NULL, kind text NOT NULL, request_id uuid NOT NULL,
       message text NOT NULL, attrs jsonb NOT NULL)`,
    `INSERT INTO events
       SELECT i, 1 + ${pick("i", 13, orders)}, timestamptz '2024-01-01' + i * interval '250 ms' + ${pick("i", 14, 250000)} * interval '1 us',
              (ARRAY['view','click','cart','checkout','payment','login','logout','error'])[1 + ${pick("i", 15, 8)}], gen_random_uuid(),
              m.text, jsonb_build_object('ip', '10.' || ${pick("i", 16, 256)} || '.' || ${pick("i", 17, 256)} || '.' || ${pick("i", 18, 256)},
                                         'ms', ${pick("i", 19, 3000)}, 'agent', (ARRAY['ios','android','firefox','chrome','safari'])[1 + i % 5])
       FROM generate_series(1, ${events}) i
       JOIN bench_phrases m ON m.id = ${pick("i", 20, 20000)}`,
    // Wide rows: about 150 kB of text each, stored out of line (TOAST).
    `CREATE TABLE documents (id int PRIMARY KEY, title text NOT NULL, body text NOT NULL)`,
    `INSERT INTO documents
       SELECT d, 'document ' || d, string_agg(p.text, E'.\\n' ORDER BY k)
       FROM generate_series(1, ${documents}) d CROSS JOIN generate_series(1, 1200) k
       JOIN bench_phrases p ON p.id = ${pick("k * 31 + d", 21, 20000)}
       GROUP BY d`,
    // Large objects of random bytes (attachments: images and PDFs do not compress), 512 kB each.
    `CREATE TABLE attachments (id int PRIMARY KEY, name text NOT NULL, content oid NOT NULL)`,
    `INSERT INTO attachments
       SELECT a, 'attachment-' || a || '.jpg', lo_from_bytea(0, (SELECT string_agg(decode(md5(a || ':' || k || ':' || random()), 'hex'), ''::bytea) FROM generate_series(1, 32768) k))
       FROM generate_series(1, ${largeObjects}) a`,
    `DROP TABLE bench_phrases`,
    `VACUUM ANALYZE`,
  ];
}
