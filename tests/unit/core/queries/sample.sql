-- A sample queries.sql for tests/unit/core/test_queries.cpp; generated into shopmesh/sample/queries.hpp.

-- fragment: thing_columns
-- Not a query: text for the queries below.
t.id, {{timestamp(t.created_at)}}

-- name: find_thing
-- One thing.
SELECT id FROM things WHERE id = $1

-- name: thing_created_at
SELECT {{timestamp(created_at)}} FROM things WHERE id = $1

-- name: list_things :unprepared
-- Planned per call.
SELECT {{thing_columns}}, t.name
  -- a comment inside the SQL is not part of it

  FROM things t WHERE ($1::text IS NULL OR t.name = $1) AND t.note <> 'a;b[c]\d'
