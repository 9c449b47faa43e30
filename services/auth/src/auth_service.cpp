#include "shopmesh/auth/auth_service.hpp"

#include "shopmesh/auth/passwords.hpp"
#include "shopmesh/auth/store.hpp"
#include "shopmesh/auth/throttle.hpp"
#include "shopmesh/auth/users_client.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::auth {
namespace {

constexpr const char* kBadCredentials = "Invalid email or password.";

std::chrono::system_clock::time_point now() {
  return std::chrono::system_clock::now();
}

}  // namespace

std::string token_pair_json(const TokenPair& pair) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  core::json::kv(w, "access_token", pair.access.token);
  core::json::kv(w, "token_type", "bearer");  // OAuth2 (RFC 6749 §7.1: case-insensitive), as FastAPI clients expect it
  w.Key("expires_in");
  w.Int64(pair.access.expires_in);
  core::json::kv(w, "refresh_token", pair.refresh_token);
  w.Key("user");
  const std::string user = account_json(pair.account);
  w.RawValue(user.data(), user.size(), rapidjson::kObjectType);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

Account AuthService::register_account(const RegisterRequest& request, const CallContext& ctx) {
  const auto duplicate = [] { return core::conflict("An account with this email already exists."); };
  // Cheap check first, so duplicates do not cost a hash; the unique index decides races.
  if (store_.live_email_exists(request.email)) throw duplicate();
  const std::string hash = hasher_.hash(request.password, ctx.client);
  auto account = store_.create_account(core::uuid_v7(), request.email, request.name, Role::user, hash, ctx.events());
  if (!account) throw duplicate();
  log_.info("account registered", {{"requestId", ctx.request_id}, {"userId", account->id}});
  if (profiles_ != nullptr) profiles_->provision(*account, ctx.request_id, ctx.traceparent);
  return *account;
}

bool AuthService::throttled_check(const std::string& email, const std::function<bool()>& check) {
  // Checked before any hashing, so a locked account costs no Argon2 work.
  const std::string subject = throttle_subject(email);
  const auto failures = store_.failures(subject);
  if (failures.locked_for.count() > 0) throw TooManyAttempts(failures.locked_for);
  if (check()) {
    if (failures.count > 0) store_.clear_failures(subject);
    return true;
  }
  const int count = store_.record_failure(subject);
  if (count == kFreeFailures || (count > kFreeFailures && count % 10 == 0))
    log_.warn("password checks of an account locked after failures in a row",
              {core::num("failures", static_cast<long long>(count)),
               core::num("lockSeconds", static_cast<long long>(lock_after(count).count()))});
  return false;
}

TokenPair AuthService::login(const LoginRequest& request, const CallContext& ctx) {
  // Counted per e-mail whether or not an account has it, so a lock tells nothing either.
  std::optional<Credential> credential;
  const bool ok = throttled_check(request.email, [&] {
    credential = store_.find_live_by_email(request.email);
    // The same Argon2 work whether or not the account exists, so timing does not tell.
    return credential ? hasher_.verify(credential->password_hash, request.password, ctx.client)
                      : hasher_.verify_dummy(request.password, ctx.client);
  });
  if (!ok) throw core::unauthenticated(kBadCredentials);
  std::optional<std::string> rehash;
  if (hasher_.needs_rehash(credential->password_hash)) {
    try {
      rehash = hasher_.hash(request.password, ctx.client);
    } catch (const HashingOverloaded&) {
      // Upgrading the hash can wait for the next login.
    }
  }
  const std::string session_id = core::uuid_v7();
  const std::string refresh_token = new_refresh_token();
  auto grantee = store_.open_session(credential->account.id, session_id,
                                     {refresh_token_hash(refresh_token), issuer_.settings().refresh_ttl}, rehash);
  if (!grantee) throw core::unauthenticated(kBadCredentials);  // deleted while we were hashing
  return issue(*grantee, session_id, refresh_token);
}

TokenPair AuthService::refresh(const std::string& refresh_token, const CallContext& ctx) {
  const std::string next = new_refresh_token();
  auto rotation = store_.rotate_refresh(refresh_token_hash(refresh_token),
                                        {refresh_token_hash(next), issuer_.settings().refresh_ttl}, ctx.events());
  switch (rotation.outcome) {
    case RefreshOutcome::rotate:
      return issue(rotation.grantee, rotation.session_id, next);
    case RefreshOutcome::reuse:
      log_.warn(
          "refresh token reused: session revoked",
          {{"requestId", ctx.request_id}, {"userId", rotation.grantee.account.id}, {"sessionId", rotation.session_id}});
      throw core::unauthenticated("The refresh token was already used; the session is revoked.");
    case RefreshOutcome::expired:
      throw core::unauthenticated("The refresh token has expired.");
    case RefreshOutcome::revoked:
      throw core::unauthenticated("The session was revoked.");
    case RefreshOutcome::unknown:
      break;
  }
  throw core::unauthenticated("The refresh token is not valid.");
}

