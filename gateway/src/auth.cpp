#include "shopmesh/gateway/auth.hpp"

#include <algorithm>
#include <array>
#include <functional>

#include "shopmesh/core/text.hpp"
#include "shopmesh/gateway/revocation.hpp"

namespace shopmesh::gateway {
namespace {

constexpr std::size_t kShards = 16;

using core::iequals;

// RFC 7235 token68: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "=" padding.
constexpr auto kToken68 = core::byte_set(core::kDigitChars, core::kLowerChars, core::kUpperChars, "-._~+/=");

bool is_token68(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return kToken68[static_cast<unsigned char>(c)]; });
}

// The credentials of a Bearer value, trimmed, their characters not yet checked.
std::optional<std::string_view> bearer_credentials(std::string_view h) {
  while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
  while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
  constexpr std::string_view kScheme = "bearer";
  if (h.size() <= kScheme.size() || !iequals(h.substr(0, kScheme.size()), kScheme)) return std::nullopt;
  h.remove_prefix(kScheme.size());
  if (h.front() != ' ') return std::nullopt;
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  if (h.empty()) return std::nullopt;
  return h;
}

// Identity values end up in request headers: refuse anything that could break a header line.
bool header_safe(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;
  });
}

}  // namespace

std::optional<std::string_view> bearer_token(std::string_view h) {
  auto token = bearer_credentials(h);
  if (!token || !is_token68(*token)) return std::nullopt;
  return token;
}

// ------------------------------------------------------------------------------------ TokenCache

struct TokenCache::Shard {
  struct Entry {
    std::size_t hash;
    std::string token;
    std::shared_ptr<const Identity> identity;
    std::int64_t valid_until_s;
  };
  std::mutex mutex;
  std::list<Entry> lru;  // front: most recently used
  std::unordered_map<std::size_t, std::list<Entry>::iterator> index;
};

TokenCache::TokenCache(std::size_t capacity) : per_shard_(std::max<std::size_t>(1, capacity / kShards)) {
  for (std::size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
  if (capacity == 0) per_shard_ = 0;
}

TokenCache::~TokenCache() = default;

namespace {

// The hash a token is looked up by: that of its last 64 bytes, the end of the signature (random for
// every token; a hit still compares the whole token). Hashing all 700-odd bytes was a fiftieth of
// a proxied request's instructions.
std::size_t token_hash(std::string_view token) {
  constexpr std::size_t kTail = 64;
  return std::hash<std::string_view>{}(token.size() > kTail ? token.substr(token.size() - kTail) : token);
}

}  // namespace

TokenCache::Shard& TokenCache::shard_for(std::size_t hash) const {
  return *shards_[(hash >> 7) % kShards];
}

std::shared_ptr<const Identity> TokenCache::get(std::string_view token, std::int64_t now_s) {
  if (per_shard_ == 0) return nullptr;
  const std::size_t hash = token_hash(token);
  auto& shard = shard_for(hash);
  std::lock_guard lock(shard.mutex);
  auto it = shard.index.find(hash);
  if (it == shard.index.end() || it->second->token != token) return nullptr;
  if (now_s >= it->second->valid_until_s) {
    shard.lru.erase(it->second);
    shard.index.erase(it);
    return nullptr;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return it->second->identity;
}

void TokenCache::put(std::string_view token, std::shared_ptr<const Identity> identity, std::int64_t valid_until_s) {
  if (per_shard_ == 0) return;
  const std::size_t hash = token_hash(token);
  auto& shard = shard_for(hash);
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.index.find(hash); it != shard.index.end()) {
    shard.lru.erase(it->second);
    shard.index.erase(it);
  }
  shard.lru.push_front({hash, std::string(token), std::move(identity), valid_until_s});
  shard.index.emplace(hash, shard.lru.begin());
  while (shard.lru.size() > per_shard_) {
    shard.index.erase(shard.lru.back().hash);
    shard.lru.pop_back();
  }
}

void TokenCache::clear() {
  for (auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    s->index.clear();
    s->lru.clear();
  }
}

std::size_t TokenCache::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    n += s->lru.size();
  }
  return n;
}

// --------------------------------------------------------------------------------- Authenticator

Authenticator::Authenticator(Settings settings, const RevocationSet& revocations)
    : settings_(std::move(settings)),
      revocations_(revocations),
      keys_(std::make_shared<const KeyMap>()),
      cache_(settings_.cache_capacity) {}

