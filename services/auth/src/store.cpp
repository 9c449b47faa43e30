#include "shopmesh/auth/store.hpp"

#include "shopmesh/auth/throttle.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/topics.hpp"

namespace shopmesh::auth {
namespace {

constexpr const char* kAccountColumns =
    "c.user_id::text, c.email, c.name, c.role, "
    SHOPMESH_SQL_TIMESTAMP("c.created_at") ", c.password_hash, "
    "coalesce(floor(extract(epoch FROM c.sessions_revoked_at)), 0)::bigint";
constexpr int kAccountColumnCount = 7;

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
    auto r = core::exec(tx,
                        SHOPMESH_SQL("SELECT failures, greatest(0, ceil(extract(epoch FROM locked_until - now())))::int"
                                     " FROM login_failures WHERE subject = $1"),
                        subject);
    if (r.empty()) return Failures{};
    return Failures{r[0][0].as<int>(), std::chrono::seconds(r[0][1].as<int>())};
  });
}

int AuthStore::record_failure(const std::string& subject) {
  return db_.transact([&](pqxx::work& tx) {
    const int count =
        core::exec1(tx,
                    SHOPMESH_SQL("INSERT INTO login_failures AS f (subject, failures, last_failure_at)"
                                 " VALUES ($1, 1, now()) ON CONFLICT (subject) DO UPDATE SET"
                                 " failures = CASE WHEN f.last_failure_at < now() - $2::int * interval '1 second'"
                                 "            THEN 1 ELSE f.failures + 1 END,"
                                 " last_failure_at = now() RETURNING failures"),
                    subject, static_cast<int>(std::chrono::seconds(kFailureMemory).count()))[0]
            .as<int>();
    const auto lock = lock_after(count);
    if (lock.count() > 0)
      core::exec(tx,
                 SHOPMESH_SQL("UPDATE login_failures SET locked_until = now() + $2::int * interval '1 second'"
                              " WHERE subject = $1"),
                 subject, static_cast<int>(lock.count()));
    return count;
  });
}

void AuthStore::clear_failures(const std::string& subject) {
  db_.transact([&](pqxx::work& tx) {
    core::exec(tx, SHOPMESH_SQL("DELETE FROM login_failures WHERE subject = $1"), subject);
  });
}

bool AuthStore::live_email_exists(const std::string& email) {
  return db_.transact([&](pqxx::work& tx) {
    return !core::exec(tx,
                       SHOPMESH_SQL("SELECT 1 FROM credentials WHERE lower(email) = lower($1) AND deleted_at IS NULL"),
                       email)
                .empty();
  });
}

std::optional<Credential> AuthStore::find_live_by_email(const std::string& email) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Credential> {
    auto rows =
        core::exec(tx,
                   SHOPMESH_SQL(std::string("SELECT ") + kAccountColumns +
                                " FROM credentials c WHERE lower(c.email) = lower($1) AND c.deleted_at IS NULL"),
                   email);
    if (rows.empty()) return std::nullopt;
    return read_credential(rows[0]);
  });
}

std::optional<Credential> AuthStore::find_live_by_id(const std::string& user_id) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Credential> {
    auto rows = core::exec(tx,
                           SHOPMESH_SQL(std::string("SELECT ") + kAccountColumns +
                                        " FROM credentials c WHERE c.user_id = $1 AND c.deleted_at IS NULL"),
                           user_id);
    if (rows.empty()) return std::nullopt;
    return read_credential(rows[0]);
  });
}

std::optional<Account> AuthStore::insert_account(pqxx::work& tx, const std::string& id, const std::string& email,
                                                 const std::string& name, Role role, const std::string& password_hash,
                                                 const events::EventContext& ctx) {
  auto rows = tx.exec_params(
      "INSERT INTO credentials AS c (user_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)"
      " ON CONFLICT (lower(email)) WHERE deleted_at IS NULL DO NOTHING"
      " RETURNING " +
          std::string(kAccountColumns),
      id, email, name, password_hash, std::string(to_string(role)));
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
    auto rows = tx.exec_params(std::string("UPDATE credentials c SET last_login_at = now(),"
                                           " password_hash = coalesce($2, c.password_hash)"
                                           " WHERE c.user_id = $1 AND c.deleted_at IS NULL RETURNING ") +
                                   kAccountColumns,
                               user_id, rehash);
    if (rows.empty()) return std::nullopt;
    core::exec(tx, SHOPMESH_SQL("INSERT INTO sessions (id, user_id) VALUES ($1, $2)"), session_id, user_id);
    core::exec(tx,
               SHOPMESH_SQL("INSERT INTO refresh_tokens (token_hash, session_id, expires_at)"
                            " VALUES ($1, $2, now() + make_interval(secs => $3))"),
               grant.token_hash, session_id, static_cast<double>(grant.ttl.count()));
    return read_grantee(rows[0]);
  });
}

