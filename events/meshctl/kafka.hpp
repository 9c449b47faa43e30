#pragma once
// The Kafka side of meshctl, behind plain types: metadata, watermarks, offsets for times,
// consumer groups (list, describe, committed offsets, reset) through librdkafka 2.0.2's admin
// API, a bounded or following reader, and an idempotent publisher. Failures to reach the broker
// throw std::runtime_error with a message for the user.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "plan.hpp"
#include "record.hpp"
#include "shopmesh/events/topics.hpp"
#include "time_format.hpp"

namespace RdKafka {
class Producer;
}

namespace shopmesh::meshctl {

struct TopicInfo {
  std::string name;
  int partitions = 0;
};

struct GroupMember {
  std::string client_id;
  std::string host;
  std::string instance_id;  // group.instance.id of a static member, else empty
  std::vector<std::pair<std::string, int>> assignment;  // (topic, partition) it consumes
};

/// A consumer group as the broker describes it.
struct GroupInfo {
  std::string id;
  std::string state;  // Stable, Empty, Dead, PreparingRebalance, CompletingRebalance, Unknown
  std::vector<GroupMember> members;
  std::string error;  // empty unless the describe failed for this group
  bool live() const { return !members.empty() || state == "Stable" || state.find("Rebalance") != std::string::npos; }
};

/// A group's committed offsets by (topic, partition); -1 when there is none.
using Committed = std::map<std::pair<std::string, int>, long long>;

/// The outcome of altering one partition's committed offset.
struct OffsetResult {
  int partition = 0;
  long long offset = 0;
  std::string error;  // empty on success
};

class Kafka {
 public:
  Kafka(std::string brokers, std::chrono::milliseconds timeout);
  ~Kafka();
  Kafka(const Kafka&) = delete;
  Kafka& operator=(const Kafka&) = delete;

  const std::string& brokers() const { return brokers_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  /// Polls metadata until a broker answers or `timeout` passes.
  bool wait_ready(std::chrono::milliseconds timeout);
  /// How `ensure_topics` creates a topic: its replicas (-1: the broker's default.replication.factor)
  /// and its min.insync.replicas (-1: the broker's default).
  struct Replication {
    int factor = -1;
    int min_insync = -1;
  };
  /// Creates missing topics (existing ones are left alone); one line per topic on `out`. An
  /// existing topic with fewer replicas than asked for is a failure (it would not survive what
  /// the caller expects it to).
  bool ensure_topics(const std::vector<events::TopicSpec>& topics, const Replication& replication, std::ostream& out,
                     std::ostream& err);

  /// Per topic, the fewest replicas any of its partitions has.
  std::map<std::string, int> replica_counts();
  /// Every topic except Kafka's internal ones (`__consumer_offsets`, ...), sorted by name.
  std::vector<TopicInfo> list_topics();
  /// The topic, or a runtime_error saying it does not exist.
  TopicInfo require_topic(const std::string& name);
  std::vector<PartitionRange> watermarks(const TopicInfo& topic);
  /// Per partition, the first offset whose timestamp is at or after `t`; -1 when there is none.
  std::map<int, long long> offsets_for_time(const TopicInfo& topic, TimePoint t);

  std::vector<std::string> list_groups();
  std::vector<GroupInfo> describe_groups(const std::vector<std::string>& groups);
  /// Committed offsets of `group` on `topic`'s partitions, or on everything it committed.
  Committed committed(const std::string& group, const std::optional<TopicInfo>& topic);
  /// Sets `group`'s committed offsets on `topic` (the broker refuses while the group has members).
  std::vector<OffsetResult> alter_committed(const std::string& group, const std::string& topic,
                                            const std::map<int, long long>& offsets);

 private:
  std::string brokers_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<RdKafka::Producer> handle_;  // metadata, watermarks, admin requests
};

/// What to read from one partition: offsets [start, end); end < 0 = no end (follow).
struct ReadRange {
  std::string topic;
  int partition = 0;
  long long start = 0;
  long long end = -1;
};

struct ReadOptions {
  bool follow = false;                             // go on past the ends until stopped
  const std::atomic<bool>* stop = nullptr;         // set by SIGINT/SIGTERM
  std::chrono::milliseconds idle_timeout{10'000};  // bounded reads fail when nothing arrives this long
};

/// Reads the ranges with a throw-away consumer (assign, never commits, joins no group).
/// `on_record(record, live)` gets each message (`live`: past its range's end, follow mode only)
/// and returns false to stop; `on_caught_up` runs once every range has reached its end.
void read_ranges(const std::string& brokers, const std::vector<ReadRange>& ranges, const ReadOptions& options,
                 const std::function<bool(Record&&, bool live)>& on_record,
                 const std::function<void()>& on_caught_up = {});

/// A message to publish.
struct Outgoing {
  std::string topic;
  std::optional<std::string> key;
  std::string value;
  HeaderList headers;
};

/// Where a published message landed, or why it did not.
struct Sent {
  bool ok = false;
  std::string error;
  int partition = -1;
  long long offset = -1;
};

/// Publishes with an idempotent producer (acks=all), in order, waits for every delivery report.
std::vector<Sent> publish(const std::string& brokers, const std::vector<Outgoing>& messages,
                          std::chrono::milliseconds timeout);

}  // namespace shopmesh::meshctl
