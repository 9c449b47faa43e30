#pragma once
// The orders service as the cart uses it: POST /api/orders and GET /api/orders/{id} on the
// caller's behalf (the gateway's X-User-* headers are passed on), with a total timeout.
#include <chrono>
#include <string>

#include "shopmesh/core/http_client.hpp"

namespace shopmesh::core {
class MeshAuth;
}

namespace shopmesh::cart {

/// The caller as the gateway identified them, passed on to the orders service.
struct Identity {
  std::string user_id;
  std::string role;
  std::string email;
  std::string session_id;
  std::string request_id;
  std::string traceparent;
};

/// An answer of the orders service, passed back to the client as it is.
struct OrdersAnswer {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string location;
};

class OrdersApi {
 public:
  virtual ~OrdersApi() = default;
  /// Creates an order with an Idempotency-Key (so a retry after a lost answer is safe). Throws
  /// core::Unavailable when the orders service cannot answer.
  virtual OrdersAnswer create(const std::string& body, const std::string& idempotency_key, const Identity& who) = 0;
  /// Reads an order. Throws core::Unavailable when the orders service cannot answer.
  virtual OrdersAnswer get(const std::string& order_id, const Identity& who) = 0;
};

class HttpOrders : public OrdersApi {
 public:
  HttpOrders(std::string base_url, std::chrono::milliseconds timeout, const core::MeshAuth& mesh)
      : peers_(base_url), timeout_(timeout), mesh_(mesh) {}
  OrdersAnswer create(const std::string& body, const std::string& idempotency_key, const Identity& who) override;
  OrdersAnswer get(const std::string& order_id, const Identity& who) override;

 private:
  core::Peers peers_;  // <NAME>_URL: the instances, this one's own first
  std::chrono::milliseconds timeout_;
  const core::MeshAuth& mesh_;
};

}  // namespace shopmesh::cart
