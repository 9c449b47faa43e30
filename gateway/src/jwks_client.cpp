#include "shopmesh/gateway/jwks_client.hpp"

#include <algorithm>

#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/thread_name.hpp"
#include "shopmesh/gateway/auth.hpp"

namespace shopmesh::gateway {
namespace {

constexpr auto kFirstBackoff = std::chrono::milliseconds(200);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5'000);

}  // namespace

JwksClient::JwksClient(Settings settings, Authenticator& auth, core::Logger& log)
    : settings_(std::move(settings)), auth_(auth), log_(log) {}

JwksClient::~JwksClient() {
  stop();
}

void JwksClient::start() {
  std::lock_guard lock(mutex_);
  if (!thread_.joinable() && !stopping_) thread_ = std::thread([this] { loop(); });
}

void JwksClient::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    waiters_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t JwksClient::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

void JwksClient::refetch(std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    const bool too_recent =
        loaded_ && std::chrono::steady_clock::now() - last_attempt_ < settings_.min_refetch_interval;
    if (!too_recent && !stopping_) {
      waiters_.push_back(std::move(done));
      wanted_ = true;
      wake_.notify_all();
      return;
    }
  }
  done();
}

bool JwksClient::fetch_once() {
  if (settings_.urls.empty()) return false;
  const std::string url = settings_.urls[next_url_ % settings_.urls.size()];
  core::HttpCall call;
  call.url = url;
  call.timeout = settings_.request_timeout;
  call.mesh = settings_.mesh;
  call.headers.emplace_back("Accept", "application/json");
  auto r = core::http_call(call);
  std::string problem;
  if (r.status != 200) {
    problem = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status);
  } else {
    try {
      auto keys = core::jwt::parse_jwks(r.body);
      if (keys.empty()) {
        problem = "no usable RS256 keys in the JWKS";
      } else {
        Authenticator::KeyMap map;
        for (auto& k : keys) {
          std::string kid = k.kid();
          map.emplace(std::move(kid), std::move(k));
        }
        if (auth_.set_keys(std::move(map))) {
          std::string kids;
          for (const auto& kid : auth_.kids()) kids += (kids.empty() ? "" : ",") + kid;
          log_.info("jwks loaded", {{"url", url}, {"kids", kids}});
        }
        return true;
      }
    } catch (const std::exception& e) {
      problem = e.what();
    }
  }
  ++next_url_;  // the next attempt tries the next auth instance
  log_.log(loaded_ ? core::LogLevel::warn : core::LogLevel::info, "jwks fetch failed",
           {{"url", url}, {"error", problem}});
  return false;
}

void JwksClient::loop() {
  core::name_this_thread("jwks-fetch");
  core::yield_on_wakeup();
  auto backoff = kFirstBackoff;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wanted_ = false;
    lock.unlock();
    const bool ok = fetch_once();
    lock.lock();
    last_attempt_ = std::chrono::steady_clock::now();
    ++fetches_;
    if (ok) {
      loaded_ = true;
      backoff = kFirstBackoff;
    }
    auto waiters = std::move(waiters_);
    waiters_.clear();
    lock.unlock();
    for (auto& w : waiters) w();
    lock.lock();

    const auto delay = loaded_ && ok ? settings_.refresh : backoff;
    if (!ok) backoff = std::min(backoff * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
    wake_.wait_for(lock, delay, [this] { return stopping_ || wanted_; });
    if (stopping_) break;
    if (wanted_) {
      // On demand, but never more often than the minimum interval (shorter before the first load).
      const auto gap = loaded_ ? settings_.min_refetch_interval : std::chrono::milliseconds(kFirstBackoff);
      wake_.wait_until(lock, last_attempt_ + gap, [this] { return stopping_; });
    }
  }
}

}  // namespace shopmesh::gateway
