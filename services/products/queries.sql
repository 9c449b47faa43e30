-- The products service's SQL (store.cpp), generated into shopmesh/products/queries.hpp at build time.
-- Format: scripts/cmake/EmbedQueries.cmake.

-- fragment: product_columns
-- What read_product reads, in its order.
id::text, sku, name, description, price_cents, coalesce(category, ''), coalesce(image_url, ''), stock,
  active, {{timestamp(created_at)}}, {{timestamp(updated_at)}}, attributes::text

-- fragment: filtered_products
-- GET /api/products' optional filters, NULL-guarded parameters: $1 search text, $2 category (its name
-- in any case, or its slug), $3 and $4 price bounds in cents, $5 in stock or not.
FROM products WHERE deleted_at IS NULL AND active
  AND ($1::text IS NULL OR search @@ websearch_to_tsquery('english', $1))
  AND ($2::text IS NULL OR lower(category) = lower($2)
       OR lower(category) IN (SELECT lower(name) FROM categories WHERE slug = lower($2)))
  AND ($3::bigint IS NULL OR price_cents >= $3)
  AND ($4::bigint IS NULL OR price_cents <= $4)
  AND ($5::boolean IS NULL OR (stock > 0) = $5)

-- name: count_products :unprepared
-- Planned per call: which optional filters are set decides the best plan.
SELECT count(*) {{filtered_products}}

-- name: list_products_newest :unprepared
-- One query per sort order; each planned per call, like count_products.
SELECT {{product_columns}} {{filtered_products}} ORDER BY created_at DESC, id DESC LIMIT $6 OFFSET $7

-- name: list_products_by_price :unprepared
SELECT {{product_columns}} {{filtered_products}} ORDER BY price_cents ASC, id LIMIT $6 OFFSET $7

-- name: list_products_by_price_desc :unprepared
SELECT {{product_columns}} {{filtered_products}} ORDER BY price_cents DESC, id LIMIT $6 OFFSET $7

-- name: list_products_by_name :unprepared
SELECT {{product_columns}} {{filtered_products}} ORDER BY name ASC, id LIMIT $6 OFFSET $7

-- name: find_product
SELECT {{product_columns}} FROM products WHERE id = $1 AND deleted_at IS NULL

-- name: find_products
SELECT {{product_columns}} FROM products WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL

-- name: find_category
-- The category named $1 (any case) or with the slug $2; the name wins.
SELECT name FROM categories WHERE lower(name) = lower($1) OR slug = $2
  ORDER BY (lower(name) = lower($1)) DESC LIMIT 1

-- name: register_category
INSERT INTO categories (id, name, slug) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING

-- name: insert_product
INSERT INTO products (id, sku, name, description, price_cents, category, image_url, stock, active, attributes)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb) RETURNING {{product_columns}}

-- name: update_product
UPDATE products SET sku = $2, name = $3, description = $4, price_cents = $5,
    category = $6, image_url = $7, active = $8, attributes = $9::jsonb,
    updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING {{product_columns}}

-- name: lock_product
SELECT 1 FROM products WHERE id = $1 AND deleted_at IS NULL FOR UPDATE

-- name: lock_product_columns
SELECT {{product_columns}} FROM products WHERE id = $1 AND deleted_at IS NULL FOR UPDATE

-- name: delete_product
UPDATE products SET deleted_at = now(), updated_at = now()
  WHERE id = $1 AND deleted_at IS NULL
  RETURNING {{timestamp(deleted_at)}}

-- name: set_stock
-- The answer to an adjustment made through products, when the stock service gave no changedAt.
UPDATE products SET stock = greatest($2::bigint, 0) WHERE id = $1

-- name: apply_stock_level
-- Only a level at least as recent as the one recorded ($3, the watermark); no row otherwise.
UPDATE products SET stock = greatest($2::bigint, 0), stock_changed_at = $3::timestamptz
  WHERE id = $1 AND (stock_changed_at IS NULL OR stock_changed_at <= $3::timestamptz)
  RETURNING 1

-- name: count_categories
SELECT count(*) FROM categories

-- name: list_categories
SELECT id::text, name, slug, description, {{timestamp(created_at)}}
  FROM categories ORDER BY lower(name), id LIMIT $1 OFFSET $2

-- name: insert_category
-- No row when the name or the slug is taken.
INSERT INTO categories (id, name, slug, description) VALUES ($1, $2, $3, $4)
  ON CONFLICT DO NOTHING
  RETURNING id::text, name, slug, description, {{timestamp(created_at)}}
