#include "shopmesh/cart/checkout.hpp"

#include <rapidjson/document.h>

#include "shopmesh/cart/cart.hpp"
#include "shopmesh/cart/store.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::cart {
namespace {

std::optional<std::string> order_id_of(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("id") || !d["id"].IsString()) return std::nullopt;
  return std::string(d["id"].GetString());
}

}  // namespace

CheckoutResult Checkout::run(const Identity& who, std::string_view body, const std::optional<std::string>& key) {
  const CheckoutRequest request = parse_checkout(body);
  const std::string print = fingerprint(request);
  if (key) {
    if (auto problem = idempotency_key_problem(*key))
      throw core::invalid("The Idempotency-Key header is not valid.", {{"Idempotency-Key", *problem}});
    if (auto done = store_.find_checkout(who.user_id, *key)) {
      if (done->fingerprint != print)
        throw core::refused("This Idempotency-Key was already used with a different request body.",
                                  {{"Idempotency-Key", "was used with a different request body"}});
      auto answer = orders_.get(done->order_id, who);
      if (answer.status != 200) throw core::Unavailable("the order of an earlier checkout could not be read");
      return {std::move(answer), true};
    }
  }
  const auto lines = store_.lines(who.user_id);
  if (lines.empty()) throw core::refused("The cart is empty.", {{"items", "the cart has no items to order"}});

  // Without a client key the cart makes one, so that its own retry of a lost answer is safe.
  const std::string order_key = key.value_or("checkout-" + core::uuid_v7());
  auto answer = orders_.create(order_body(lines, request), order_key, who);
  if (answer.status != 201 && answer.status != 200) return {std::move(answer), false};
  const auto order_id = order_id_of(answer.body);
  if (!order_id) throw core::Unavailable("the orders service answered without an order id");
  store_.complete_checkout(who.user_id, key, print, *order_id, lines);
  const bool replayed = answer.status == 200;  // the orders service had it from an earlier attempt
  return {std::move(answer), replayed};
}

}  // namespace shopmesh::cart
