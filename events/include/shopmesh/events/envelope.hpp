#pragma once
// The event envelope (SPEC §4): the Kafka value is this JSON object, plain enough for kcat.
//   {id, type, version, occurredAt, producer, key, correlationId, causationId, data}
// Headers mirror it: event-type, event-version, event-id, traceparent, content-type.
#include <optional>
#include <string>
#include <string_view>

#include "shopmesh/core/clock.hpp"

namespace shopmesh::events {

struct Envelope {
  std::string id;              // UUIDv7 of this event
  std::string type;            // e.g. ORDER_CREATED
  int version = 1;             // schema version of `data`
  std::string occurred_at;     // RFC 3339 UTC, microsecond precision
  std::string producer;        // service that produced it
  std::string key;             // aggregate id; also the Kafka message key
  std::string correlation_id;  // the request or flow this belongs to
  std::string causation_id;    // the event that caused this one; empty when caused by a request
  std::string traceparent;     // W3C trace context; travels as a header, not in the value
  std::string data;            // the payload as JSON text (an object)
};

/// Serialises the envelope to the JSON value written to Kafka.
std::string encode(const Envelope& envelope);

/// Parses a Kafka value into an envelope; nullopt with `error` naming the problem.
std::optional<Envelope> decode(std::string_view value, std::string& error);

/// Current UTC time as RFC 3339 (core's, the one format events carry).
using core::now_rfc3339;

}  // namespace shopmesh::events
