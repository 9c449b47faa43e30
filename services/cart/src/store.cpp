#include "shopmesh/cart/store.hpp"

#include "shopmesh/cart/queries.hpp"
#include "shopmesh/core/pg.hpp"

namespace shopmesh::cart {

std::vector<CartLine> CartStore::lines(const std::string& user_id) {
  return db_.transact([&](pqxx::work& tx) {
    std::vector<CartLine> out;
    auto rows = core::exec(tx, queries::cart_lines(), user_id);
    for (const auto& r : rows) out.push_back({r[0].as<std::string>(), r[1].as<std::int64_t>()});
    return out;
  });
}

CartStore::AddOutcome CartStore::add(const std::string& user_id, const CartLine& line) {
  return db_.transact([&](pqxx::work& tx) {
    auto existing = core::exec(tx, queries::lock_cart_line(), user_id, line.product_id);
    if (!existing.empty()) {
      if (existing[0][0].as<std::int64_t>() + line.quantity > kMaxQuantity) return AddOutcome::line_full;
      core::exec(tx, queries::add_to_cart_line(), user_id, line.product_id, line.quantity);
      return AddOutcome::merged;
    }
    if (core::exec1(tx, queries::count_cart_lines(), user_id)[0].as<std::int64_t>() >=
        static_cast<std::int64_t>(kMaxLines))
      return AddOutcome::cart_full;
    core::exec(tx, queries::insert_cart_line(), user_id, line.product_id, line.quantity, kMaxQuantity);
    return AddOutcome::added;
  });
}

bool CartStore::set_quantity(const std::string& user_id, const std::string& product_id, std::int64_t quantity) {
  return db_.transact([&](pqxx::work& tx) {
    if (quantity == 0)
      return !core::exec(tx, queries::delete_cart_line(), user_id, product_id).empty();
    return !core::exec(tx, queries::set_cart_line_quantity(), user_id, product_id, quantity).empty();
  });
}

bool CartStore::remove(const std::string& user_id, const std::string& product_id) {
  return set_quantity(user_id, product_id, 0);
}

void CartStore::clear(const std::string& user_id) {
  db_.transact([&](pqxx::work& tx) { core::exec(tx, queries::clear_cart(), user_id); });
}

std::optional<CheckoutRecord> CartStore::find_checkout(const std::string& user_id, const std::string& key) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<CheckoutRecord> {
    auto rows = core::exec(tx, queries::find_checkout(), user_id, key);
    if (rows.empty()) return std::nullopt;
    return CheckoutRecord{rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
  });
}

void CartStore::complete_checkout(const std::string& user_id, const std::optional<std::string>& key,
                                  const std::string& fingerprint, const std::string& order_id,
                                  const std::vector<CartLine>& ordered) {
  db_.transact([&](pqxx::work& tx) {
    if (key) core::exec(tx, queries::record_checkout(), user_id, *key, fingerprint, order_id);
    core::exec(tx, queries::remove_ordered_lines(), user_id,
               core::array_literal(ordered, [](const CartLine& l) { return l.product_id; }),
               core::array_literal(ordered, [](const CartLine& l) { return static_cast<long long>(l.quantity); }));
  });
}

}  // namespace shopmesh::cart
