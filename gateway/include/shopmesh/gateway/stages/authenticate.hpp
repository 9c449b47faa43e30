#pragma once
// Stage 8, authentication (token checks: auth.hpp): the bearer token is verified (a token naming an
// unknown key waits up to GATEWAY_JWKS_WAIT_MS for a JWKS refetch), the route's policy decides
// (401 / 403), and a verified caller's session is checked against revocations. Revocation fails
// closed: the revocation set alone decides only while its feed vouches for every revocation
// published up to GATEWAY_REVOCATION_MAX_LAG_MS ago; before the start-up replay is complete a token
// is not served (503); when the feed is stale, auth is asked about the session (session_check.hpp),
// and no answer is a 503, never a pass.
#include <chrono>
#include <memory>

#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::core {
class MeshAuth;
}

namespace shopmesh::gateway {

class Authenticator;
struct AuthOutcome;
class JwksClient;
class RevocationFeed;
class SessionChecker;
class UpstreamPool;
class GatewayMetrics;

struct AuthenticateConfig {
  std::chrono::milliseconds jwks_wait{2'000};
  bool events_enabled = true;
  std::chrono::milliseconds revocation_max_lag{500};
  std::chrono::milliseconds session_check_ttl{1'000};
};

class AuthenticateStage final : public Stage {
 public:
  /// `auth_pool`: auth's upstream pool for session checks (nullptr: none configured).
  AuthenticateStage(AuthenticateConfig config, Authenticator& auth, JwksClient& jwks, const RevocationFeed& feed,
                    UpstreamPool* auth_pool, const core::MeshAuth& mesh, GatewayMetrics& metrics);
  ~AuthenticateStage() override;
  std::string_view name() const override { return "authenticate"; }
  /// A cached or verified token with the revocation feed fresh is decided here; a token signed with
  /// a key not loaded yet, or a session to check, defers to request_async.
  Answer request(Request& req, Exchange& ex) override;
  boost::asio::awaitable<Answer> request_async(Request& req, Exchange& ex) override;

 private:
  bool waits_for_keys(const AuthOutcome& outcome) const;
  /// The route's policy over the outcome: an answer (401, 403, revoked), or nullopt to go on.
  Answer decide(const AuthOutcome& outcome, Exchange& ex, bool token_present);
  boost::asio::awaitable<void> wait_for_jwks();
  boost::asio::awaitable<Answer> refuse_if_revoked(const Exchange& ex);

  AuthenticateConfig config_;
  Authenticator& auth_;
  JwksClient& jwks_;
  const RevocationFeed& feed_;
  std::unique_ptr<SessionChecker> sessions_;
  GatewayMetrics& metrics_;
};

}  // namespace shopmesh::gateway
