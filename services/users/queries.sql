-- The users service's SQL (store.cpp), generated into shopmesh/users/queries.hpp at build time.
-- Format: scripts/cmake/EmbedQueries.cmake.

-- fragment: profile_columns
-- What read_profile reads, in its order.
id::text, email, name, phone, address_line1, address_line2, address_city, address_postal_code,
  address_country::text, {{timestamp(created_at)}}, {{timestamp(updated_at)}}

-- fragment: filtered_profiles
-- GET /api/users' optional filter: $1 a LIKE pattern on name or e-mail, its metacharacters escaped with '\'.
FROM profiles WHERE deleted_at IS NULL AND ($1::text IS NULL OR name ILIKE $1 ESCAPE '\'
  OR email ILIKE $1 ESCAPE '\')

-- name: upsert_registered_profile
-- Inserts the registered user's profile or completes a provisional one; xmax = 0 tells an inserted
-- row from an updated one. No row when a complete or deleted profile is there.
INSERT INTO profiles AS p (id, email, name, created_at, updated_at)
  VALUES ($1, $2, $3, coalesce($4::timestamptz, now()), coalesce($4::timestamptz, now()))
  ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, provisional = false,
    updated_at = now()
  WHERE p.provisional AND p.deleted_at IS NULL
  RETURNING (xmax = 0)

-- name: find_profile
SELECT {{profile_columns}} FROM profiles WHERE id = $1 AND deleted_at IS NULL

-- name: insert_provisional_profile
INSERT INTO profiles (id, email, name, provisional) VALUES ($1, $2, $3, true) ON CONFLICT (id) DO NOTHING

-- name: update_profile
-- $2 a new name or NULL; $3/$5 whether to set the phone ($4) and the address ($6..$10).
UPDATE profiles SET
    name = coalesce($2, name),
    phone = CASE WHEN $3 THEN $4 ELSE phone END,
    address_line1 = CASE WHEN $5 THEN $6 ELSE address_line1 END,
    address_line2 = CASE WHEN $5 THEN $7 ELSE address_line2 END,
    address_city = CASE WHEN $5 THEN $8 ELSE address_city END,
    address_postal_code = CASE WHEN $5 THEN $9 ELSE address_postal_code END,
    address_country = CASE WHEN $5 THEN $10 ELSE address_country END,
    provisional = provisional AND $2::text IS NULL,
    updated_at = now()
  WHERE id = $1 AND deleted_at IS NULL RETURNING {{profile_columns}}

-- name: count_profiles :unprepared
-- Planned per call: whether the filter is set decides the best plan.
SELECT count(*) {{filtered_profiles}}

-- name: list_profiles :unprepared
-- Planned per call, like count_profiles.
SELECT {{profile_columns}} {{filtered_profiles}} ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3

-- name: delete_profile
UPDATE profiles SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL
  RETURNING {{timestamp(deleted_at)}}

-- name: mark_profile_deleted
UPDATE profiles SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id
