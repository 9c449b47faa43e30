#pragma once
// Integration fixtures for the event bus: a private database with the bus tables, a private
// topic, and a reader that collects everything on a topic.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/registry.h>

#include "shopmesh/core/log.hpp"
#include "shopmesh/core/pg.hpp"

namespace shopmesh::testing {

/// A fresh database (dropped at the end) with the event bus migrations applied.
struct TestDatabase {
  explicit TestDatabase(const std::string& prefix);
  ~TestDatabase();
  std::string name;
  std::string url;
};

/// Creates a topic with `partitions` partitions on the stack's broker.
void create_topic(const std::string& name, int partitions);

struct ReadMessage {
  std::string key;
  std::string value;
  int partition = -1;
  long long offset = -1;
  std::map<std::string, std::string> headers;
};

/// Reads a topic from the beginning (a throw-away consumer group) until `count` messages have
/// arrived or `timeout` passes.
std::vector<ReadMessage> read_topic(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout);

/// Resets a consumer group's committed offsets on a topic to the beginning (the group must be idle).
void reset_group_offsets(const std::string& group, const std::string& topic);

/// Logger + metrics registry for components under test.
struct Infra {
  core::Logger log{"it", core::LogLevel::warn};
  prometheus::Registry metrics;
};

}  // namespace shopmesh::testing
