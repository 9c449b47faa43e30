#include "shopmesh/cart/store.hpp"

#include "shopmesh/core/pg.hpp"

namespace shopmesh::cart {

std::vector<CartLine> CartStore::lines(const std::string& user_id) {
  return db_.transact([&](pqxx::work& tx) {
    std::vector<CartLine> out;
    auto rows = core::exec(
        tx,
        SHOPMESH_SQL(
            "SELECT product_id::text, quantity FROM cart_items WHERE user_id = $1 ORDER BY added_at, product_id"),
        user_id);
    for (const auto& r : rows) out.push_back({r[0].as<std::string>(), r[1].as<std::int64_t>()});
    return out;
  });
}

CartStore::AddOutcome CartStore::add(const std::string& user_id, const CartLine& line) {
  return db_.transact([&](pqxx::work& tx) {
    auto existing = core::exec(
        tx, SHOPMESH_SQL("SELECT quantity FROM cart_items WHERE user_id = $1 AND product_id = $2 FOR UPDATE"), user_id,
        line.product_id);
    if (!existing.empty()) {
      if (existing[0][0].as<std::int64_t>() + line.quantity > kMaxQuantity) return AddOutcome::line_full;
      core::exec(tx,
                 SHOPMESH_SQL("UPDATE cart_items SET quantity = quantity + $3, updated_at = now()"
                              " WHERE user_id = $1 AND product_id = $2"),
                 user_id, line.product_id, line.quantity);
      return AddOutcome::merged;
    }
    if (core::exec1(tx, SHOPMESH_SQL("SELECT count(*) FROM cart_items WHERE user_id = $1"), user_id)[0]
            .as<std::int64_t>() >= static_cast<std::int64_t>(kMaxLines))
      return AddOutcome::cart_full;
    // A concurrent add of the same product merges instead (the sum is bounded by the CHECK).
    core::exec(tx,
               SHOPMESH_SQL("INSERT INTO cart_items (user_id, product_id, quantity) VALUES ($1, $2, $3)"
                            " ON CONFLICT (user_id, product_id) DO UPDATE"
                            " SET quantity = least(cart_items.quantity + EXCLUDED.quantity, $4), updated_at = now()"),
               user_id, line.product_id, line.quantity, kMaxQuantity);
    return AddOutcome::added;
  });
}

bool CartStore::set_quantity(const std::string& user_id, const std::string& product_id, std::int64_t quantity) {
  return db_.transact([&](pqxx::work& tx) {
    if (quantity == 0)
      return !core::exec(tx, SHOPMESH_SQL("DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2 RETURNING 1"),
                         user_id, product_id)
                  .empty();
    return !core::exec(tx,
                       SHOPMESH_SQL("UPDATE cart_items SET quantity = $3, updated_at = now()"
                                    " WHERE user_id = $1 AND product_id = $2 RETURNING 1"),
                       user_id, product_id, quantity)
                .empty();
  });
}

bool CartStore::remove(const std::string& user_id, const std::string& product_id) {
  return set_quantity(user_id, product_id, 0);
}

void CartStore::clear(const std::string& user_id) {
  db_.transact(
      [&](pqxx::work& tx) { core::exec(tx, SHOPMESH_SQL("DELETE FROM cart_items WHERE user_id = $1"), user_id); });
}

std::optional<CheckoutRecord> CartStore::find_checkout(const std::string& user_id, const std::string& key) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<CheckoutRecord> {
    auto rows = core::exec(
        tx,
        SHOPMESH_SQL("SELECT request_hash, order_id::text FROM checkouts WHERE user_id = $1 AND idempotency_key = $2"),
        user_id, key);
    if (rows.empty()) return std::nullopt;
    return CheckoutRecord{rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
  });
}

void CartStore::complete_checkout(const std::string& user_id, const std::optional<std::string>& key,
                                  const std::string& fingerprint, const std::string& order_id,
                                  const std::vector<CartLine>& ordered) {
  db_.transact([&](pqxx::work& tx) {
    if (key)
      core::exec(tx,
                 SHOPMESH_SQL(
                     "INSERT INTO checkouts (user_id, idempotency_key, request_hash, order_id) VALUES ($1, $2, $3, $4)"
                     " ON CONFLICT DO NOTHING"),
                 user_id, *key, fingerprint, order_id);
    core::exec(
        tx,
        SHOPMESH_SQL("DELETE FROM cart_items c USING unnest($2::uuid[], $3::integer[]) AS o(product_id, quantity)"
                     " WHERE c.user_id = $1 AND c.product_id = o.product_id AND c.quantity = o.quantity"),
        user_id, core::array_literal(ordered, [](const CartLine& l) { return l.product_id; }),
        core::array_literal(ordered, [](const CartLine& l) { return static_cast<long long>(l.quantity); }));
  });
}

}  // namespace shopmesh::cart
