#include "shopmesh/gateway/revocation.hpp"

#include <algorithm>
#include <mutex>

namespace shopmesh::gateway {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, hour) ||
      s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * 86400 + hour * 3600 + minute * 60 + std::min(second, 59) - offset_s;
}

void RevocationSet::add(const SessionRevoked& e, std::int64_t now_s) {
  if (e.user_id.empty() && e.session_id.empty()) return;
  // Tokens it revokes were issued at or before revokedAt, so none is valid past this point.
  const std::int64_t keep_until = e.revoked_at_s + retention_s_;
  if (keep_until < now_s) return;  // an old event (replay): everything it revoked has expired
  std::unique_lock lock(mutex_);
  if (!e.session_id.empty()) {
    auto [it, inserted] = sessions_.try_emplace(e.session_id, SessionEntry{keep_until});
    if (!inserted)
      it->second.keep_until_s = std::max(it->second.keep_until_s, keep_until);
    else
      count_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  users_[e.user_id].push_back({e.revoked_at_s, e.except_session_id, keep_until});
  count_.fetch_add(1, std::memory_order_relaxed);
}

bool RevocationSet::is_revoked(std::string_view user_id, std::string_view session_id, std::int64_t iat_s) const {
  if (count_.load(std::memory_order_relaxed) == 0) return false;
  std::shared_lock lock(mutex_);
  if (!session_id.empty() && sessions_.find(std::string(session_id)) != sessions_.end()) return true;
  auto it = users_.find(std::string(user_id));
  if (it == users_.end()) return false;
  for (const auto& r : it->second) {
    if (iat_s > r.revoked_at_s) continue;  // issued after the revocation
    if (!r.except_session_id.empty() && session_id == r.except_session_id) continue;
    return true;
  }
  return false;
}

std::size_t RevocationSet::sweep(std::int64_t now_s) {
  std::unique_lock lock(mutex_);
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.keep_until_s < now_s; });
  std::size_t n = sessions_.size();
  for (auto it = users_.begin(); it != users_.end();) {
    std::erase_if(it->second, [&](const UserRevocation& r) { return r.keep_until_s < now_s; });
    if (it->second.empty()) {
      it = users_.erase(it);
    } else {
      n += it->second.size();
      ++it;
    }
  }
  count_.store(n, std::memory_order_relaxed);
  return n;
}

}  // namespace shopmesh::gateway
