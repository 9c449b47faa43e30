// The named queries the build generates from a queries.sql (scripts/cmake/EmbedQueries.cmake), here
// from queries/sample.sql. Rejected files are tested in tests/CMakeLists.txt.
#include <catch2/catch.hpp>

#include "shopmesh/core/pg.hpp"
#include "shopmesh/sample/queries.hpp"

using shopmesh::core::Sql;
namespace queries = shopmesh::sample::queries;

TEST_CASE("queries: a query is a prepared statement named <service>.<query> with its SQL", "[queries]") {
  const Sql& q = queries::find_thing();
  CHECK(q.name() == "sample.find_thing");
  CHECK(q.text() == "SELECT id FROM things WHERE id = $1");
  CHECK(q.mode() == Sql::Mode::prepared);
  CHECK(&queries::find_thing() == &q);  // built once
}

TEST_CASE("queries: {{timestamp(column)}} is SHOPMESH_SQL_TIMESTAMP, the one format", "[queries]") {
  CHECK(queries::thing_created_at().text() ==
        "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM things WHERE id = $1");
  CHECK(queries::thing_created_at().text() ==
        "SELECT " SHOPMESH_SQL_TIMESTAMP("created_at") " FROM things WHERE id = $1");
}

TEST_CASE("queries: fragments expand, comment and blank lines go, the rest is kept as written", "[queries]") {
  const Sql& q = queries::list_things();
  CHECK(q.name() == "sample.list_things");
  CHECK(q.mode() == Sql::Mode::unprepared);
  CHECK(q.text() == "SELECT t.id, " SHOPMESH_SQL_TIMESTAMP("t.created_at") ", t.name\n"
                    "  FROM things t WHERE ($1::text IS NULL OR t.name = $1) AND t.note <> 'a;b[c]\\d'");
}
