/** Migration lint cases shared by the lint tests and the squawk comparison. */

// Each rule: an unsafe file (finding expected on the marked line) and its safe alternative (no finding).
export const CASES: Record<string, { unsafe: string; line: number; safe: string }> = {
  "drop-table": { unsafe: "SELECT 1;\nDROP TABLE legacy_sessions;", line: 2, safe: "-- migrate:contract\nDROP TABLE legacy_sessions;" },
  "drop-column": { unsafe: "ALTER TABLE users\n  DROP COLUMN legacy_name;", line: 2, safe: "-- migrate:contract\nALTER TABLE users DROP COLUMN legacy_name;" },
  "rename-table": { unsafe: "ALTER TABLE users RENAME TO accounts;", line: 1, safe: "CREATE TABLE accounts (id bigint);" },
  "rename-column": { unsafe: "\nALTER TABLE users RENAME COLUMN email TO email_address;", line: 2, safe: "ALTER TABLE users ADD COLUMN email_address text;" },
  "alter-column-type": { unsafe: "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);", line: 1, safe: "ALTER TABLE orders ADD COLUMN total_exact numeric(12,2);" },
  "set-not-null": {
    unsafe: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    line: 1,
    safe: "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;",
  },
  "add-column-not-null": { unsafe: "ALTER TABLE orders ADD COLUMN status text NOT NULL;", line: 1, safe: "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'pending';" },
  "add-column-volatile-default": {
    unsafe: "ALTER TABLE users ADD COLUMN public_id uuid DEFAULT gen_random_uuid();",
    line: 1,
    safe: "ALTER TABLE users ADD COLUMN public_id uuid;\nALTER TABLE users ALTER COLUMN public_id SET DEFAULT gen_random_uuid();",
  },
  "create-index-not-concurrently": {
    unsafe: "CREATE INDEX orders_created_at_idx ON orders (created_at);",
    line: 1,
    safe: "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);",
  },
  "drop-index-not-concurrently": { unsafe: "DROP INDEX orders_old_idx;", line: 1, safe: "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS orders_old_idx;" },
  "add-constraint-not-valid": {
    unsafe: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
    line: 1,
    safe: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
  },
  "validate-constraint-same-file": {
    unsafe: "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;",
    line: 2,
    safe: "-- orders_total_positive was added NOT VALID by an earlier file\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;",
  },
  "add-unique-constraint": {
    unsafe: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
    line: 1,
    safe: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;",
  },
  truncate: { unsafe: "TRUNCATE sessions;", line: 1, safe: "DELETE FROM sessions WHERE expires_at < now() - interval '30 days';" },
  "concurrently-in-transaction": {
    unsafe: "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);",
    line: 1,
    safe: "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);",
  },
  "no-transaction-single-statement": {
    unsafe: "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON a (x);\nCREATE INDEX CONCURRENTLY b_idx ON b (y);",
    line: 3,
    safe: "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON a (x);",
  },
  "transaction-control": { unsafe: "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\nCOMMIT;", line: 1, safe: "ALTER TABLE users ADD COLUMN bio text;" },
};
