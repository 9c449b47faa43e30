// The connection pool against the stack's real PostgreSQL.
#include <catch2/catch.hpp>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "bus_fixture.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/pg.hpp"
#include "stack_env.hpp"

using namespace shopmesh;
using namespace std::chrono_literals;

TEST_CASE("pg pool: idle connections the server closed are replaced, not handed to requests", "[pg]") {
  testing::TestDatabase db("it_pool");
  core::Logger log("it", core::LogLevel::error);
  core::PgPool pool(db.url, 3, 5s, log);
  auto backend = [](pqxx::connection& c) { return c.backendpid(); };
  {  // three idle connections in the pool: hold three leases at once
    std::vector<int> pids;
    pool.with_connection([&](pqxx::connection& a) {
      pool.with_connection([&](pqxx::connection& b) {
        pool.with_connection([&](pqxx::connection& c) { pids = {backend(a), backend(b), backend(c)}; });
      });
    });
    REQUIRE(pids.size() == 3);
  }
  // What a server restart does to them: FATAL 57P01, then the socket is closed.
  {
    pqxx::connection admin(testing::stack_var("PG_SUPERUSER_URL"));
    pqxx::nontransaction tx(admin);
    const auto r = tx.exec_params(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        db.name);
    REQUIRE(r[0][0].as<int>() == 3);
  }
  std::this_thread::sleep_for(200ms);  // the FATAL and the FIN reach the client's sockets
  // Every request after the restart succeeds: none is handed a dead connection.
  for (int i = 0; i < 5; ++i)
    CHECK(pool.transact([](pqxx::work& tx) { return tx.exec1("SELECT 41 + 1")[0].as<int>(); }) == 42);
  CHECK(pool.ping());
}

TEST_CASE("pg: a query is prepared under its name, an unprepared one is sent with its text", "[pg]") {
  testing::TestDatabase db("it_sql");
  core::Logger log("it", core::LogLevel::error);
  core::PgPool pool(db.url, 1, 5s, log);
  const core::Sql prepared{"test.add_one", "SELECT $1::int + 1"};
  const core::Sql unprepared{"test.subtract_one", "SELECT $1::int - 1", core::Sql::Mode::unprepared};
  auto statements = [](pqxx::work& tx) {
    std::vector<std::string> names;
    for (const auto& row : tx.exec("SELECT name FROM pg_prepared_statements ORDER BY name"))
      names.push_back(row[0].as<std::string>());
    return names;
  };
  pool.transact([&](pqxx::work& tx) {
    CHECK(core::exec1(tx, prepared, 41)[0].as<int>() == 42);
    CHECK(core::exec1(tx, unprepared, 43)[0].as<int>() == 42);
    CHECK(statements(tx) == std::vector<std::string>{"test.add_one"});
  });
  pool.transact([&](pqxx::work& tx) {  // the same connection: the statement outlived its transaction
    CHECK(core::exec1(tx, prepared, 1)[0].as<int>() == 2);
    CHECK(statements(tx) == std::vector<std::string>{"test.add_one"});
  });
}

TEST_CASE("pg pool: read runs each statement on its own, transact runs them in one transaction", "[pg]") {
  testing::TestDatabase db("it_read");
  core::Logger log("it", core::LogLevel::error);
  core::PgPool pool(db.url, 1, 5s, log);
  const core::Sql xact{"test.xact", "SELECT txid_current()"};
  auto two_ids = [&](pqxx::transaction_base& tx) {
    return std::pair{core::exec1(tx, xact)[0].as<long long>(), core::exec1(tx, xact)[0].as<long long>()};
  };
  const auto [first, second] = pool.read([&](pqxx::nontransaction& tx) { return two_ids(tx); });
  CHECK(second != first);  // each statement committed as its own transaction
  const auto [in_one, same] = pool.transact([&](pqxx::work& tx) { return two_ids(tx); });
  CHECK(same == in_one);
  // The session's settings hold outside a transaction too.
  CHECK(pool.read([](pqxx::nontransaction& tx) { return tx.exec1("SHOW statement_timeout")[0].as<std::string>(); }) ==
        "5s");
}
