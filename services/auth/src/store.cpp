#include "shopmesh/auth/store.hpp"

#include "shopmesh/auth/queries.hpp"
#include "shopmesh/auth/throttle.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/topics.hpp"

namespace shopmesh::auth {
namespace {

constexpr int kAccountColumnCount = 7;  // account_columns in queries.sql

Account read_account(const pqxx::row& r, int first = 0) {
  Account a;
  a.id = r[first].as<std::string>();
  a.email = r[first + 1].as<std::string>();
  a.name = r[first + 2].as<std::string>();
  a.role = parse_role(r[first + 3].as<std::string>()).value_or(Role::user);
  a.created_at = r[first + 4].as<std::string>();
  return a;
}

Credential read_credential(const pqxx::row& r) {
  return {read_account(r), r[5].as<std::string>()};
}

Grantee read_grantee(const pqxx::row& r) {
  return {read_account(r), r[6].as<std::int64_t>()};
}

}  // namespace

AuthStore::Failures AuthStore::failures(const std::string& subject) {
  return db_.transact([&](pqxx::work& tx) {
    auto r = core::exec(tx, queries::login_failures(), subject);
    if (r.empty()) return Failures{};
    return Failures{r[0][0].as<int>(), std::chrono::seconds(r[0][1].as<int>())};
  });
}

int AuthStore::record_failure(const std::string& subject) {
  return db_.transact([&](pqxx::work& tx) {
    const int memory = static_cast<int>(std::chrono::seconds(kFailureMemory).count());
    const int count = core::exec1(tx, queries::record_login_failure(), subject, memory)[0].as<int>();
    const auto lock = lock_after(count);
    if (lock.count() > 0)
      core::exec(tx, queries::lock_login(), subject, static_cast<int>(lock.count()));
    return count;
  });
}

void AuthStore::clear_failures(const std::string& subject) {
  db_.transact([&](pqxx::work& tx) { core::exec(tx, queries::clear_login_failures(), subject); });
}

bool AuthStore::live_email_exists(const std::string& email) {
  return db_.transact([&](pqxx::work& tx) {
    return !core::exec(tx, queries::live_email_exists(), email).empty();
  });
}

std::optional<Credential> AuthStore::find_live_by_email(const std::string& email) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Credential> {
    auto rows = core::exec(tx, queries::find_live_by_email(), email);
    if (rows.empty()) return std::nullopt;
    return read_credential(rows[0]);
  });
}

std::optional<Credential> AuthStore::find_live_by_id(const std::string& user_id) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Credential> {
    auto rows = core::exec(tx, queries::find_live_by_id(), user_id);
    if (rows.empty()) return std::nullopt;
    return read_credential(rows[0]);
  });
}

std::optional<Account> AuthStore::insert_account(pqxx::work& tx, const std::string& id, const std::string& email,
                                                 const std::string& name, Role role, const std::string& password_hash,
                                                 const events::EventContext& ctx) {
  auto rows = core::exec(tx, queries::insert_account(), id, email, name, password_hash, std::string(to_string(role)));
  if (rows.empty()) return std::nullopt;
  Account account = read_account(rows[0]);
  outbox_.add(tx, events::topic::identity, account.id, user_registered(account), ctx);
  return account;
}

std::optional<Account> AuthStore::create_account(const std::string& id, const std::string& email,
                                                 const std::string& name, Role role, const std::string& password_hash,
                                                 const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) { return insert_account(tx, id, email, name, role, password_hash, ctx); });
}

std::optional<Grantee> AuthStore::open_session(const std::string& user_id, const std::string& session_id,
                                               const RefreshGrant& grant, const std::optional<std::string>& rehash) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Grantee> {
    // Locks the account row, so a concurrent delete or role change is either before or after.
    auto rows = core::exec(tx, queries::record_login(), user_id, rehash);
    if (rows.empty()) return std::nullopt;
    core::exec(tx, queries::insert_session(), session_id, user_id);
    core::exec(tx, queries::insert_refresh_token(), grant.token_hash, session_id,
               static_cast<double>(grant.ttl.count()));
    return read_grantee(rows[0]);
  });
}

Rotation AuthStore::rotate_refresh(const std::string& presented_hash, const RefreshGrant& next,
                                   const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    Rotation result;
    auto rows = core::exec(tx, queries::lock_refresh_token(), presented_hash);
    std::optional<StoredRefresh> stored;
    if (!rows.empty()) {
      const auto& r = rows[0];
      constexpr int k = kAccountColumnCount;
      result.grantee = read_grantee(r);
      result.session_id = r[k].as<std::string>();
      stored = StoredRefresh{r[k + 1].as<bool>(), r[k + 2].as<bool>(), r[k + 3].as<bool>(), r[k + 4].as<bool>()};
    }
    result.outcome = decide_refresh(stored);
    switch (result.outcome) {
      case RefreshOutcome::rotate:
        core::exec(tx, queries::use_refresh_token(), presented_hash);
        core::exec(tx, queries::insert_refresh_token(), next.token_hash, result.session_id,
                   static_cast<double>(next.ttl.count()));
        core::exec(tx, queries::touch_session(), result.session_id);
        break;
      case RefreshOutcome::reuse:
        core::exec(tx, queries::revoke_reused_session(), result.session_id);
        publish_revoked(tx, result.grantee.account.id, result.session_id, std::nullopt, RevokeReason::refresh_reuse,
                        ctx, events::now_rfc3339());
        break;
      default:
        break;
    }
    return result;
  });
}