void AuthService::logout(const Identity& caller, const std::string& refresh_token, const CallContext& ctx) {
  std::string session_id = caller.session_id;
  if (session_id.empty() && !refresh_token.empty())
    session_id = store_.session_of_refresh(caller.user_id, refresh_token_hash(refresh_token)).value_or("");
  if (session_id.empty())
    throw core::invalid("The session to end is unknown.",
                            {{"refresh_token", "is required when the access token carries no session"}});
  // Idempotent: ending an already ended session is not an error (and publishes nothing).
  if (store_.revoke_session(caller.user_id, session_id, RevokeReason::logout, ctx.events()))
    log_.info("logged out", {{"requestId", ctx.request_id}, {"userId", caller.user_id}, {"sessionId", session_id}});
}

VerifyOutcome AuthService::verify(const std::string& token) {
  VerifyOutcome out;
  auto result = issuer_.verify(token, now());
  if (!result.claims) {
    out.reason = std::string(reason_of(result.error));
    return out;
  }
  const auto& c = *result.claims;
  if (c.sid.empty() || !core::is_uuid(c.sid) || !core::is_uuid(c.sub)) {
    out.reason = "missing_claim";
    return out;
  }
  if (store_.session_state(c.sub, c.sid) != SessionState::active) {
    out.reason = "revoked";
    return out;
  }
  out.valid = true;
  out.claims = c;
  return out;
}

bool AuthService::session_active(const std::string& user_id, const std::string& session_id) {
  if (!core::is_uuid(user_id) || !core::is_uuid(session_id)) return false;
  return store_.session_state(user_id, session_id) == SessionState::active;
}

std::optional<Identity> AuthService::identify(const std::string& bearer_token) {
  auto outcome = verify(bearer_token);
  if (!outcome.valid) return std::nullopt;
  Identity id;
  id.user_id = outcome.claims.sub;
  id.role = parse_role(outcome.claims.role).value_or(Role::user);
  id.email = outcome.claims.email;
  id.session_id = outcome.claims.sid;
  return id;
}

Account AuthService::me(const Identity& caller) {
  auto credential = store_.find_live_by_id(caller.user_id);
  if (!credential) throw core::unauthenticated("The account no longer exists.");
  return credential->account;
}

void AuthService::change_password(const Identity& caller, const PasswordChange& change, const CallContext& ctx) {
  auto credential = store_.find_live_by_id(caller.user_id);
  if (!credential) throw core::unauthenticated("The account no longer exists.");
  // A token holder guessing the current password is throttled like a login for that account.
  if (!throttled_check(credential->account.email,
                       [&] { return hasher_.verify(credential->password_hash, change.current_password, ctx.client); }))
    throw core::invalid("The current password is not correct.", {{"currentPassword", "is not correct"}});
  const std::string hash = hasher_.hash(change.new_password, ctx.client);
  const std::optional<std::string> keep =
      caller.session_id.empty() ? std::nullopt : std::optional<std::string>(caller.session_id);
  if (!store_.change_password(caller.user_id, hash, keep, ctx.events()))
    throw core::unauthenticated("The account no longer exists.");
  log_.info("password changed", {{"requestId", ctx.request_id}, {"userId", caller.user_id}});
}

Account AuthService::change_role(const Identity& caller, const std::string& user_id, Role role,
                                 const CallContext& ctx) {
  if (!caller.is_admin()) throw core::forbidden("Only administrators can change roles.");
  if (!core::is_uuid(user_id)) throw core::not_found("No user with this id.");
  auto change = store_.change_role(caller.user_id, user_id, role, ctx.events());
  switch (change.outcome) {
    case RoleChangeOutcome::caller_not_admin:
      throw core::forbidden("Only administrators can change roles.");
    case RoleChangeOutcome::not_found:
      throw core::not_found("No user with this id.");
    case RoleChangeOutcome::last_admin:
      throw core::conflict("The last administrator cannot be demoted.");
    case RoleChangeOutcome::changed:
      log_.info("role changed", {{"requestId", ctx.request_id},
                                 {"userId", user_id},
                                 {"role", std::string(to_string(role))},
                                 {"by", caller.user_id}});
      break;
    case RoleChangeOutcome::unchanged:
      break;
  }
  return change.account;
}

void AuthService::seed_admin(const std::string& email, const std::string& password, const std::string& name) {
  const auto outcome = store_.seed_admin(email, name, [&] { return hasher_.hash(password); }, {});
  switch (outcome) {
    case AuthStore::SeedOutcome::created:
      log_.info("admin account created", {{"email", email}});
      break;
    case AuthStore::SeedOutcome::admin:
      log_.info("admin account present", {{"email", email}});
      break;
    case AuthStore::SeedOutcome::not_admin:
      log_.warn("ADMIN_EMAIL belongs to an account that is not an admin; it is not promoted (an admin can change "
                "its role, or set another ADMIN_EMAIL)",
                {{"email", email}});
      break;
  }
}

TokenPair AuthService::issue(const Grantee& grantee, const std::string& session_id, const std::string& refresh_token) {
  return {issuer_.issue(grantee.account, session_id, now(), grantee.sessions_revoked_s), refresh_token,
          grantee.account};
}

}  // namespace shopmesh::auth
