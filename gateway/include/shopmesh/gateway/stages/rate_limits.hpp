#pragma once
// Stages 7 and 9, rate limits (the token buckets: rate_limit.hpp). Per client address first, in the
// route's class (RATE_LIMIT_<CLASS>): cheap, and it protects the token verification behind it.
// Then, once the caller is known, per user (RATE_LIMIT_USER). A refused request gets 429 with
// Retry-After; every answer to a limited request carries RateLimit-Limit/-Remaining/-Reset of the
// tighter of the two buckets.
#include <vector>

#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::gateway {

class RateLimiter;
class GatewayMetrics;

class AddressRateLimitStage final : public Stage {
 public:
  /// `route_classes`: the limiter's class id of each route, by route index (-1: none).
  AddressRateLimitStage(RateLimiter& limiter, std::vector<int> route_classes, GatewayMetrics& metrics)
      : limiter_(limiter), route_classes_(std::move(route_classes)), metrics_(metrics) {}
  std::string_view name() const override { return "address-rate-limit"; }
  Answer request(Request& req, Exchange& ex) override;
  void response(Response& res, Exchange& ex) override;

 private:
  RateLimiter& limiter_;
  std::vector<int> route_classes_;
  GatewayMetrics& metrics_;
};

class UserRateLimitStage final : public Stage {
 public:
  /// `user_class`: the limiter's class id for authenticated users (-1: none).
  UserRateLimitStage(RateLimiter& limiter, int user_class, GatewayMetrics& metrics)
      : limiter_(limiter), user_class_(user_class), metrics_(metrics) {}
  std::string_view name() const override { return "user-rate-limit"; }
  Answer request(Request& req, Exchange& ex) override;

 private:
  RateLimiter& limiter_;
  int user_class_;
  GatewayMetrics& metrics_;
};

/// The 429 answer.
Response too_many_requests(const Exchange& ex, std::uint32_t retry_after_s);

}  // namespace shopmesh::gateway
