#pragma once
// Typed configuration from environment variables, validated once at start-up.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace shopmesh::core {

/// Reads environment variables into typed values, collecting every problem before failing.
class EnvReader {
 public:
  /// A string variable; `required` makes an empty or missing value an error.
  std::string str(const char* name, std::string fallback, bool required = false);
  /// An integer variable within [min, max].
  std::int64_t integer(const char* name, std::int64_t fallback, std::int64_t min, std::int64_t max);
  /// A duration given in milliseconds.
  std::chrono::milliseconds millis(const char* name, std::chrono::milliseconds fallback,
                                   std::chrono::milliseconds min = std::chrono::milliseconds{1},
                                   std::chrono::milliseconds max = std::chrono::hours{24 * 30});
  /// A boolean: 1/0, true/false, yes/no, on/off.
  bool flag(const char* name, bool fallback);
  /// A comma-separated list (empty items dropped).
  std::vector<std::string> list(const char* name, const std::string& fallback);

  /// Records an error against a variable (for cross-field checks).
  void fail(const char* name, const std::string& message);
  /// Throws ConfigError listing every bad variable, if any.
  void finish() const;

 private:
  std::vector<std::string> errors_;
};

/// Raised when configuration is invalid; `what()` names each offending variable.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The mesh keys (see mesh_auth.hpp): MESH_KEY, required, signs and verifies; MESH_KEY_PREVIOUS,
/// optional, still verifies while a new key is rolled out.
std::vector<std::string> mesh_keys_from_env(EnvReader& env);

/// Settings every HTTP service shares.
struct ServiceConfig {
  std::string service_name;
  std::string http_host;
  std::uint16_t http_port = 0;
  int io_threads = 1;
  int worker_threads = 8;  // also the PostgreSQL pool size: one connection per worker
  std::string database_url;
  std::string kafka_brokers;
  // Threads (group members) per Kafka consumer group. One: a fetch then carries every assigned
  // partition's messages, so batches (one transaction each) grow with the load; scale out by
  // instances (or raise it on a machine with cores to spare).
  int consumer_workers = 1;
  // KAFKA_GROUP_INSTANCE_ID: static Kafka group membership, opt-in (events::ConsumerOptions::instance_id);
  // stable across restarts and unique per running instance of the service, e.g. its host name.
  std::string kafka_instance_id;
  std::string log_level;
  std::vector<std::string> mesh_keys;  // MESH_KEY first, then MESH_KEY_PREVIOUS when set
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  std::chrono::milliseconds statement_timeout{5'000};
  std::size_t body_limit = 1024 * 1024;

  /// Reads the shared settings; `default_port` applies when HTTP_PORT is unset.
  static ServiceConfig from_env(EnvReader& env, const std::string& name, std::uint16_t default_port,
                                bool needs_database);
};

}  // namespace shopmesh::core
