-- meshctl's SQL (postgres.cpp), generated into shopmesh/meshctl/queries.hpp at build time. Format:
-- scripts/cmake/EmbedQueries.cmake. Each runs once on a connection opened for the command: nothing
-- to keep prepared.

-- name: databases :unprepared
SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname

-- name: outbox_slot :unprepared
-- The outbox slot $1 of the connection's database: whether it exists and a relay streams from it, its
-- WAL status, the WAL it retains and the WAL not yet confirmed (bytes from the current position),
-- the walsender's flush lag, and whether the database has the outbox's publication at all.
SELECT s.slot_name IS NOT NULL, coalesce(s.active, false), coalesce(s.wal_status, ''),
    coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn), 0)::bigint,
    coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn), 0)::bigint,
    extract(epoch FROM r.flush_lag)::float8,
    EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'shopmesh_outbox')
  FROM (VALUES (1)) AS one (x)
  LEFT JOIN pg_replication_slots s ON s.slot_name = $1
  LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid

-- name: inbox_exists :unprepared
SELECT to_regclass('public.inbox') IS NOT NULL

-- name: inbox_entries :unprepared
-- The inbox rows of the events $1, oldest first.
SELECT consumer_group, event_id::text, {{timestamp(processed_at)}},
    (extract(epoch FROM processed_at) * 1000)::bigint, topic, partition, "offset"
  FROM inbox WHERE event_id = ANY($1::uuid[]) ORDER BY processed_at
