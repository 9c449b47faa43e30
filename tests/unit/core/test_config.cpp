#include <cstdlib>

#include <catch2/catch.hpp>

#include "shopmesh/core/config.hpp"

using namespace shopmesh::core;

TEST_CASE("config: a bad value names the variable", "[config]") {
  ::setenv("SHOPMESH_TEST_PORT", "80x", 1);
  EnvReader env;
  env.integer("SHOPMESH_TEST_PORT", 1, 0, 65535);
  try {
    env.finish();
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("SHOPMESH_TEST_PORT") != std::string::npos);
  }
  ::unsetenv("SHOPMESH_TEST_PORT");
}

TEST_CASE("config: defaults apply, ranges and lists are checked", "[config]") {
  ::setenv("SHOPMESH_TEST_LIST", " a, b ,,c ", 1);
  ::setenv("SHOPMESH_TEST_BIG", "70000", 1);
  EnvReader env;
  CHECK(env.str("SHOPMESH_TEST_UNSET", "x") == "x");
  CHECK(env.list("SHOPMESH_TEST_LIST", "") == std::vector<std::string>{"a", "b", "c"});
  env.integer("SHOPMESH_TEST_BIG", 1, 0, 65535);
  CHECK_THROWS_AS(env.finish(), ConfigError);
  ::unsetenv("SHOPMESH_TEST_LIST");
  ::unsetenv("SHOPMESH_TEST_BIG");
}

TEST_CASE("config: a required database url must be present", "[config]") {
  ::unsetenv("DATABASE_URL");
  EnvReader env;
  ServiceConfig::from_env(env, "products", 8083, true);
  CHECK_THROWS_WITH(env.finish(), Catch::Contains("DATABASE_URL"));
}

TEST_CASE("config: Kafka consumers are dynamic group members unless KAFKA_GROUP_INSTANCE_ID is set", "[config]") {
  ::setenv("DATABASE_URL", "postgresql://x@127.0.0.1:1/x", 1);
  ::unsetenv("KAFKA_GROUP_INSTANCE_ID");
  {
    EnvReader env;
    CHECK(ServiceConfig::from_env(env, "stock", 8086, true).kafka_instance_id.empty());
  }
  ::setenv("KAFKA_GROUP_INSTANCE_ID", "host-a", 1);
  {
    EnvReader env;
    CHECK(ServiceConfig::from_env(env, "stock", 8086, true).kafka_instance_id == "host-a");
  }
  ::unsetenv("KAFKA_GROUP_INSTANCE_ID");
  ::unsetenv("DATABASE_URL");
}

TEST_CASE("config: services need a mesh key of at least 32 characters, and may add a previous one", "[config]") {
  ::setenv("DATABASE_URL", "postgresql://x@127.0.0.1:1/x", 1);
  ::unsetenv("MESH_KEY");
  ::unsetenv("MESH_KEY_PREVIOUS");
  {
    EnvReader env;
    ServiceConfig::from_env(env, "stock", 8086, true);
    CHECK_THROWS_WITH(env.finish(), Catch::Contains("MESH_KEY is required"));
  }
  ::setenv("MESH_KEY", "short", 1);
  {
    EnvReader env;
    ServiceConfig::from_env(env, "stock", 8086, true);
    CHECK_THROWS_WITH(env.finish(), Catch::Contains("MESH_KEY must have at least 32 characters"));
  }
  ::setenv("MESH_KEY", "0123456789abcdef0123456789abcdef", 1);
  ::setenv("MESH_KEY_PREVIOUS", "fedcba9876543210fedcba9876543210", 1);
  {
    EnvReader env;
    const auto config = ServiceConfig::from_env(env, "stock", 8086, true);
    env.finish();
    CHECK(config.mesh_keys ==
          std::vector<std::string>{"0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"});
  }
  ::unsetenv("MESH_KEY");
  ::unsetenv("MESH_KEY_PREVIOUS");
  ::unsetenv("DATABASE_URL");
}
