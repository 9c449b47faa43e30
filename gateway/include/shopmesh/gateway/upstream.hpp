#pragma once
// Keep-alive connection pools to upstream service instances: round robin over the instances;
// an instance that refuses a connection is ejected for UPSTREAM_EJECT_MS (then tried again), and
// the request goes to the next instance (nothing was sent yet, so this is safe for any method).
// Pooled connections idle longer than UPSTREAM_IDLE_TIMEOUT_MS are dropped rather than reused, so
// a service closing its idle connections rarely hands us a dead one. Included only by the
// gateway's Beast translation units.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "shopmesh/gateway/config.hpp"
#include "shopmesh/gateway/exchange.hpp"
#include "shopmesh/gateway/http_rules.hpp"

namespace prometheus {
class Gauge;
}

namespace shopmesh::gateway {

class GatewayMetrics;
namespace beast = boost::beast;
namespace http = beast::http;

enum class UpstreamFailure { none, unavailable, connect, timeout, io };

struct UpstreamResult {
  UpstreamFailure failure = UpstreamFailure::none;
  std::string error;
  std::string_view instance;  // host:port that answered (or failed); lives as long as the pool
  http::response<http::string_body> response;
  UpstreamAnswer answer;  // its head as it came, when asked for and plain (`response` has no fields then)
};

class UpstreamPool {
 public:
  /// `up`: each instance's `gateway_upstream_up` gauge, in `instances`' order (or none).
  UpstreamPool(boost::asio::io_context& ioc, std::string service, const std::vector<UpstreamAddress>& instances,
               const GatewayConfig& config, std::vector<prometheus::Gauge*> up = {});
  ~UpstreamPool();

  /// Sends `request` (keep-alive) to the next healthy instance and reads the response into `out`
  /// (a fresh result: filled in place, not moved through every coroutine that returns it).
  /// A pooled connection the upstream closed meanwhile is retried once on a fresh one; a refused
  /// connection moves on to the next instance. `timeout` bounds the whole exchange. `keep_head`: a
  /// plain answer's head is kept as bytes in the result's `answer` (not for a HEAD request).
  boost::asio::awaitable<void> send(const UpstreamRequest& request, std::chrono::milliseconds timeout,
                                    UpstreamResult& out, bool keep_head = false);
  /// The same for a message whose framing is already set (prepare_payload): the gateway's own probes.
  boost::asio::awaitable<UpstreamResult> send(const http::request<http::string_body>& request,
                                              std::chrono::milliseconds timeout);

  /// Asks every instance for GET /health, one after the other, for `gateway_upstream_up` alone: an
  /// instance is ejected only by what clients' requests meet, as before.
  boost::asio::awaitable<void> probe(std::chrono::milliseconds timeout);

  const std::string& service() const { return service_; }
  std::size_t ejected_count() const;

 private:
  struct Instance;
  Instance* pick(std::chrono::steady_clock::time_point now);
  boost::asio::awaitable<void> exchange(Instance& inst, const UpstreamRequest& request,
                                        std::chrono::milliseconds timeout, std::chrono::steady_clock::time_point started,
                                        bool keep_head, UpstreamResult& result, bool may_eject = true);

  boost::asio::io_context& ioc_;
  std::string service_;
  const GatewayConfig& config_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::atomic<std::size_t> next_{0};
};

/// One pool per configured service (GATEWAY_UPSTREAMS), in service-name order (the order of the
/// metrics labels main gives GatewayMetrics); a service's id is
/// its position, the upstream-error metrics' label.
class Upstreams {
 public:
  /// With `metrics`, each instance reports to its `gateway_upstream_up` gauge.
  Upstreams(boost::asio::io_context& ioc, const GatewayConfig& config, const GatewayMetrics* metrics = nullptr);
  /// The pool of a service, or nullptr when none is configured.
  UpstreamPool* find(std::string_view service) const;
  std::size_t id(std::string_view service) const;
  const std::vector<std::unique_ptr<UpstreamPool>>& pools() const { return pools_; }

 private:
  std::vector<std::unique_ptr<UpstreamPool>> pools_;  // by service name
};

}  // namespace shopmesh::gateway
