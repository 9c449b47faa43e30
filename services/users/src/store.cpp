#include "shopmesh/users/store.hpp"

#include "shopmesh/contracts/user_deleted_v1.hpp"

#include "shopmesh/core/json.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/users/queries.hpp"

namespace shopmesh::users {
namespace {

std::optional<std::string> opt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

Profile read_profile(const pqxx::row& r) {
  Profile p;
  p.id = r[0].as<std::string>();
  p.email = r[1].as<std::string>();
  p.name = r[2].as<std::string>();
  p.phone = opt(r[3]);
  if (!r[4].is_null()) {
    Address a;
    a.line1 = r[4].as<std::string>();
    a.line2 = opt(r[5]);
    a.city = r[6].as<std::string>();
    a.postal_code = r[7].as<std::string>();
    a.country = r[8].as<std::string>();
    p.address = std::move(a);
  }
  p.created_at = r[9].as<std::string>();
  p.updated_at = r[10].as<std::string>();
  return p;
}


}  // namespace

bool ProfileStore::upsert_registered(const NewProfile& profile) {
  return db_.transact([&](pqxx::work& tx) { return upsert_registered(tx, profile); });
}

bool ProfileStore::upsert_registered(pqxx::work& tx, const NewProfile& p) {
  const auto created_at =
      p.created_at.empty() ? std::optional<std::string>{} : std::optional<std::string>(p.created_at);
  auto rows = core::exec(tx, queries::upsert_registered_profile(), p.id, p.email, p.name, created_at);
  return !rows.empty() && rows[0][0].as<bool>();
}

std::optional<Profile> ProfileStore::find(const std::string& id) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Profile> {
    auto rows = core::exec(tx, queries::find_profile(), id);
    if (rows.empty()) return std::nullopt;
    return read_profile(rows[0]);
  });
}

std::optional<Profile> ProfileStore::find_or_create(const std::string& id, const std::string& email) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Profile> {
    if (!email.empty())
      core::exec(tx, queries::insert_provisional_profile(), id, email, provisional_name(email));
    auto rows = core::exec(tx, queries::find_profile(), id);
    if (rows.empty()) return std::nullopt;
    return read_profile(rows[0]);
  });
}

std::optional<Profile> ProfileStore::update(const std::string& id, const ProfileChanges& c) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Profile> {
    const bool set_phone = c.phone.has_value();
    const bool set_address = c.address.has_value();
    const std::optional<std::string> phone = set_phone ? *c.phone : std::nullopt;
    const Address* a = set_address && c.address->has_value() ? &**c.address : nullptr;
    auto field = [&](auto member) -> std::optional<std::string> {
      if (a == nullptr) return std::nullopt;
      return a->*member;
    };
    auto rows = core::exec(tx, queries::update_profile(), id, c.name, set_phone, phone, set_address,
                           field(&Address::line1), a != nullptr ? a->line2 : std::optional<std::string>{},
                           field(&Address::city), field(&Address::postal_code), field(&Address::country));
    if (rows.empty()) return std::nullopt;
    return read_profile(rows[0]);
  });
}

Page ProfileStore::list(const ListQuery& q) {
  return db_.transact([&](pqxx::work& tx) {
    // Substring match on name and e-mail; LIKE metacharacters in the query are taken literally.
    std::optional<std::string> pattern;
    if (q.text) {
      std::string escaped;
      for (char ch : *q.text) {
        if (ch == '%' || ch == '_' || ch == '\\') escaped.push_back('\\');
        escaped.push_back(ch);
      }
      pattern = "%" + escaped + "%";
    }
    Page page;
    page.page = q.page;
    page.limit = q.limit;
    page.total = core::exec1(tx, queries::count_profiles(), pattern)[0].as<std::int64_t>();
    auto rows =
        core::exec(tx, queries::list_profiles(), pattern, q.limit, static_cast<std::int64_t>(q.page - 1) * q.limit);
    for (const auto& r : rows) page.items.push_back(read_profile(r));
    return page;
  });
}

bool ProfileStore::remove(const std::string& id, const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    auto rows = core::exec(tx, queries::delete_profile(), id);
    if (rows.empty()) return false;
    outbox_.add(tx, events::topic::identity, id, contracts::UserDeletedV1{{id}, rows[0][0].as<std::string>()}, ctx);
    return true;
  });
}

bool ProfileStore::mark_deleted(pqxx::work& tx, const std::string& id) {
  return !core::exec(tx, queries::mark_profile_deleted(), id).empty();
}

}  // namespace shopmesh::users