bool Authenticator::set_keys(KeyMap keys) {
  std::string fingerprint;
  for (const auto& [kid, key] : keys) fingerprint += key.public_jwk_json();
  {
    std::lock_guard lock(keys_mutex_);
    if (fingerprint == keys_fingerprint_) return false;
    keys_fingerprint_ = std::move(fingerprint);
    keys_ = std::make_shared<const KeyMap>(std::move(keys));
  }
  cache_.clear();
  return true;
}

std::shared_ptr<const Authenticator::KeyMap> Authenticator::keys() const {
  std::lock_guard lock(keys_mutex_);
  return keys_;
}

bool Authenticator::has_keys() const {
  return !keys()->empty();
}

std::vector<std::string> Authenticator::kids() const {
  std::vector<std::string> out;
  for (const auto& [kid, _] : *keys()) out.push_back(kid);
  return out;
}

AuthOutcome Authenticator::authenticate(std::optional<std::string_view> authorization,
                                        std::chrono::system_clock::time_point now) {
  AuthOutcome out;
  if (!authorization) return out;
  out.state = TokenState::invalid;
  const auto token = bearer_credentials(*authorization);
  if (!token) {
    out.reason = "malformed";
    return out;
  }
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // A cached token is byte for byte one that passed every check below: its characters need no
  // second look (a scan of the whole token, the largest cost of a cache hit).
  auto identity = cache_.get(*token, now_s);
  if (!identity) {
    if (!is_token68(*token)) {
      out.reason = "malformed";
      return out;
    }
    auto result = core::jwt::verify(*token, *keys(), settings_.verify, now);
    if (!result.claims) {
      out.reason = core::jwt::to_string(result.error);
      if (result.error == core::jwt::VerifyError::unknown_kid) out.unknown_kid = std::move(result.kid);
      return out;
    }
    auto& c = *result.claims;
    if (!header_safe(c.sub) || !header_safe(c.role) || !header_safe(c.email) || !header_safe(c.sid)) {
      out.reason = "malformed";
      return out;
    }
    if (settings_.max_lifetime.count() > 0 &&
        c.exp - c.iat > settings_.max_lifetime.count() + settings_.verify.leeway.count()) {
      out.reason = "lifetime";
      return out;
    }
    auto fresh = std::make_shared<Identity>();
    fresh->user_id = std::move(c.sub);
    fresh->role = std::move(c.role);
    fresh->email = std::move(c.email);
    fresh->session_id = std::move(c.sid);
    fresh->iat = c.iat;
    fresh->exp = c.exp;
    identity = fresh;
    cache_.put(*token, identity, c.exp + settings_.verify.leeway.count());
  }
  if (revocations_.is_revoked(identity->user_id, identity->session_id, identity->iat)) {
    out.reason = "revoked";
    return out;
  }
  out.state = TokenState::valid;
  out.identity = std::move(identity);
  return out;
}

// ------------------------------------------------------------------------------ access decisions

Access decide_access(AuthPolicy policy, const AuthOutcome& outcome) {
  switch (policy) {
    case AuthPolicy::public_access:
      return outcome.state == TokenState::invalid ? Access::unauthenticated : Access::allow;
    case AuthPolicy::user:
      return outcome.state == TokenState::valid ? Access::allow : Access::unauthenticated;
    case AuthPolicy::admin:
      if (outcome.state != TokenState::valid) return Access::unauthenticated;
      return outcome.identity->role == "ADMIN" ? Access::allow : Access::forbidden;
  }
  return Access::unauthenticated;
}

bool is_identity_header(std::string_view name) {
  constexpr std::string_view kUserPrefix = "x-user-";
  if (name.size() > kUserPrefix.size() && iequals(name.substr(0, kUserPrefix.size()), kUserPrefix)) return true;
  return iequals(name, "x-session-id");
}

IdentityHeaders identity_headers(const Identity& id) {
  IdentityHeaders out;
  out.emplace_back("X-User-Id", id.user_id);
  if (!id.role.empty()) out.emplace_back("X-User-Role", id.role);
  if (!id.email.empty()) out.emplace_back("X-User-Email", id.email);
  if (!id.session_id.empty()) out.emplace_back("X-Session-Id", id.session_id);
  return out;
}

}  // namespace shopmesh::gateway
