-- name: find_thing
-- Only a comment.

-- name: other
SELECT 1
