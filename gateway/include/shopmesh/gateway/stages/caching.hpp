#pragma once
// Stage 10, the response cache (the store: response_cache.hpp). Only anonymous GETs of routes marked
// "cache" are served from it or stored in it (a response to a token holder may be personal): a hit
// is answered here (X-Cache: HIT, Age); on the way out a 200 that does not forbid it (no-store,
// private, Set-Cookie) is stored, tagged X-Cache: MISS. A successful write through a route of a
// cached service clears the cache at once (read-your-writes on this instance; catalog events clear
// the other gateway instances).
#include <string>
#include <vector>

#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::gateway {

class ResponseCache;
class GatewayMetrics;

class CacheStage final : public Stage {
 public:
  /// `cached_services`: the services behind a cached route.
  CacheStage(ResponseCache& cache, std::vector<std::string> cached_services, GatewayMetrics& metrics)
      : cache_(cache), cached_services_(std::move(cached_services)), metrics_(metrics) {}
  std::string_view name() const override { return "cache"; }
  Answer request(Request& req, Exchange& ex) override;
  void response(Response& res, Exchange& ex) override;
  /// A stored answer is stored with the upstream's fields.
  bool reads_answer(const Exchange& ex) const override { return ex.cacheable; }

 private:
  ResponseCache& cache_;
  std::vector<std::string> cached_services_;
  GatewayMetrics& metrics_;
};

}  // namespace shopmesh::gateway
