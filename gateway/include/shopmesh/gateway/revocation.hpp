#pragma once
// Revoked sessions, fed by SESSION_REVOKED events. An entry is kept only as long as a token it
// revokes can still be valid (the access-token lifetime plus leeway), so memory stays bounded.
#include <atomic>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shopmesh::gateway {

/// The `data` of a SESSION_REVOKED event.
struct SessionRevoked {
  std::string user_id;
  std::string session_id;         // empty: every session of the user
  std::string except_session_id;  // with an empty session_id: the one session kept
  std::int64_t revoked_at_s = 0;  // Unix seconds (fraction dropped)
};

class RevocationSet {
 public:
  /// `retention_s`: how long after revokedAt an entry is kept (the longest a token can live).
  explicit RevocationSet(std::int64_t retention_s) : retention_s_(retention_s) {}

  void add(const SessionRevoked& event, std::int64_t now_s);
  /// Whether a token with these claims is revoked: its sid was revoked, or it was issued at or
  /// before a user-wide revocation and is not the session that revocation kept.
  bool is_revoked(std::string_view user_id, std::string_view session_id, std::int64_t iat_s) const;
  /// Drops entries past their retention; returns how many remain.
  std::size_t sweep(std::int64_t now_s);
  std::size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  struct UserRevocation {
    std::int64_t revoked_at_s;
    std::string except_session_id;
    std::int64_t keep_until_s;
  };
  struct SessionEntry {
    std::int64_t keep_until_s;
  };
  std::int64_t retention_s_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, SessionEntry> sessions_;
  std::unordered_map<std::string, std::vector<UserRevocation>> users_;
  std::atomic<std::size_t> count_{0};  // lets the common case (nothing revoked) skip the lock
};

/// Parses an RFC 3339 date-time ("2026-11-21T20:15:03.123Z", offsets allowed) to Unix seconds.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace shopmesh::gateway
