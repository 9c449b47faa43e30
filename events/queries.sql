-- The event bus's SQL (outbox.cpp, consumer.cpp, relay.cpp), generated into shopmesh/events/queries.hpp at
-- build time; it runs on the services' connections, beside their own statements. Format:
-- scripts/cmake/EmbedQueries.cmake.

-- name: emit_event
-- The outbox: one event ($2) as a transactional logical message with the prefix $1.
SELECT pg_logical_emit_message(true, $1, $2)

-- name: emit_events
-- unnest's order is the order of the events; ORDER BY makes PostgreSQL call the volatile
-- function after sorting, in that order.
SELECT pg_logical_emit_message(true, $1, m.content)
  FROM unnest($2::text[]) WITH ORDINALITY AS m (content, n) ORDER BY m.n

-- name: claim_event
-- The inbox: nothing inserted when the group ($1) processed the event before.
INSERT INTO inbox (consumer_group, event_id, type, topic, partition, "offset")
  VALUES ($1, $2::uuid, $3, $4, $5, $6) ON CONFLICT DO NOTHING

-- name: claim_events
-- The inbox, for a batch: returns the ids not seen before.
INSERT INTO inbox (consumer_group, event_id, type, topic, partition, "offset")
  SELECT $1, m.id, m.type, m.topic, m.part, m.pos
  FROM unnest($2::uuid[], $3::text[], $4::text[], $5::integer[], $6::bigint[])
    AS m (id, type, topic, part, pos)
  ON CONFLICT DO NOTHING RETURNING event_id::text

-- name: slot_status
-- The outbox slot $1: whether a relay streams from it, its WAL status, the WAL it retains and the
-- WAL not yet confirmed (bytes from the current position).
SELECT s.active, coalesce(s.wal_status, ''),
    coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn), 0)::bigint,
    coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn), 0)::bigint
  FROM pg_replication_slots s WHERE s.slot_name = $1

-- name: current_snapshot
-- The relay's visibility check: "xmin:xmax:xip,...".
SELECT pg_current_snapshot()::text

-- The relay's start-up, once per start on a connection of its own: nothing to keep prepared.

-- name: wal_level :unprepared
SHOW wal_level

-- name: slot_exists :unprepared
SELECT 1 FROM pg_replication_slots WHERE slot_name = $1

-- name: create_slot :unprepared
SELECT pg_create_logical_replication_slot($1, 'pgoutput')

-- name: outbox_table_exists :unprepared
-- The outbox table of versions before the outbox moved into the WAL.
SELECT to_regclass('outbox') IS NOT NULL

-- name: lock_outbox_table :unprepared
LOCK TABLE outbox

-- name: republish_outbox_table :unprepared
-- The events still unpublished in the outbox table, in their order, as messages with the prefix $1.
SELECT pg_logical_emit_message(true, $1, 'v1' || E'\n' || topic || E'\n' || key || E'\n' || id
    || E'\n' || type || E'\n' || version || E'\n' || coalesce(traceparent, '') || E'\n' || value)
  FROM outbox WHERE published_at IS NULL ORDER BY seq

-- name: drop_outbox_table :unprepared
DROP TABLE outbox
