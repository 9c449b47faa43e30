#pragma once
// When the revocation feed is stale (revocation_feed.hpp), the gateway does not trust a token on
// its signature alone: it asks auth whether the token's session is still active,
// GET {AUTH_URL}/internal/sessions/{sid}?userId={sub}, signed with the mesh key. An "active"
// answer is reused for GATEWAY_SESSION_CHECK_TTL_MS; a "revoked" one until the token expires (a
// revoked session never comes back). No answer is `unknown`: the caller refuses with 503.
// Included only by the gateway's Beast translation units.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "shopmesh/gateway/auth.hpp"

namespace shopmesh::core {
class MeshAuth;
}

namespace shopmesh::gateway {

class UpstreamPool;

class SessionChecker {
 public:
  enum class State { active, revoked, unknown };

  /// `auth` may be null (no auth upstream configured): every answer is then `unknown`.
  SessionChecker(UpstreamPool* auth, const core::MeshAuth& mesh, std::chrono::milliseconds active_ttl,
                 std::chrono::milliseconds timeout);

  boost::asio::awaitable<State> check(const Identity& identity, std::string_view request_id);
  /// Whether auth has already answered that this session is revoked (remembered until the token
  /// expires). Asked even while the feed is fresh: the feed vouches for what was published, and a
  /// revocation auth reported during an outage may reach the topic only after the feed caught up.
  bool known_revoked(const Identity& identity);

  /// What a session-state answer from auth means (`{"active": true|false}` with status 200).
  static State parse_answer(int status, std::string_view body);

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    State state;
    Clock::time_point until;
  };
  std::optional<State> cached(const std::string& key, Clock::time_point now);
  void remember(const std::string& key, State state, Clock::time_point until, Clock::time_point now);

  static constexpr std::size_t kMaxEntries = 100'000;
  UpstreamPool* auth_;
  const core::MeshAuth& mesh_;
  std::chrono::milliseconds active_ttl_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // "<sub>/<sid>" -> answer
  std::atomic<bool> any_revoked_{false};            // known_revoked() is free until auth said "revoked" once
};

}  // namespace shopmesh::gateway
