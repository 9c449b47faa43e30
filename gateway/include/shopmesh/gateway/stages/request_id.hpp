#pragma once
// Stage 1, request id and trace: every request gets an id (the client's X-Request-Id when it is a
// valid one, else a new UUIDv7) and a W3C trace context (continued from traceparent, or started);
// every answer carries X-Request-Id and a Date (RFC 9110 6.6.1), whichever stage gave it.
#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::gateway {

class RequestIdStage final : public Stage {
 public:
  std::string_view name() const override { return "request-id"; }
  Answer request(Request& req, Exchange& ex) override;
  void response(Response& res, Exchange& ex) override;
};

}  // namespace shopmesh::gateway
