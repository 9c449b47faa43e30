#include "shopmesh/core/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace shopmesh::core {
namespace {

const char* raw(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

}  // namespace

std::string EnvReader::str(const char* name, std::string fallback, bool required) {
  if (const char* v = raw(name)) return v;
  if (required && fallback.empty()) fail(name, "is required");
  return fallback;
}

std::int64_t EnvReader::integer(const char* name, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  const char* v = raw(name);
  if (v == nullptr) return fallback;
  char* end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0') {
    fail(name, std::string("must be an integer, got '") + v + "'");
    return fallback;
  }
  if (parsed < min || parsed > max) {
    fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + v);
    return fallback;
  }
  return parsed;
}

std::chrono::milliseconds EnvReader::millis(const char* name, std::chrono::milliseconds fallback,
                                            std::chrono::milliseconds min, std::chrono::milliseconds max) {
  return std::chrono::milliseconds{integer(name, fallback.count(), min.count(), max.count())};
}

bool EnvReader::flag(const char* name, bool fallback) {
  const char* v = raw(name);
  if (v == nullptr) return fallback;
  std::string s(v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
  if (s == "0" || s == "false" || s == "no" || s == "off") return false;
  fail(name, "must be true or false, got '" + std::string(v) + "'");
  return fallback;
}

std::vector<std::string> EnvReader::list(const char* name, const std::string& fallback) {
  std::string text = str(name, fallback);
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

void EnvReader::fail(const char* name, const std::string& message) {
  errors_.push_back(std::string(name) + " " + message);
}

void EnvReader::finish() const {
  if (errors_.empty()) return;
  std::string text = "invalid configuration:";
  for (const auto& e : errors_) text += "\n  " + e;
  throw ConfigError(text);
}

std::vector<std::string> mesh_keys_from_env(EnvReader& env) {
  std::vector<std::string> keys;
  auto add = [&](const char* name, bool required) {
    std::string key = env.str(name, "", required);
    if (key.empty()) return;
    if (key.size() < 32)
      env.fail(name, "must have at least 32 characters (scripts/stack generates one into var/secrets/mesh.env)");
    keys.push_back(std::move(key));
  };
  add("MESH_KEY", true);
  add("MESH_KEY_PREVIOUS", false);
  return keys;
}

ServiceConfig ServiceConfig::from_env(EnvReader& env, const std::string& name, std::uint16_t default_port,
                                      bool needs_database) {
  ServiceConfig c;
  c.service_name = env.str("SERVICE_NAME", name);
  c.http_host = env.str("HTTP_HOST", "127.0.0.1");
  c.http_port = static_cast<std::uint16_t>(env.integer("HTTP_PORT", default_port, 0, 65535));
  c.io_threads = static_cast<int>(env.integer("HTTP_IO_THREADS", 1, 1, 64));
  c.worker_threads = static_cast<int>(env.integer("WORKER_THREADS", 8, 1, 256));
  c.database_url = env.str("DATABASE_URL", "", needs_database);
  c.kafka_brokers = env.str("KAFKA_BROKERS", "127.0.0.1:9092");
  c.consumer_workers = static_cast<int>(env.integer("CONSUMER_WORKERS", c.consumer_workers, 1, 64));
  c.kafka_instance_id = env.str("KAFKA_GROUP_INSTANCE_ID", "");
  c.log_level = env.str("LOG_LEVEL", "info");
  c.mesh_keys = mesh_keys_from_env(env);
  c.header_timeout = env.millis("HTTP_HEADER_TIMEOUT_MS", c.header_timeout);
  c.idle_timeout = env.millis("HTTP_IDLE_TIMEOUT_MS", c.idle_timeout);
  c.shutdown_grace = env.millis("SHUTDOWN_GRACE_MS", c.shutdown_grace, std::chrono::milliseconds{0});
  c.statement_timeout = env.millis("DB_STATEMENT_TIMEOUT_MS", c.statement_timeout);
  c.body_limit = static_cast<std::size_t>(env.integer("HTTP_BODY_LIMIT", 1024 * 1024, 1024, 64 * 1024 * 1024));
  const std::string level = c.log_level;
  if (level != "debug" && level != "info" && level != "warn" && level != "error")
    env.fail("LOG_LEVEL", "must be one of debug, info, warn, error, got '" + level + "'");
  return c;
}

}  // namespace shopmesh::core
