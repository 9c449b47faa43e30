-- The cart service's SQL (store.cpp), generated into shopmesh/cart/queries.hpp at build time.
-- Format: scripts/cmake/EmbedQueries.cmake.

-- name: cart_lines
SELECT product_id::text, quantity FROM cart_items WHERE user_id = $1 ORDER BY added_at, product_id

-- name: lock_cart_line
SELECT quantity FROM cart_items WHERE user_id = $1 AND product_id = $2 FOR UPDATE

-- name: add_to_cart_line
UPDATE cart_items SET quantity = quantity + $3, updated_at = now()
  WHERE user_id = $1 AND product_id = $2

-- name: count_cart_lines
SELECT count(*) FROM cart_items WHERE user_id = $1

-- name: insert_cart_line
-- A concurrent add of the same product merges instead, up to $4 (the sum is bounded by the CHECK).
INSERT INTO cart_items (user_id, product_id, quantity) VALUES ($1, $2, $3)
  ON CONFLICT (user_id, product_id) DO UPDATE
  SET quantity = least(cart_items.quantity + EXCLUDED.quantity, $4), updated_at = now()

-- name: delete_cart_line
DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2 RETURNING 1

-- name: set_cart_line_quantity
UPDATE cart_items SET quantity = $3, updated_at = now()
  WHERE user_id = $1 AND product_id = $2 RETURNING 1

-- name: clear_cart
DELETE FROM cart_items WHERE user_id = $1

-- name: find_checkout
SELECT request_hash, order_id::text FROM checkouts WHERE user_id = $1 AND idempotency_key = $2

-- name: record_checkout
INSERT INTO checkouts (user_id, idempotency_key, request_hash, order_id) VALUES ($1, $2, $3, $4)
  ON CONFLICT DO NOTHING

-- name: remove_ordered_lines
-- The lines ordered ($2 products, $3 quantities), unless changed since.
DELETE FROM cart_items c USING unnest($2::uuid[], $3::integer[]) AS o(product_id, quantity)
  WHERE c.user_id = $1 AND c.product_id = o.product_id AND c.quantity = o.quantity
