#pragma once
// PostgreSQL access of the auth service. Every state change that others must learn about writes
// its event into the outbox in the same transaction. Parameterised SQL only.
#include <chrono>
#include <cstdint>
#include <functional>
#include <chrono>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "shopmesh/auth/account.hpp"
#include "shopmesh/auth/identity_events.hpp"
#include "shopmesh/auth/tokens.hpp"
#include "shopmesh/events/outbox.hpp"

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::auth {

struct Credential {
  Account account;
  std::string password_hash;
};

/// The first refresh token of a new session, or the successor of a rotated one.
struct RefreshGrant {
  std::string token_hash;
  std::chrono::seconds ttl{0};
};

/// An account about to get tokens, with the second of its latest all-sessions revocation.
struct Grantee {
  Account account;
  std::int64_t sessions_revoked_s = 0;  // 0: never
};

struct Rotation {
  RefreshOutcome outcome = RefreshOutcome::unknown;
  Grantee grantee;         // set when known
  std::string session_id;  // set when known
};

enum class SessionState { active, revoked };

enum class RoleChangeOutcome { changed, unchanged, not_found, last_admin, caller_not_admin };
struct RoleChange {
  RoleChangeOutcome outcome = RoleChangeOutcome::not_found;
  Account account;
};

class AuthStore {
 public:
  AuthStore(core::PgPool& db, events::Outbox outbox) : db_(db), outbox_(std::move(outbox)) {}

  /// Failed password checks of one account (throttle.hpp): how many in a row, and for how long
  /// its password checks are still locked.
  struct Failures {
    int count = 0;
    std::chrono::seconds locked_for{0};
  };
  Failures failures(const std::string& subject);
  /// Counts a failure (a new run when the last one is older than kFailureMemory) and locks the
  /// account as lock_after says; returns the new count.
  int record_failure(const std::string& subject);
  void clear_failures(const std::string& subject);

  /// True when a live account has this e-mail (case-insensitive).
  bool live_email_exists(const std::string& email);
  std::optional<Credential> find_live_by_email(const std::string& email);
  std::optional<Credential> find_live_by_id(const std::string& user_id);

  /// Creates an account and writes USER_REGISTERED; nullopt when the e-mail is taken.
  std::optional<Account> create_account(const std::string& id, const std::string& email, const std::string& name,
                                        Role role, const std::string& password_hash, const events::EventContext& ctx);

  /// Opens a session with its first refresh token (and stores `rehash` when given); nullopt when
  /// the account is gone. Returns the account as it is now.
  std::optional<Grantee> open_session(const std::string& user_id, const std::string& session_id,
                                      const RefreshGrant& grant, const std::optional<std::string>& rehash);

  /// Applies the refresh rules to the token with `presented_hash`; on reuse the family is revoked
  /// (SESSION_REVOKED REFRESH_REUSE) and committed.
  Rotation rotate_refresh(const std::string& presented_hash, const RefreshGrant& next, const events::EventContext& ctx);

  /// Revokes one live session of the user (SESSION_REVOKED with sessionId); false when none.
  bool revoke_session(const std::string& user_id, const std::string& session_id, RevokeReason reason,
                      const events::EventContext& ctx);
  /// The session a refresh token of this user belongs to.
  std::optional<std::string> session_of_refresh(const std::string& user_id, const std::string& token_hash);

  /// Whether the session is live (it exists, belongs to the user, and the account is live).
  SessionState session_state(const std::string& user_id, const std::string& session_id);

  /// Stores a new password hash and revokes every other session (SESSION_REVOKED with
  /// exceptSessionId); false when the account is gone.
  bool change_password(const std::string& user_id, const std::string& new_hash,
                       const std::optional<std::string>& keep_session_id, const events::EventContext& ctx);

  /// Changes a live account's role and revokes its sessions (SESSION_REVOKED ROLE_CHANGED), when
  /// `caller_id` is a live administrator in the database (not only in its token). The last live
  /// administrator cannot be demoted.
  RoleChange change_role(const std::string& caller_id, const std::string& user_id, Role role,
                         const events::EventContext& ctx);

  /// Marks an account deleted and revokes its sessions (SESSION_REVOKED USER_DELETED), inside the
  /// consumer's transaction; false when unknown or already deleted.
  bool delete_account(pqxx::work& tx, const std::string& user_id, const events::EventContext& ctx);

  enum class SeedOutcome { created, admin, not_admin };
  /// Creates an ADMIN account with `email` when no live account has that address; an existing
  /// account is left as it is, whatever its role (never promoted). `hash` is called only to create.
  SeedOutcome seed_admin(const std::string& email, const std::string& name, const std::function<std::string()>& hash,
                         const events::EventContext& ctx);

 private:
  void revoke_all(pqxx::work& tx, const std::string& user_id, const std::optional<std::string>& keep,
                  RevokeReason reason, const events::EventContext& ctx);
  void publish_revoked(pqxx::work& tx, const std::string& user_id, const std::optional<std::string>& session_id,
                       const std::optional<std::string>& keep, RevokeReason reason, const events::EventContext& ctx,
                       const std::string& revoked_at);
  std::optional<Account> insert_account(pqxx::work& tx, const std::string& id, const std::string& email,
                                        const std::string& name, Role role, const std::string& password_hash,
                                        const events::EventContext& ctx);

  core::PgPool& db_;
  events::Outbox outbox_;
};

}  // namespace shopmesh::auth
