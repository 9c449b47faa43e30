#pragma once
// W3C Trace Context: continue an incoming traceparent with a new span, or start a trace. The
// gateway starts or continues one per request; a service called without one starts its own, so
// that every event produced while handling a request carries a traceparent.
#include <string>
#include <string_view>

namespace shopmesh::core {

struct TraceContext {
  std::string traceparent;  // the value forwarded upstream (our span as parent); empty when none
  /// Its trace id (32 hex), a view into `traceparent`.
  std::string_view trace_id() const {
    return traceparent.size() >= 35 ? std::string_view(traceparent).substr(3, 32) : std::string_view();
  }
};

/// Whether `traceparent` is a valid W3C traceparent header value.
bool is_valid_traceparent(std::string_view traceparent);

/// A valid incoming `traceparent` keeps its trace id and flags; anything else starts a new trace.
TraceContext continue_or_start_trace(std::string_view incoming);

}  // namespace shopmesh::core
