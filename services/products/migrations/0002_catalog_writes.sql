-- Catalog writes: category names are unique regardless of case; a SKU is unique among live
-- products only (a soft-deleted product frees its SKU); the stock projection remembers the time of
-- the last STOCK_CHANGED it applied, so a replayed older event cannot roll it back.
CREATE UNIQUE INDEX categories_name_key ON categories (lower(name));

ALTER TABLE products DROP CONSTRAINT products_sku_key;
CREATE UNIQUE INDEX products_live_sku_key ON products (sku) WHERE deleted_at IS NULL;

ALTER TABLE products ADD COLUMN stock_changed_at timestamptz;

-- `?category=` matches the category name case-insensitively.
DROP INDEX products_category_idx;
CREATE INDEX products_category_idx ON products (lower(category)) WHERE deleted_at IS NULL;
CREATE INDEX products_created_idx ON products (created_at DESC, id DESC) WHERE deleted_at IS NULL;
