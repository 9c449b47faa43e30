-- The orders service's SQL (store.cpp), generated into shopmesh/orders/queries.hpp at build time.
-- Format: scripts/cmake/EmbedQueries.cmake.

-- fragment: order_columns
-- What read_order reads, in its order.
id::text, user_id::text, status, status_reason, total_cents, ship_line1, ship_line2, ship_city, ship_postal_code,
  ship_country, {{timestamp(created_at)}}, {{timestamp(updated_at)}}

-- fragment: filtered_orders
-- GET /api/orders' optional filters: $1 user id, $2 status.
FROM orders WHERE ($1::uuid IS NULL OR user_id = $1) AND ($2::text IS NULL OR status = $2)

-- name: find_order
SELECT {{order_columns}} FROM orders WHERE id = $1

-- name: order_items
-- The lines of the orders $1, for read_line.
SELECT order_id::text, product_id::text, product_name, unit_price_cents, quantity, subtotal_cents
  FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, line_no

-- name: find_idempotency_key
SELECT request_hash, order_id::text FROM idempotency_keys WHERE user_id = $1 AND key = $2

-- name: insert_order
INSERT INTO orders (id, user_id, status, total_cents, ship_line1, ship_line2, ship_city, ship_postal_code,
    ship_country) VALUES ($1, $2, 'PENDING', $3, $4, $5, $6, $7, $8)
  RETURNING {{timestamp(created_at)}}

-- name: insert_order_items
-- One row per line, from parallel arrays; line_no is the position in them.
INSERT INTO order_items (order_id, line_no, product_id, product_name, unit_price_cents, quantity, subtotal_cents)
  SELECT $1, t.n, t.p, t.name, t.price, t.q, t.sub
  FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::integer[], $6::bigint[])
    WITH ORDINALITY AS t(p, name, price, q, sub, n)

-- name: claim_idempotency_key
-- No row when another transaction committed the key first (waits for one still holding it).
INSERT INTO idempotency_keys (user_id, key, request_hash, order_id) VALUES ($1, $2, $3, $4)
  ON CONFLICT DO NOTHING RETURNING 1

-- name: count_orders :unprepared
-- Planned per call: which optional filters are set decides the best plan.
SELECT count(*) {{filtered_orders}}

-- name: list_orders :unprepared
-- Planned per call, like count_orders.
SELECT {{order_columns}} {{filtered_orders}} ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4

-- name: lock_order
SELECT status, user_id::text FROM orders WHERE id = $1 FOR UPDATE

-- name: cancel_order
UPDATE orders SET status = 'CANCELLED', status_reason = $2, updated_at = now()
  WHERE id = $1 RETURNING {{timestamp(updated_at)}}

-- name: set_order_status
UPDATE orders SET status = $2, updated_at = now() WHERE id = $1
  RETURNING {{timestamp(updated_at)}}

-- name: confirm_order
-- Only from the statuses $2 (orders::movable_to); no row otherwise.
UPDATE orders SET status = 'CONFIRMED', updated_at = now()
  WHERE id = $1 AND status = ANY ($2::text[])
  RETURNING user_id::text, {{timestamp(updated_at)}}

-- name: reject_order
-- Only from the statuses $3 (orders::movable_to); no row otherwise.
UPDATE orders SET status = 'REJECTED', status_reason = $2, updated_at = now()
  WHERE id = $1 AND status = ANY ($3::text[])
  RETURNING user_id::text, {{timestamp(updated_at)}}