bool AuthStore::revoke_session(const std::string& user_id, const std::string& session_id, RevokeReason reason,
                               const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    auto rows = core::exec(tx, queries::revoke_session(), session_id, user_id, std::string(to_string(reason)));
    if (rows.empty()) return false;
    publish_revoked(tx, user_id, session_id, std::nullopt, reason, ctx, events::now_rfc3339());
    return true;
  });
}

std::optional<std::string> AuthStore::session_of_refresh(const std::string& user_id, const std::string& token_hash) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<std::string> {
    auto rows = core::exec(tx, queries::session_of_refresh(), token_hash, user_id);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::string>();
  });
}

SessionState AuthStore::session_state(const std::string& user_id, const std::string& session_id) {
  return db_.transact([&](pqxx::work& tx) {
    auto rows = core::exec(tx, queries::live_session(), session_id, user_id);
    return rows.empty() ? SessionState::revoked : SessionState::active;
  });
}

bool AuthStore::change_password(const std::string& user_id, const std::string& new_hash,
                                const std::optional<std::string>& keep_session_id, const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    auto rows = core::exec(tx, queries::change_password(), user_id, new_hash);
    if (rows.empty()) return false;
    revoke_all(tx, user_id, keep_session_id, RevokeReason::password_changed, ctx);
    return true;
  });
}

RoleChange AuthStore::change_role(const std::string& caller_id, const std::string& user_id, Role role,
                                  const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    RoleChange result;
    // Serialises role changes, so two admins demoting each other cannot leave none.
    core::exec(tx, queries::lock_role_changes());
    // The caller's role as the database has it now, under that lock: a demoted admin whose token
    // still claims ADMIN (the gateway learns of the revocation within a second) cannot promote
    // itself back or demote the others in that second.
    if (core::exec(tx, queries::is_live_admin(), caller_id).empty()) {
      result.outcome = RoleChangeOutcome::caller_not_admin;
      return result;
    }
    auto rows = core::exec(tx, queries::lock_live_account(), user_id);
    if (rows.empty()) return result;
    result.account = read_account(rows[0]);
    if (result.account.role == role) {
      result.outcome = RoleChangeOutcome::unchanged;
      return result;
    }
    if (result.account.role == Role::admin) {
      if (core::exec1(tx, queries::count_admins())[0].as<long long>() <= 1) {
        result.outcome = RoleChangeOutcome::last_admin;
        return result;
      }
    }
    core::exec(tx, queries::set_role(), user_id, std::string(to_string(role)));
    result.account.role = role;
    revoke_all(tx, user_id, std::nullopt, RevokeReason::role_changed, ctx);
    result.outcome = RoleChangeOutcome::changed;
    return result;
  });
}

bool AuthStore::delete_account(pqxx::work& tx, const std::string& user_id, const events::EventContext& ctx) {
  auto rows = core::exec(tx, queries::delete_account(), user_id);
  if (rows.empty()) return false;
  revoke_all(tx, user_id, std::nullopt, RevokeReason::user_deleted, ctx);
  return true;
}

AuthStore::SeedOutcome AuthStore::seed_admin(const std::string& email, const std::string& name,
                                             const std::function<std::string()>& hash,
                                             const events::EventContext& ctx) {
  // Never promotes: an account someone registered with this address (before the seeded admin, or
  // after it was deleted, or under a changed ADMIN_EMAIL) stays what it is, and so does a demoted
  // admin. Only when no live account has the address is the admin created.
  auto existing = [&]() -> std::optional<SeedOutcome> {
    auto role = db_.transact([&](pqxx::work& tx) { return core::exec(tx, queries::live_role_by_email(), email); });
    if (role.empty()) return std::nullopt;
    return role[0][0].as<std::string>() == "ADMIN" ? SeedOutcome::admin : SeedOutcome::not_admin;
  };
  if (auto outcome = existing()) return *outcome;
  const std::string password_hash = hash();  // outside the transaction: no connection held while hashing
  auto created = db_.transact([&](pqxx::work& tx) {
    return insert_account(tx, core::uuid_v7(), email, name, Role::admin, password_hash, ctx);
  });
  if (created) return SeedOutcome::created;
  return existing().value_or(SeedOutcome::not_admin);  // someone else took the address meanwhile
}

void AuthStore::revoke_all(pqxx::work& tx, const std::string& user_id, const std::optional<std::string>& keep,
                           RevokeReason reason, const events::EventContext& ctx) {
  // One instant for the row and the event, so tokens issued afterwards can be told apart.
  const std::string revoked_at = events::now_rfc3339();
  core::exec(tx, queries::revoke_sessions(), user_id, keep, std::string(to_string(reason)));
  core::exec(tx, queries::mark_sessions_revoked(), user_id, revoked_at);
  // Published even when no session was live: gateways may hold tokens whose session is unknown to them.
  publish_revoked(tx, user_id, std::nullopt, keep, reason, ctx, revoked_at);
}

void AuthStore::publish_revoked(pqxx::work& tx, const std::string& user_id,
                                const std::optional<std::string>& session_id, const std::optional<std::string>& keep,
                                RevokeReason reason, const events::EventContext& ctx, const std::string& revoked_at) {
  outbox_.add(tx, events::topic::identity, user_id, session_revoked(user_id, session_id, keep, reason, revoked_at),
              ctx);
}

}  // namespace shopmesh::auth
