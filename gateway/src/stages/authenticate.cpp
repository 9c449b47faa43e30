#include "shopmesh/gateway/stages/authenticate.hpp"

#include <boost/asio.hpp>

#include "shopmesh/core/clock.hpp"
#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/jwks_client.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/revocation_feed.hpp"
#include "shopmesh/gateway/routes.hpp"
#include "shopmesh/gateway/session_check.hpp"

namespace shopmesh::gateway {
namespace asio = boost::asio;

AuthenticateStage::AuthenticateStage(AuthenticateConfig config, Authenticator& auth, JwksClient& jwks,
                                     const RevocationFeed& feed, UpstreamPool* auth_pool, const core::MeshAuth& mesh,
                                     GatewayMetrics& metrics)
    : config_(config),
      auth_(auth),
      jwks_(jwks),
      feed_(feed),
      sessions_(std::make_unique<SessionChecker>(auth_pool, mesh, config.session_check_ttl,
                                                 std::chrono::milliseconds{2'000})),
      metrics_(metrics) {}

AuthenticateStage::~AuthenticateStage() = default;

asio::awaitable<void> AuthenticateStage::wait_for_jwks() {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, config_.jwks_wait);
  // The callback may run on the JWKS thread: hop onto our strand before touching the timer. This
  // coroutine runs on that strand, so the cancel cannot happen before the wait has started.
  jwks_.refetch([timer] { asio::post(timer->get_executor(), [timer] { timer->cancel(); }); });
  co_await timer->async_wait(asio::as_tuple(asio::deferred));
}

bool AuthenticateStage::waits_for_keys(const AuthOutcome& outcome) const {
  // A new signing key, or the JWKS not loaded yet: worth a look once more.
  return outcome.state == TokenState::invalid && !outcome.unknown_kid.empty() && config_.jwks_wait.count() > 0;
}

Answer AuthenticateStage::decide(const AuthOutcome& outcome, Exchange& ex, bool token_present) {
  if (outcome.state == TokenState::invalid) {
    ex.auth_error = outcome.reason;
    metrics_.auth_failure(outcome.reason);
  }
  if (outcome.identity) {
    ex.user_id = outcome.identity->user_id;
    ex.identity = outcome.identity;
  }
  switch (decide_access(ex.route->auth, outcome)) {
    case Access::allow:
      break;
    case Access::unauthenticated:
      return unauthorized(ex, token_present, outcome.reason);
    case Access::forbidden: {
      Response res = problem(http::status::forbidden, "This route is for administrators.", ex);
      res.set(http::field::www_authenticate, R"(Bearer realm="shopmesh", error="insufficient_scope")");
      return res;
    }
  }
  if (ex.identity && sessions_->known_revoked(*ex.identity)) {
    metrics_.auth_failure("revoked");
    return unauthorized(ex, true, "revoked");
  }
  return std::nullopt;
}

Answer AuthenticateStage::request(Request& req, Exchange& ex) {
  const auto authorization = header_value(req, http::field::authorization);
  const auto now = core::coarse_system_now();  // expiry and the feed's lag are checked in seconds
  const auto outcome = auth_.authenticate(authorization, now);
  if (waits_for_keys(outcome)) {
    ex.defer = true;
    return std::nullopt;
  }
  if (auto answer = decide(outcome, ex, authorization.has_value())) return answer;
  // The feed vouching for every recent revocation is the common case: no session check to wait for.
  if (ex.identity && !feed_.fresh(now, config_.revocation_max_lag)) ex.defer = true;
  return std::nullopt;
}

asio::awaitable<Answer> AuthenticateStage::request_async(Request& req, Exchange& ex) {
  const auto authorization = header_value(req, http::field::authorization);
  auto outcome = auth_.authenticate(authorization, core::coarse_system_now());
  if (waits_for_keys(outcome)) {
    co_await wait_for_jwks();
    outcome = auth_.authenticate(authorization, core::coarse_system_now());
  }
  if (auto answer = decide(outcome, ex, authorization.has_value())) co_return answer;
  if (!ex.identity) co_return std::nullopt;
  if (feed_.fresh(core::coarse_system_now(), config_.revocation_max_lag)) co_return std::nullopt;
  co_return co_await refuse_if_revoked(ex);
}

asio::awaitable<Answer> AuthenticateStage::refuse_if_revoked(const Exchange& ex) {
  auto unavailable = [&](std::string_view detail) {
    Response res = problem(http::status::service_unavailable, detail, ex);
    res.set(http::field::retry_after, "1");
    return res;
  };
  if (config_.events_enabled && !feed_.replayed())
    co_return unavailable("The gateway is still loading recent session revocations; retry shortly.");
  metrics_.session_check();
  switch (co_await sessions_->check(*ex.identity, ex.request_id)) {
    case SessionChecker::State::active:
      co_return std::nullopt;
    case SessionChecker::State::revoked:
      metrics_.auth_failure("revoked");
      co_return unauthorized(ex, true, "revoked");
    case SessionChecker::State::unknown:
      break;
  }
  co_return unavailable(
      "Sessions cannot be checked right now (the revocation feed is behind and auth did not answer); retry "
      "shortly.");
}

}  // namespace shopmesh::gateway
