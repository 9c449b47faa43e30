#pragma once
// W3C Trace Context: continue an incoming traceparent with a new span, or start a trace.
#include <string>
#include <string_view>

namespace shopmesh::gateway {

struct TraceContext {
  std::string trace_id;     // 32 hex
  std::string traceparent;  // the value forwarded upstream (our span as parent)
};

/// A valid incoming `traceparent` keeps its trace id and flags; anything else starts a new trace.
TraceContext continue_or_start_trace(std::string_view incoming);

}  // namespace shopmesh::gateway
