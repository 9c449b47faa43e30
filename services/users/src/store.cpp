#include "shopmesh/users/store.hpp"

#include "shopmesh/contracts/user_deleted_v1.hpp"

#include "shopmesh/core/json.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/topics.hpp"

namespace shopmesh::users {
namespace {

constexpr const char* kColumns =
    "id::text, email, name, phone, address_line1, address_line2, address_city, address_postal_code,"
    " address_country::text,"
    " " SHOPMESH_SQL_TIMESTAMP("created_at") ", " SHOPMESH_SQL_TIMESTAMP("updated_at");

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
  // xmax = 0 tells an inserted row from an updated one.
  auto rows = core::exec(
      tx,
      SHOPMESH_SQL("INSERT INTO profiles AS p (id, email, name, created_at, updated_at)"
                   " VALUES ($1, $2, $3, coalesce($4::timestamptz, now()), coalesce($4::timestamptz, now()))"
                   " ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, provisional = false,"
                   "   updated_at = now()"
                   " WHERE p.provisional AND p.deleted_at IS NULL"
                   " RETURNING (xmax = 0)"),
      p.id, p.email, p.name,
      p.created_at.empty() ? std::optional<std::string>{} : std::optional<std::string>(p.created_at));
  return !rows.empty() && rows[0][0].as<bool>();
}

std::optional<Profile> ProfileStore::find(const std::string& id) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Profile> {
    auto rows = core::exec(
        tx, SHOPMESH_SQL(std::string("SELECT ") + kColumns + " FROM profiles WHERE id = $1 AND deleted_at IS NULL"),
        id);
    if (rows.empty()) return std::nullopt;
    return read_profile(rows[0]);
  });
}

std::optional<Profile> ProfileStore::find_or_create(const std::string& id, const std::string& email) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Profile> {
    if (!email.empty())
      core::exec(tx,
                 SHOPMESH_SQL("INSERT INTO profiles (id, email, name, provisional) VALUES ($1, $2, $3, true) ON "
                              "CONFLICT (id) DO NOTHING"),
                 id, email, provisional_name(email));
    auto rows = core::exec(
        tx, SHOPMESH_SQL(std::string("SELECT ") + kColumns + " FROM profiles WHERE id = $1 AND deleted_at IS NULL"),
        id);
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
    auto rows = tx.exec_params(std::string("UPDATE profiles SET"
                                           " name = coalesce($2, name),"
                                           " phone = CASE WHEN $3 THEN $4 ELSE phone END,"
                                           " address_line1 = CASE WHEN $5 THEN $6 ELSE address_line1 END,"
                                           " address_line2 = CASE WHEN $5 THEN $7 ELSE address_line2 END,"
                                           " address_city = CASE WHEN $5 THEN $8 ELSE address_city END,"
                                           " address_postal_code = CASE WHEN $5 THEN $9 ELSE address_postal_code END,"
                                           " address_country = CASE WHEN $5 THEN $10 ELSE address_country END,"
                                           " provisional = provisional AND $2::text IS NULL,"
                                           " updated_at = now()"
                                           " WHERE id = $1 AND deleted_at IS NULL RETURNING ") +
                                   kColumns,
                               id, c.name, set_phone, phone, set_address, field(&Address::line1),
                               a != nullptr ? a->line2 : std::optional<std::string>{}, field(&Address::city),
                               field(&Address::postal_code), field(&Address::country));
    if (rows.empty()) return std::nullopt;
    return read_profile(rows[0]);
  });
}

Page ProfileStore::list(const ListQuery& q) {
  return db_.transact([&](pqxx::work& tx) {
    // Substring match on name and e-mail; LIKE metacharacters in the query are taken literally.
    const std::string where =
        " FROM profiles WHERE deleted_at IS NULL AND ($1::text IS NULL OR name ILIKE $1 ESCAPE '\\'"
        " OR email ILIKE $1 ESCAPE '\\')";
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
    page.total = tx.exec_params("SELECT count(*)" + where, pattern)[0][0].as<std::int64_t>();
    auto rows = tx.exec_params(
        std::string("SELECT ") + kColumns + where + " ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3", pattern,
        q.limit, static_cast<std::int64_t>(q.page - 1) * q.limit);
    for (const auto& r : rows) page.items.push_back(read_profile(r));
    return page;
  });
}

bool ProfileStore::remove(const std::string& id, const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    auto rows = core::exec(
        tx,
        SHOPMESH_SQL("UPDATE profiles SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL"
                     " RETURNING " SHOPMESH_SQL_TIMESTAMP("deleted_at")),
        id);
    if (rows.empty()) return false;
    outbox_.add(tx, events::topic::identity, id, contracts::UserDeletedV1{{id}, rows[0][0].as<std::string>()}, ctx);
    return true;
  });
}

bool ProfileStore::mark_deleted(pqxx::work& tx, const std::string& id) {
  return !core::exec(tx,
                     SHOPMESH_SQL("UPDATE profiles SET deleted_at = now(), updated_at = now()"
                                  " WHERE id = $1 AND deleted_at IS NULL RETURNING id"),
                     id)
              .empty();
}

}  // namespace shopmesh::users
