-- The auth service's SQL (store.cpp, keys.cpp), generated into shopmesh/auth/queries.hpp at build time.
-- Format: scripts/cmake/EmbedQueries.cmake.

-- fragment: account_columns
-- What read_account, read_credential and read_grantee read, in their order (kAccountColumnCount
-- columns), of credentials `c`.
c.user_id::text, c.email, c.name, c.role, {{timestamp(c.created_at)}}, c.password_hash,
  coalesce(floor(extract(epoch FROM c.sessions_revoked_at)), 0)::bigint

-- name: login_failures
-- The subject's failures and the seconds left of its lock.
SELECT failures, greatest(0, ceil(extract(epoch FROM locked_until - now())))::int
  FROM login_failures WHERE subject = $1

-- name: record_login_failure
-- Counts from 1 again once the last failure is older than $2 seconds.
INSERT INTO login_failures AS f (subject, failures, last_failure_at)
  VALUES ($1, 1, now()) ON CONFLICT (subject) DO UPDATE SET
  failures = CASE WHEN f.last_failure_at < now() - $2::int * interval '1 second'
             THEN 1 ELSE f.failures + 1 END,
  last_failure_at = now() RETURNING failures

-- name: lock_login
UPDATE login_failures SET locked_until = now() + $2::int * interval '1 second'
  WHERE subject = $1

-- name: clear_login_failures
DELETE FROM login_failures WHERE subject = $1

-- name: live_email_exists
SELECT 1 FROM credentials WHERE lower(email) = lower($1) AND deleted_at IS NULL

-- name: find_live_by_email
SELECT {{account_columns}}
  FROM credentials c WHERE lower(c.email) = lower($1) AND c.deleted_at IS NULL

-- name: find_live_by_id
SELECT {{account_columns}}
  FROM credentials c WHERE c.user_id = $1 AND c.deleted_at IS NULL

-- name: insert_account
-- No row when a live account has the address.
INSERT INTO credentials AS c (user_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (lower(email)) WHERE deleted_at IS NULL DO NOTHING
  RETURNING {{account_columns}}

-- name: record_login
-- Locks the account row, so a concurrent delete or role change is either before or after; $2 a
-- rehashed password or NULL.
UPDATE credentials c SET last_login_at = now(),
    password_hash = coalesce($2, c.password_hash)
  WHERE c.user_id = $1 AND c.deleted_at IS NULL RETURNING {{account_columns}}

-- name: insert_session
INSERT INTO sessions (id, user_id) VALUES ($1, $2)

-- name: insert_refresh_token
-- Expires $3 seconds from now.
INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
  VALUES ($1, $2, now() + make_interval(secs => $3))

-- name: lock_refresh_token
-- The presented token with its account, session and state (used, expired, session revoked,
-- account deleted), the token and its session locked.
SELECT {{account_columns}},
    rt.session_id::text, rt.used_at IS NOT NULL, rt.expires_at <= now(), s.revoked_at IS NOT NULL,
    c.deleted_at IS NOT NULL
  FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
  JOIN credentials c ON c.user_id = s.user_id
  WHERE rt.token_hash = $1 FOR UPDATE OF rt, s

-- name: use_refresh_token
UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1

-- name: touch_session
UPDATE sessions SET last_used_at = now() WHERE id = $1

-- name: revoke_reused_session
UPDATE sessions SET revoked_at = now(), revoked_reason = 'REFRESH_REUSE' WHERE id = $1

-- name: revoke_session
UPDATE sessions SET revoked_at = now(), revoked_reason = $3
  WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id

-- name: session_of_refresh
SELECT s.id::text FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
  WHERE rt.token_hash = $1 AND s.user_id = $2

-- name: live_session
SELECT 1 FROM sessions s JOIN credentials c ON c.user_id = s.user_id
  WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND c.deleted_at IS NULL

-- name: change_password
UPDATE credentials SET password_hash = $2, password_changed_at = now(), updated_at = now()
  WHERE user_id = $1 AND deleted_at IS NULL RETURNING user_id

-- name: lock_role_changes
-- Serialises role changes, so two admins demoting each other cannot leave none.
SELECT pg_advisory_xact_lock(hashtext('shopmesh.auth.roles'))

-- name: lock_live_account
SELECT {{account_columns}}
  FROM credentials c WHERE c.user_id = $1 AND c.deleted_at IS NULL FOR UPDATE

-- name: is_live_admin
-- Whether the caller of a role change is an administrator now, whatever its token still says.
SELECT 1 FROM credentials WHERE user_id = $1 AND role = 'ADMIN' AND deleted_at IS NULL

-- name: count_admins
SELECT count(*) FROM credentials WHERE role = 'ADMIN' AND deleted_at IS NULL

-- name: set_role
UPDATE credentials SET role = $2, updated_at = now() WHERE user_id = $1

-- name: delete_account
UPDATE credentials SET deleted_at = now(), updated_at = now() WHERE user_id = $1 AND deleted_at IS NULL
  RETURNING user_id

-- name: live_role_by_email
SELECT role FROM credentials WHERE lower(email) = lower($1) AND deleted_at IS NULL

-- name: revoke_sessions
-- The user's live sessions, except $2 when given.
UPDATE sessions SET revoked_at = now(), revoked_reason = $3
  WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid)

-- name: mark_sessions_revoked
UPDATE credentials SET sessions_revoked_at = greatest(sessions_revoked_at, $2::timestamptz)
  WHERE user_id = $1

-- name: lock_signing_keys
-- One instance at a time decides whether to rotate the signing keys.
SELECT pg_advisory_xact_lock(hashtext('shopmesh.auth.signing_keys'))

-- name: signing_keys
-- The newest $2 keys; stale when older than $1 hours.
SELECT kid, private_pem, encrypted, created_at < now() - make_interval(hours => $1) AS stale
  FROM signing_keys ORDER BY created_at DESC, kid DESC LIMIT $2

-- name: insert_signing_key
INSERT INTO signing_keys (kid, private_pem, encrypted) VALUES ($1, $2, $3)
