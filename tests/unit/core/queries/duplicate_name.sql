-- name: find_thing
SELECT 1

-- name: other
SELECT 2

-- name: find_thing
SELECT 3
