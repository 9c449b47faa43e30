-- The stock service's SQL (store.cpp), generated into shopmesh/stock/queries.hpp at build time.
-- Format: scripts/cmake/EmbedQueries.cmake.

-- name: open_level
INSERT INTO levels (product_id, available) VALUES ($1::uuid, $2) ON CONFLICT (product_id) DO NOTHING

-- name: retire_level
UPDATE levels SET active = false, updated_at = now() WHERE product_id = $1::uuid AND active

-- name: reserve_orders
-- Reserves a batch of orders in one round trip (migration 0002): per order, all its lines or none.
SELECT o_order, o_status, o_product, o_available, o_active
  FROM reserve_orders($1::uuid[], $2::integer[], $3::uuid[], $4::bigint[], $5)

-- name: record_reject_reason
UPDATE order_decisions SET reason = $2 WHERE order_id = $1::uuid

-- name: park_order
INSERT INTO parked_orders (order_id, product_ids, quantities, correlation_id, causation_id,
    traceparent) VALUES ($1::uuid, $2::uuid[], $3::bigint[], $4, $5, $6)
  ON CONFLICT (order_id) DO NOTHING

-- name: parked_orders
-- The parked orders to retry (those with product $1, or all), one row per line, at most 500 orders a
-- turn, oldest first; the last column tells those that waited longer than $2 ms.
SELECT p.order_id::text, u.product_id::text, u.quantity, p.correlation_id, p.causation_id, p.traceparent,
    p.parked_at <= now() - $2::bigint * interval '1 millisecond'
  FROM (SELECT * FROM parked_orders WHERE $1::uuid IS NULL OR product_ids @> ARRAY[$1::uuid]
         ORDER BY parked_at LIMIT 500 FOR UPDATE SKIP LOCKED) AS p,
       unnest(p.product_ids, p.quantities) AS u (product_id, quantity)
  ORDER BY p.parked_at, p.order_id, u.product_id

-- name: unpark_orders
DELETE FROM parked_orders WHERE order_id = ANY ($1::uuid[])

-- name: end_order
-- Whatever happens next, the order is never reserved later.
INSERT INTO order_decisions (order_id, outcome) VALUES ($1::uuid, $2)
  ON CONFLICT (order_id) DO UPDATE SET outcome = excluded.outcome, decided_at = now()
  WHERE order_decisions.outcome = 'RESERVED'

-- name: lock_reservations
SELECT product_id::text, quantity FROM reservations
  WHERE order_id = $1::uuid AND status = 'RESERVED'
  ORDER BY product_id FOR UPDATE

-- name: release_level
UPDATE levels SET available = available + $2, reserved = reserved - $2, updated_at = now()
  WHERE product_id = $1::uuid RETURNING available

-- name: release_reservations
UPDATE reservations SET status = 'RELEASED', released_at = now()
  WHERE order_id = $1::uuid AND status = 'RESERVED'

-- name: find_level
SELECT available, reserved FROM levels WHERE product_id = $1::uuid AND active

-- name: lock_level
SELECT available, reserved FROM levels WHERE product_id = $1::uuid AND active FOR UPDATE

-- name: set_level
UPDATE levels SET available = $2, updated_at = now() WHERE product_id = $1::uuid
