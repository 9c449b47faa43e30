#pragma once
// A Kafka message as meshctl sees it (no rdkafka types), and what the contracts say about it:
// decoded as an envelope and validated against the generated schema of its type and version.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shopmesh/events/envelope.hpp"

namespace shopmesh::meshctl {

/// Kafka headers in wire order (a name may repeat; lookups take the last one, as consumers do).
using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// One message read from a topic.
struct Record {
  std::string topic;
  int partition = -1;
  long long offset = -1;
  std::optional<long long> timestamp_ms;  // CreateTime/LogAppendTime, epoch ms
  std::optional<std::string> key;         // nullopt: a null key
  HeaderList headers;
  std::string value;
};

/// The last value of header `name`, if present.
std::optional<std::string> header(const HeaderList& headers, std::string_view name);

/// How a message stands against the contracts; names match the consumer's dlq-error-class.
enum class Verdict { valid, invalid, unknown_type, unknown_version, not_envelope };

/// "valid", "invalid", "unknown-type", "unknown-version", "not-envelope".
const char* verdict_name(Verdict v);

struct Inspection {
  Verdict verdict = Verdict::not_envelope;
  std::optional<events::Envelope> envelope;  // set unless not_envelope
  std::vector<std::string> errors;           // "data.items[0].quantity: must be >= 1", ...
  bool valid() const { return verdict == Verdict::valid; }
};

/// Decodes `value` as an envelope and validates its data against the contract of its type/version.
Inspection inspect(std::string_view value);

/// The event type of a record: the envelope's, else the event-type header, else empty.
std::string event_type(const Record& r, const Inspection& i);

/// What the consumer runner wrote into a dead letter's headers.
struct DeadLetter {
  std::string error_class;  // decode | invalid | unknown-type | unknown-version | handler
  std::string error_message;
  std::string original_topic;
  std::optional<int> original_partition;
  std::optional<long long> original_offset;
  std::string consumer_group;
  std::string failed_at;  // RFC 3339
};
DeadLetter dead_letter_of(const HeaderList& headers);

/// `<topic>.<group>.dlq` split into topic and group (the group is the last dotted segment).
struct DlqName {
  std::string topic;
  std::string group;
};
std::optional<DlqName> parse_dlq_name(std::string_view dlq);
bool is_dlq_topic(std::string_view topic);

/// Headers for a replayed copy: the source's, minus earlier replay marks, plus
/// `replay-of: <topic>/<partition>/<offset>` and `replayed-at: <now>`.
HeaderList replay_headers(const Record& source, std::string_view replayed_at);

/// Headers for a redriven dead letter: the original's without any `dlq-*` or earlier
/// `redriven-from`, plus `redriven-from: <dlq>/<partition>/<offset>`.
HeaderList redrive_headers(const Record& dead_letter);

}  // namespace shopmesh::meshctl
