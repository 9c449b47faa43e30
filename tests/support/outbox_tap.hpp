#pragma once
// What a store wrote to its outbox, for integration tests that drive a store directly on a
// TestDatabase: a logical decoding slot of the test's own (test_decoding) reads back every outbox
// message committed after the tap was made, as the relay would see them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopmesh/events/outbox.hpp"

namespace shopmesh::testing {

struct TestDatabase;

class OutboxTap {
 public:
  /// Creates the slot: events committed in `db` from now on are read back by take().
  explicit OutboxTap(const TestDatabase& db);
  ~OutboxTap();
  OutboxTap(const OutboxTap&) = delete;
  OutboxTap& operator=(const OutboxTap&) = delete;

  /// The outbox messages committed since the previous take (or the tap's creation), in commit order.
  std::vector<events::OutboxMessage> take();

 private:
  std::string url_;
  std::string slot_;
};

/// How many of `messages` are of `type` (and, when given, for aggregate `key`).
std::size_t count_of(const std::vector<events::OutboxMessage>& messages, std::string_view type,
                     std::string_view key = {});

/// A member of the event's data (the envelope's `data` object): text, or an integer.
std::optional<std::string> data_text(const events::OutboxMessage& message, const char* member);
std::optional<std::int64_t> data_int(const events::OutboxMessage& message, const char* member);

}  // namespace shopmesh::testing
