#pragma once
// The stock service owns stock levels; administrative changes made through the catalog API are
// forwarded synchronously to POST {STOCK_URL}/internal/stock/{productId}/adjust.
#include <chrono>
#include <cstdint>
#include <string>

#include "shopmesh/core/http_client.hpp"
#include "shopmesh/products/catalog.hpp"

namespace shopmesh::core {
class MeshAuth;
}

namespace shopmesh::products {

/// A product's level as the stock service reports it.
struct StockLevel {
  std::int64_t available = 0;
  std::int64_t reserved = 0;
  /// The changedAt of the STOCK_CHANGED the adjustment emitted; empty when it changed nothing.
  std::string changed_at{};
};

/// Where a request came from, passed on to the stock service.
struct CallContext {
  std::string request_id;
  std::string traceparent;
};

/// Applies stock adjustments. Throws core::conflict when the level would go below zero,
/// core::Unavailable when the stock service cannot answer (down, slow, level not provisioned yet).
class StockAdjuster {
 public:
  virtual ~StockAdjuster() = default;
  virtual StockLevel adjust(const std::string& product_id, const StockChange& change, const CallContext& ctx) = 0;
};

class StockClient : public StockAdjuster {
 public:
  StockClient(std::string base_url, std::chrono::milliseconds timeout, const core::MeshAuth& mesh)
      : peers_(base_url), timeout_(timeout), mesh_(mesh) {}
  StockLevel adjust(const std::string& product_id, const StockChange& change, const CallContext& ctx) override;

 private:
  core::Peers peers_;  // <NAME>_URL: the instances, this one's own first
  std::chrono::milliseconds timeout_;
  const core::MeshAuth& mesh_;
};

}  // namespace shopmesh::products
