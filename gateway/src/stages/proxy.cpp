#include "shopmesh/gateway/stages/proxy.hpp"

#include <algorithm>

#include "shopmesh/core/log.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/routes.hpp"
#include "shopmesh/gateway/upstream.hpp"

namespace shopmesh::gateway {

boost::asio::awaitable<Answer> ProxyStage::request_async(Request& req, Exchange& ex) {
  const Route& route = *ex.route;
  UpstreamPool* pool = upstreams_.find(route.service);
  if (pool == nullptr) co_return problem(http::status::bad_gateway, "No upstream is configured for this route.", ex);

  const std::string target = ex.path + ex.query;
  UpstreamRequest upstream;
  write_upstream_request(req, {target, ex.request_id, ex.trace.traceparent, ex.remote, ex.identity.get(), &mesh_},
                         upstream);

  const auto sent_at = std::chrono::steady_clock::now();
  // An HTTP/1.1 client's answer may go out with the upstream's head as it came (exchange.hpp).
  UpstreamResult result;
  co_await pool->send(upstream, route.timeout, result, !ex.head && ex.version == 11);
  ex.upstream = result.instance;
  const std::size_t service_id = upstreams_.id(route.service);
  const int answered = result.failure == UpstreamFailure::none ? static_cast<int>(result.response.result_int()) : 0;
  metrics_.upstream_response(service_id, answered,
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - sent_at).count());
  switch (result.failure) {
    case UpstreamFailure::none:
      break;
    case UpstreamFailure::timeout:
      metrics_.upstream_error(service_id, GatewayMetrics::UpstreamError::timeout);
      log_.warn("upstream timeout",
                {{"requestId", ex.request_id}, {"upstream", result.instance}, {"error", result.error}});
      co_return problem(http::status::gateway_timeout, "The upstream service did not answer in time.", ex);
    case UpstreamFailure::unavailable: {
      metrics_.upstream_error(service_id, GatewayMetrics::UpstreamError::unavailable);
      log_.warn("upstream unavailable",
                {{"requestId", ex.request_id}, {"service", route.service}, {"error", result.error}});
      Response res =
          problem(http::status::service_unavailable, "The upstream service is unavailable; retry shortly.", ex);
      res.set(http::field::retry_after, std::to_string(std::max<long long>(1, eject_for_.count() / 1000)));
      co_return res;
    }
    case UpstreamFailure::connect:
    case UpstreamFailure::io:
      metrics_.upstream_error(service_id, result.failure == UpstreamFailure::connect
                                              ? GatewayMetrics::UpstreamError::connect
                                              : GatewayMetrics::UpstreamError::io);
      log_.warn("upstream failure",
                {{"requestId", ex.request_id}, {"upstream", result.instance}, {"error", result.error}});
      co_return problem(http::status::bad_gateway, "The upstream service failed to answer.", ex);
  }
  Response res = std::move(result.response);
  if (!result.answer.head.empty()) ex.answer = std::move(result.answer);
  res.version(ex.version);
  strip_hop_by_hop(res);
  co_return res;
}

}  // namespace shopmesh::gateway