Rotation AuthStore::rotate_refresh(const std::string& presented_hash, const RefreshGrant& next,
                                   const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    Rotation result;
    auto rows = core::exec(
        tx,
        SHOPMESH_SQL(std::string("SELECT ") + kAccountColumns +
                     ", rt.session_id::text, rt.used_at IS NOT NULL, rt.expires_at <= now(), s.revoked_at IS NOT NULL,"
                     " c.deleted_at IS NOT NULL"
                     " FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id"
                     " JOIN credentials c ON c.user_id = s.user_id"
                     " WHERE rt.token_hash = $1 FOR UPDATE OF rt, s"),
        presented_hash);
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
        core::exec(tx, SHOPMESH_SQL("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1"), presented_hash);
        core::exec(tx,
                   SHOPMESH_SQL("INSERT INTO refresh_tokens (token_hash, session_id, expires_at)"
                                " VALUES ($1, $2, now() + make_interval(secs => $3))"),
                   next.token_hash, result.session_id, static_cast<double>(next.ttl.count()));
        core::exec(tx, SHOPMESH_SQL("UPDATE sessions SET last_used_at = now() WHERE id = $1"), result.session_id);
        break;
      case RefreshOutcome::reuse:
        core::exec(
            tx, SHOPMESH_SQL("UPDATE sessions SET revoked_at = now(), revoked_reason = 'REFRESH_REUSE' WHERE id = $1"),
            result.session_id);
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
    auto rows = core::exec(tx,
                           SHOPMESH_SQL("UPDATE sessions SET revoked_at = now(), revoked_reason = $3"
                                        " WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id"),
                           session_id, user_id, std::string(to_string(reason)));
    if (rows.empty()) return false;
    publish_revoked(tx, user_id, session_id, std::nullopt, reason, ctx, events::now_rfc3339());
    return true;
  });
}

std::optional<std::string> AuthStore::session_of_refresh(const std::string& user_id, const std::string& token_hash) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<std::string> {
    auto rows =
        core::exec(tx,
                   SHOPMESH_SQL("SELECT s.id::text FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id"
                                " WHERE rt.token_hash = $1 AND s.user_id = $2"),
                   token_hash, user_id);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::string>();
  });
}

SessionState AuthStore::session_state(const std::string& user_id, const std::string& session_id) {
  return db_.transact([&](pqxx::work& tx) {
    auto rows = core::exec(
        tx,
        SHOPMESH_SQL("SELECT 1 FROM sessions s JOIN credentials c ON c.user_id = s.user_id"
                     " WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND c.deleted_at IS NULL"),
        session_id, user_id);
    return rows.empty() ? SessionState::revoked : SessionState::active;
  });
}

bool AuthStore::change_password(const std::string& user_id, const std::string& new_hash,
                                const std::optional<std::string>& keep_session_id, const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    auto rows = core::exec(
        tx,
        SHOPMESH_SQL("UPDATE credentials SET password_hash = $2, password_changed_at = now(), updated_at = now()"
                     " WHERE user_id = $1 AND deleted_at IS NULL RETURNING user_id"),
        user_id, new_hash);
    if (rows.empty()) return false;
    revoke_all(tx, user_id, keep_session_id, RevokeReason::password_changed, ctx);
    return true;
  });
}

RoleChange AuthStore::change_role(const std::string& user_id, Role role, const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    RoleChange result;
    // Serialises role changes, so two admins demoting each other cannot leave none.
    tx.exec("SELECT pg_advisory_xact_lock(hashtext('shopmesh.auth.roles'))");
    auto rows = core::exec(tx,
                           SHOPMESH_SQL(std::string("SELECT ") + kAccountColumns +
                                        " FROM credentials c WHERE c.user_id = $1 AND c.deleted_at IS NULL FOR UPDATE"),
                           user_id);
    if (rows.empty()) return result;
    result.account = read_account(rows[0]);
    if (result.account.role == role) {
      result.outcome = RoleChangeOutcome::unchanged;
      return result;
    }
    if (result.account.role == Role::admin) {
      auto admins = tx.exec("SELECT count(*) FROM credentials WHERE role = 'ADMIN' AND deleted_at IS NULL");
      if (admins[0][0].as<long long>() <= 1) {
        result.outcome = RoleChangeOutcome::last_admin;
        return result;
      }
    }
    core::exec(tx, SHOPMESH_SQL("UPDATE credentials SET role = $2, updated_at = now() WHERE user_id = $1"), user_id,
               std::string(to_string(role)));
    result.account.role = role;
    revoke_all(tx, user_id, std::nullopt, RevokeReason::role_changed, ctx);
    result.outcome = RoleChangeOutcome::changed;
    return result;
  });
}

bool AuthStore::delete_account(pqxx::work& tx, const std::string& user_id, const events::EventContext& ctx) {
  auto rows = core::exec(
      tx,
      SHOPMESH_SQL(
          "UPDATE credentials SET deleted_at = now(), updated_at = now() WHERE user_id = $1 AND deleted_at IS NULL"
          " RETURNING user_id"),
      user_id);
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
    auto role = db_.transact([&](pqxx::work& tx) {
      return core::exec(
          tx, SHOPMESH_SQL("SELECT role FROM credentials WHERE lower(email) = lower($1) AND deleted_at IS NULL"), email);
    });
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
  core::exec(tx,
             SHOPMESH_SQL("UPDATE sessions SET revoked_at = now(), revoked_reason = $3"
                          " WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid)"),
             user_id, keep, std::string(to_string(reason)));
  core::exec(tx,
             SHOPMESH_SQL("UPDATE credentials SET sessions_revoked_at = greatest(sessions_revoked_at, $2::timestamptz) "
                          "WHERE user_id = $1"),
             user_id, revoked_at);
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
