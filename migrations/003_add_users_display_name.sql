-- Expand: a nullable column; the live color's inserts keep working without it.
ALTER TABLE users ADD COLUMN display_name text;
