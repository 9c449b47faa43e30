#pragma once
// The catalog as other services see it: a batch lookup of current names, prices and availability
// over the products service's internal endpoint GET {PRODUCTS_URL}/internal/products?ids=a,b,c.
// Used by cart (current prices) and orders (prices resolved when an order is placed).
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/money.hpp"

namespace shopmesh::core {
class MeshAuth;
}

namespace shopmesh::products::client {

/// A live product (deleted products are never returned).
struct CatalogProduct {
  std::string id;
  std::string sku;
  std::string name;
  core::Cents price;
  bool active = true;
  std::int64_t stock = 0;
};

/// Request identity passed on to the products service (logs and traces).
struct Trace {
  std::string request_id;
  std::string traceparent;
};

class Catalog {
 public:
  virtual ~Catalog() = default;
  /// The live products among `ids` (lower-case UUIDs), keyed by id; unknown or deleted ids are
  /// absent. Throws core::Unavailable when the catalog cannot answer in time.
  virtual std::map<std::string, CatalogProduct> lookup(const std::vector<std::string>& ids, const Trace& trace) = 0;
};

class HttpCatalog : public Catalog {
 public:
  HttpCatalog(std::string base_url, std::chrono::milliseconds timeout, const core::MeshAuth& mesh)
      : peers_(base_url), timeout_(timeout), mesh_(mesh) {}
  std::map<std::string, CatalogProduct> lookup(const std::vector<std::string>& ids, const Trace& trace) override;

 private:
  core::Peers peers_;  // <NAME>_URL: the instances, this one's own first
  std::chrono::milliseconds timeout_;
  const core::MeshAuth& mesh_;
};

/// Parses the internal endpoint's answer `{"items":[product, ...]}`; false when malformed.
bool parse_catalog_items(const std::string& body, std::map<std::string, CatalogProduct>& out);

}  // namespace shopmesh::products::client
