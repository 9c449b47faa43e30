-- name: find_thing
SELECT {{thing_columns}} FROM things
