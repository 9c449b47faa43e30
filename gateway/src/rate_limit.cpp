#include "shopmesh/gateway/rate_limit.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <cmath>
#include <functional>

namespace shopmesh::gateway {
namespace {

constexpr std::size_t kShards = 16;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> parse_positive(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || !(v > 0) || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::uint32_t clamp_u32(double v) {
  if (!(v > 0)) return 0;
  return v >= 4e9 ? 4'000'000'000u : static_cast<std::uint32_t>(v);
}

}  // namespace

std::optional<RateSpec> RateSpec::parse(std::string_view text) {
  text = trim(text);
  if (text == "off" || text == "none" || text == "0") return RateSpec{};
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto count = parse_positive(trim(text.substr(0, slash)));
  if (!count) return std::nullopt;
  std::string_view rest = trim(text.substr(slash + 1));
  const auto space = rest.find_first_of(" \t");
  const std::string_view unit = rest.substr(0, space);
  double seconds = 0;
  if (unit == "s" || unit == "sec" || unit == "second")
    seconds = 1;
  else if (unit == "m" || unit == "min" || unit == "minute")
    seconds = 60;
  else if (unit == "h" || unit == "hour")
    seconds = 3600;
  else
    return std::nullopt;
  RateSpec spec;
  spec.enabled = true;
  spec.per_second = *count / seconds;
  spec.burst = std::max(1.0, std::floor(*count));
  if (space != std::string_view::npos) {
    rest = trim(rest.substr(space));
    constexpr std::string_view kBurst = "burst";
    if (rest.substr(0, kBurst.size()) != kBurst) return std::nullopt;
    const auto burst = parse_positive(trim(rest.substr(kBurst.size())));
    if (!burst || *burst < 1) return std::nullopt;
    spec.burst = std::floor(*burst);
  }
  return spec;
}

std::string RateSpec::to_string() const {
  if (!enabled) return "off";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%g/s burst %g", per_second, burst);
  return buf;
}

struct RateLimiter::Shard {
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  std::mutex mutex;
  std::unordered_map<std::string, Bucket, StringHash, std::equal_to<>> buckets;
};

RateLimiter::RateLimiter(const std::vector<std::pair<std::string, RateSpec>>& classes, std::size_t max_keys)
    : max_keys_per_shard_(std::max<std::size_t>(1, max_keys / kShards)) {
  for (const auto& [name, spec] : classes) {
    Class c;
    c.name = name;
    c.spec = spec;
    for (std::size_t i = 0; i < kShards; ++i) c.shards.push_back(std::make_unique<Shard>());
    classes_.push_back(std::move(c));
  }
}

RateLimiter::~RateLimiter() = default;

int RateLimiter::class_id(std::string_view name) const {
  for (std::size_t i = 0; i < classes_.size(); ++i)
    if (classes_[i].name == name) return static_cast<int>(i);
  return -1;
}

RateDecision RateLimiter::check(int id, std::string_view key, Clock::time_point now) {
  RateDecision d;
  if (!enabled(id)) return d;
  auto& cls = classes_[static_cast<std::size_t>(id)];
  const RateSpec& spec = cls.spec;
  d.enabled = true;
  d.limit = clamp_u32(spec.burst);
  auto& shard = *cls.shards[StringHash{}(key) % kShards];
  std::lock_guard lock(shard.mutex);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_keys_per_shard_) {
      d.remaining = d.limit;  // over the tracking cap: let it through untracked (see the header)
      return d;
    }
    it = shard.buckets.emplace(std::string(key), Shard::Bucket{spec.burst, now}).first;
  }
  auto& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  if (elapsed > 0) {
    b.tokens = std::min(spec.burst, b.tokens + elapsed * spec.per_second);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    d.allowed = true;
  } else {
    d.allowed = false;
    d.retry_after_s = std::max<std::uint32_t>(1, clamp_u32(std::ceil((1.0 - b.tokens) / spec.per_second)));
  }
  d.remaining = clamp_u32(std::floor(b.tokens));
  d.reset_s = clamp_u32(std::ceil((spec.burst - b.tokens) / spec.per_second));
  return d;
}

std::size_t RateLimiter::sweep(Clock::time_point now) {
  std::size_t left = 0;
  for (auto& cls : classes_) {
    if (!cls.spec.enabled) continue;
    for (auto& shard : cls.shards) {
      std::lock_guard lock(shard->mutex);
      std::erase_if(shard->buckets, [&](const auto& kv) {
        const double elapsed = std::chrono::duration<double>(now - kv.second.updated).count();
        return kv.second.tokens + elapsed * cls.spec.per_second >= cls.spec.burst;
      });
      left += shard->buckets.size();
    }
  }
  return left;
}

std::size_t RateLimiter::size() const {
  std::size_t n = 0;
  for (const auto& cls : classes_)
    for (const auto& shard : cls.shards) {
      std::lock_guard lock(shard->mutex);
      n += shard->buckets.size();
    }
  return n;
}

std::string client_rate_key(std::string_view address) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(address), ec);
  if (ec) return std::string(address);
  if (addr.is_v6()) {
    auto v6 = addr.to_v6();
    if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
    auto bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return boost::asio::ip::address_v6(bytes).to_string() + "/64";
  }
  return addr.to_string();
}

}  // namespace shopmesh::gateway
