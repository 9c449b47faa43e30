#pragma once
// The auth use cases: register, login, refresh, logout, verify, me, password and role changes,
// admin seeding. Plain functions over the store, the hasher and the token issuer; client errors
// are core::DomainError, mapped to problem+json by the HTTP layer.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "shopmesh/auth/account.hpp"
#include "shopmesh/auth/requests.hpp"
#include "shopmesh/auth/tokens.hpp"
#include "shopmesh/events/outbox.hpp"

namespace shopmesh::core {
class Logger;
}

namespace shopmesh::auth {

class AuthStore;
struct Grantee;
class PasswordHasher;
class ProfileProvisioner;

/// What login and refresh return.
struct TokenPair {
  AccessToken access;
  std::string refresh_token;
  Account account;
};
/// `{access_token, token_type, expires_in, refresh_token, user}`.
std::string token_pair_json(const TokenPair& pair);

struct VerifyOutcome {
  bool valid = false;
  std::string reason;  // when !valid: a jwt::VerifyError name, or "revoked"
  core::jwt::Claims claims;
};

/// Request context carried into events and outbound calls.
struct CallContext {
  std::string request_id;
  std::string traceparent;
  std::string client;  // the caller's address: its share of the password-hashing pool
  events::EventContext events() const { return {request_id, "", traceparent}; }
};

class AuthService {
 public:
  AuthService(AuthStore& store, PasswordHasher& hasher, TokenIssuer& issuer, ProfileProvisioner* profiles,
              core::Logger& log)
      : store_(store), hasher_(hasher), issuer_(issuer), profiles_(profiles), log_(log) {}

  /// 201 account; 409 when the e-mail is taken. Creates the profile synchronously (best effort).
  Account register_account(const RegisterRequest& request, const CallContext& ctx);
  /// 401 for an unknown e-mail, a wrong password and a deleted account alike.
  TokenPair login(const LoginRequest& request, const CallContext& ctx);
  /// Rotates a refresh token; 401 when unknown, expired, revoked or reused (reuse revokes the family).
  TokenPair refresh(const std::string& refresh_token, const CallContext& ctx);
  /// Revokes the caller's session (given by the identity or by a refresh token of the caller).
  void logout(const Identity& caller, const std::string& refresh_token, const CallContext& ctx);
  /// Signature, claims, then revocation state.
  VerifyOutcome verify(const std::string& token);
  /// Whether `user_id`'s session `session_id` is live (not revoked, account not deleted): what the
  /// gateway asks when its revocation feed is stale. Malformed ids are simply not live.
  bool session_active(const std::string& user_id, const std::string& session_id);
  /// The identity of a bearer token, when valid and not revoked.
  std::optional<Identity> identify(const std::string& bearer_token);
  /// The caller's account; 401 when it no longer exists.
  Account me(const Identity& caller);
  /// 400 when the current password is wrong; revokes the caller's other sessions.
  void change_password(const Identity& caller, const PasswordChange& change, const CallContext& ctx);
  /// Admin only (403 otherwise); 404 unknown user; 409 demoting the last admin.
  Account change_role(const Identity& caller, const std::string& user_id, Role role, const CallContext& ctx);
  /// Makes sure the configured admin account exists (idempotent; its password is never reset).
  void seed_admin(const std::string& email, const std::string& password, const std::string& name);

 private:
  /// Runs one password check of the account with `email` under its failure count (throttle.hpp):
  /// TooManyAttempts while it is locked, a failure counted, a success clearing the count.
  bool throttled_check(const std::string& email, const std::function<bool()>& check);
  TokenPair issue(const Grantee& grantee, const std::string& session_id, const std::string& refresh_token);

  AuthStore& store_;
  PasswordHasher& hasher_;
  TokenIssuer& issuer_;
  ProfileProvisioner* profiles_;
  core::Logger& log_;
};

}  // namespace shopmesh::auth
