-- Free-form product attributes (e.g. a book's author): a flat JSON object of short strings. Text
-- search reads their values too (weight C), so `?q=` finds a book by its author.
ALTER TABLE products ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'::jsonb;

DROP INDEX products_search_idx;
ALTER TABLE products DROP COLUMN search;
ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
  setweight(to_tsvector('english', coalesce(description, '')), 'B') ||
  setweight(jsonb_to_tsvector('english', attributes, '["string"]'), 'C')) STORED;
CREATE INDEX products_search_idx ON products USING gin (search);
