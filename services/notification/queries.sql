-- The notification service's SQL (store.cpp), generated into shopmesh/notification/queries.hpp at
-- build time. Format: scripts/cmake/EmbedQueries.cmake.

-- fragment: filtered_notifications
-- GET /api/notifications: the user's ($1), with optional filters $2 type and $3 order id.
FROM notifications WHERE user_id = $1::uuid AND ($2::text IS NULL OR type = $2)
  AND ($3::uuid IS NULL OR order_id = $3::uuid)

-- name: remember_user
INSERT INTO users (user_id, email, name) VALUES ($1::uuid, $2, $3)
  ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, name = excluded.name

-- name: forget_user
UPDATE users SET deleted_at = coalesce(deleted_at, now()) WHERE user_id = $1::uuid

-- name: user_names
-- The names of the users $1 known here.
SELECT g.id, u.name FROM unnest($1::text[]) AS g (id)
  JOIN users u ON u.user_id = g.id::uuid

-- name: record_notifications
-- One notification per (event, user), from parallel arrays; returns the new ones. In-app ones ($11)
-- are delivered as they are recorded.
INSERT INTO notifications (id, event_id, user_id, type, channel, subject, body, order_id,
    correlation_id, traceparent, delivered_at)
  SELECT n.id, n.event_id, n.user_id, n.type, $10, n.subject, n.body, n.order_id, n.correlation_id,
    n.traceparent, CASE WHEN $11 THEN clock_timestamp() END
  FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[],
    $8::text[], $9::text[]) AS n (id, event_id, user_id, type, subject, body, order_id,
    correlation_id, traceparent)
  ON CONFLICT (event_id, user_id) DO NOTHING
  RETURNING id::text, {{timestamp(delivered_at)}}

-- name: claim_emails
-- Up to $1 due e-mails, each leased for $2 seconds (another instance skips them meanwhile), with
-- the recipient's address and whether the recipient was deleted.
WITH due AS (SELECT id FROM notifications
    WHERE channel = 'EMAIL' AND delivered_at IS NULL AND failed_at IS NULL
      AND next_attempt_at <= clock_timestamp()
    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
  UPDATE notifications n SET attempts = n.attempts + 1,
    next_attempt_at = clock_timestamp() + make_interval(secs => $2::float8)
  FROM due WHERE n.id = due.id
  RETURNING n.id::text, n.user_id::text, n.type, n.order_id::text, n.subject, n.body, n.attempts,
    n.event_id::text, n.correlation_id, coalesce(n.traceparent, ''),
    (SELECT u.email FROM users u WHERE u.user_id = n.user_id AND u.deleted_at IS NULL),
    EXISTS (SELECT 1 FROM users u WHERE u.user_id = n.user_id AND u.deleted_at IS NOT NULL)

-- name: mark_delivered
-- No row when another instance delivered it first.
UPDATE notifications SET delivered_at = clock_timestamp(), last_error = NULL
  WHERE id = $1::uuid AND delivered_at IS NULL
  RETURNING {{timestamp(delivered_at)}}

-- name: record_attempt_failed
-- Retried after $3 seconds, or given up ($4).
UPDATE notifications SET last_error = $2,
    next_attempt_at = clock_timestamp() + make_interval(secs => $3::float8),
    failed_at = CASE WHEN $4 THEN clock_timestamp() END
  WHERE id = $1::uuid AND delivered_at IS NULL

-- name: count_notifications :unprepared
-- Planned per call: which optional filters are set decides the best plan.
SELECT count(*) {{filtered_notifications}}

-- name: list_notifications :unprepared
-- Planned per call, like count_notifications.
SELECT id::text, type, channel, subject, body, order_id::text, {{timestamp(created_at)}},
    {{timestamp(delivered_at)}} {{filtered_notifications}}
  ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5
