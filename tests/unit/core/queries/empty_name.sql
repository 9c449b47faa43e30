-- name:
SELECT 1
