#include "shopmesh/orders/ordering.hpp"

#include "shopmesh/core/http.hpp"
#include "shopmesh/products/catalog_client.hpp"

namespace shopmesh::orders {

Placed Ordering::place(const std::string& user_id, std::string_view body,
                       const std::optional<std::string>& idempotency_key, const products::client::Trace& trace,
                       const events::EventContext& ctx) {
  const OrderRequest request = parse_order_request(body);
  std::optional<IdempotencyKey> key;
  if (idempotency_key) {
    if (auto problem = idempotency_key_problem(*idempotency_key))
      throw core::invalid("The Idempotency-Key header is not valid.", {{"Idempotency-Key", *problem}});
    key = IdempotencyKey{*idempotency_key, request_fingerprint(request)};
    if (auto earlier = store_.find_by_key(user_id, *key)) return Placed{std::move(*earlier), true};
  }
  std::vector<std::string> ids;
  ids.reserve(request.items.size());
  for (const auto& line : request.items) ids.push_back(line.product_id);
  const PricedOrder priced = price_order(request, catalog_.lookup(ids, trace));
  return store_.place(user_id, request, priced, key, ctx);
}

}  // namespace shopmesh::orders
