-- The shipping service's SQL (store.cpp), generated into shopmesh/shipping/queries.hpp at build time.
-- Format: scripts/cmake/EmbedQueries.cmake.

-- fragment: shipment_columns
-- What read_shipment reads, in its order.
id::text, order_id::text, user_id::text, status, tracking_number, coalesce(address::text, 'null'),
  {{timestamp(created_at)}}, {{timestamp(updated_at)}}

-- fragment: filtered_shipments
-- GET /api/shipments' optional filters: $1 user id, $2 status.
FROM shipments WHERE ($1::uuid IS NULL OR user_id = $1::uuid) AND ($2::text IS NULL OR status = $2)

-- name: lock_shipment
-- The order's shipment, locked for the transaction.
SELECT id::text, user_id::text, status, tracking_number, announced FROM shipments
  WHERE order_id = $1::uuid FOR UPDATE

-- name: open_shipment
-- The shipment of a created order, announced; nothing when the order has one already.
INSERT INTO shipments (id, order_id, user_id, status, address, announced)
  VALUES ($1::uuid, $2::uuid, $3::uuid, 'PENDING', $4::jsonb, true) ON CONFLICT (order_id) DO NOTHING

-- name: announce_shipment
UPDATE shipments SET user_id = $2::uuid, address = $3::jsonb, announced = true, updated_at = now()
  WHERE id = $1::uuid

-- name: open_unannounced_shipment
-- For an event that overtook its order's ORDER_CREATED.
INSERT INTO shipments (id, order_id, user_id, status, announced) VALUES ($1::uuid, $2::uuid, $3::uuid,
    'PENDING', false)
  ON CONFLICT (order_id) DO NOTHING

-- name: set_shipment_user
UPDATE shipments SET user_id = $2::uuid WHERE id = $1::uuid

-- name: move_shipment
-- From the status $2 it was locked in to $3.
UPDATE shipments SET status = $3, tracking_number = $4, user_id = $5::uuid, updated_at = now()
  WHERE id = $1::uuid AND status = $2

-- name: find_shipment
SELECT {{shipment_columns}} FROM shipments WHERE id = $1::uuid

-- name: find_order_shipment
SELECT {{shipment_columns}} FROM shipments WHERE order_id = $1::uuid

-- name: count_shipments :unprepared
-- Planned per call: which optional filters are set decides the best plan.
SELECT count(*) {{filtered_shipments}}

-- name: list_shipments :unprepared
-- Planned per call, like count_shipments.
SELECT {{shipment_columns}} {{filtered_shipments}} ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4
