#pragma once
// Stage 5, GET /api/health: the mesh's readiness, answered from a fan-out to every service's
// /health (each bounded by GATEWAY_HEALTH_TIMEOUT_MS), the Kafka probe, whether signing keys are
// loaded and whether revocations are replayed. 200 when all is well, else 503 with what is not.
#include <chrono>

#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::gateway {

class Upstreams;
class KafkaProbe;
class Authenticator;
class RevocationFeed;

struct HealthConfig {
  std::chrono::milliseconds timeout{2'000};  // per service probe
  bool events_enabled = true;                // revocations come from Kafka
  std::chrono::milliseconds revocation_max_lag{500};
  std::size_t route_id = 0;  // the metrics label
};

class HealthStage final : public Stage {
 public:
  HealthStage(HealthConfig config, const Upstreams& upstreams, KafkaProbe& kafka, const Authenticator& auth,
              const RevocationFeed& feed)
      : config_(config), upstreams_(upstreams), kafka_(kafka), auth_(auth), feed_(feed) {}
  std::string_view name() const override { return "health"; }
  bool waits(const Exchange& ex) const override;
  boost::asio::awaitable<Answer> request_async(Request& req, Exchange& ex) override;

 private:
  HealthConfig config_;
  const Upstreams& upstreams_;
  KafkaProbe& kafka_;
  const Authenticator& auth_;
  const RevocationFeed& feed_;
};

}  // namespace shopmesh::gateway
