-- Expand: a NOT NULL column is safe for the live color only with a default it does not need to set.
ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'pending';
