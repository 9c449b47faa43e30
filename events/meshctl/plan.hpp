#pragma once
// The decisions behind the commands, as plain functions over plain data: which offsets to read,
// what a group reset or a replay window is, what matches a filter, what order a timeline has.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "record.hpp"

namespace shopmesh::meshctl {

/// A partition's low and high watermarks (high = the offset the next message will get).
struct PartitionRange {
  int partition = 0;
  long long low = 0;
  long long high = 0;
};

/// Where to start so that the newest `n` messages of the topic are read: max(low, high - n) in each
/// partition (the newest n overall are among the newest n of every partition).
std::map<int, long long> last_n_starts(const std::vector<PartitionRange>& partitions, long long n);

/// Orders records by timestamp, then topic, partition and offset (a stable, total order).
void sort_by_time(std::vector<Record>& records);

/// Keeps the last `n` records of a time-sorted vector.
void keep_newest(std::vector<Record>& sorted, std::size_t n);

/// One partition of a consumer-group reset: from its committed offset (none when the group has
/// never committed there) to the first offset at or after the replay start.
struct ResetRow {
  int partition = 0;
  std::optional<long long> committed;
  long long target = 0;
  long long high = 0;
  long long to_process() const { return high - target; }
};

/// `by_time` holds offsetsForTimes' answer per partition (-1: no message at or after the time,
/// i.e. start at the end).
std::vector<ResetRow> plan_reset(const std::vector<PartitionRange>& partitions, const std::map<int, long long>& by_time,
                                 const std::map<int, long long>& committed);

/// The messages [start, end) of one partition that fall in a replay window.
struct WindowRange {
  int partition = 0;
  long long start = 0;
  long long end = 0;
  long long size() const { return end > start ? end - start : 0; }
};

/// `since`/`until` hold offsetsForTimes' answers (-1: none at or after, i.e. the end); without
/// `until` the window runs to the end offsets captured now.
std::vector<WindowRange> plan_window(const std::vector<PartitionRange>& partitions,
                                     const std::map<int, long long>& since,
                                     const std::optional<std::map<int, long long>>& until);

/// A consumer group's lag on a partition; nullopt when it has no committed offset there.
std::optional<long long> lag(long long high, long long committed);

/// A message position given on the command line: `N` (partition 0) or `P:N`.
struct Position {
  int partition = 0;
  long long offset = 0;
  auto operator<=>(const Position&) const = default;
};
std::optional<Position> parse_position(std::string_view text);

/// The `--type`, `--key` and `--invalid` filters of tail and replay.
struct Filter {
  std::vector<std::string> types;  // any of these (envelope type, else the event-type header)
  std::vector<std::string> keys;   // any of these message keys
  bool invalid_only = false;
  bool empty() const { return types.empty() && keys.empty() && !invalid_only; }
  bool matches(const Record& r, const Inspection& i) const;
};

/// True when a message belongs to an order: its key is the order id or its data.orderId is.
bool belongs_to_order(const Record& r, const Inspection& i, std::string_view order_id);

/// When an event happened: its envelope's occurredAt, else the Kafka timestamp (epoch ms).
std::optional<long long> event_time_ms(const Record& r, const Inspection& i);

}  // namespace shopmesh::meshctl
