#pragma once
// Keep-alive connection pools to upstream service instances, round robin with ejection of
// instances that fail to connect. Included only by the gateway's Beast translation units.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "config.hpp"

namespace shopmesh::gateway {

namespace beast = boost::beast;
namespace http = beast::http;

enum class UpstreamFailure { none, unavailable, connect, timeout, io };

struct UpstreamResult {
  UpstreamFailure failure = UpstreamFailure::none;
  std::string error;
  std::string instance;  // host:port that answered (or failed)
  http::response<http::string_body> response;
};

class UpstreamPool {
 public:
  UpstreamPool(boost::asio::io_context& ioc, std::string service, const std::vector<UpstreamAddress>& instances,
               const GatewayConfig& config);
  ~UpstreamPool();

  /// Sends `request` (keep-alive) to the next healthy instance and reads the response.
  /// A pooled connection the upstream closed meanwhile is retried once on a fresh one.
  boost::asio::awaitable<UpstreamResult> send(http::request<http::string_body>& request,
                                              std::chrono::milliseconds timeout);

  const std::string& service() const { return service_; }

 private:
  struct Instance;
  Instance* pick();
  boost::asio::awaitable<UpstreamResult> exchange(Instance& inst, http::request<http::string_body>& request,
                                                  std::chrono::milliseconds timeout);

  boost::asio::io_context& ioc_;
  std::string service_;
  const GatewayConfig& config_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace shopmesh::gateway
