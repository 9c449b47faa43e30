#pragma once
// A blocking HTTP/1.1 client (libcurl) for service-to-service calls from worker threads and for
// tests. Each thread keeps its own keep-alive connections. Every call has a total timeout.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shopmesh::core {

class MeshAuth;

struct HttpResult {
  int status = 0;  // 0 when no response was received (see `error`)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string error;
  bool connect_failed = false;  // no connection could be made: nothing was sent

  /// The first header with this (lower-case) name, or empty.
  std::string header(std::string_view name) const;
};

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{2000};
  /// Signs the call (X-Mesh-Auth over its method, target and identity headers) when set: every
  /// call to a service's API needs it; its /health and /metrics do not.
  const MeshAuth* mesh = nullptr;
};

/// Performs one request; never throws for network errors (status 0 + error instead).
HttpResult http_call(const HttpCall& call);

/// The instances of a service another one calls, as its <NAME>_URL names them: one base URL, or
/// several comma-separated with the caller's preferred one first (the launcher lists an instance's
/// own replica first). A call goes to the preferred instance that is not known to be down; when no
/// connection can be made to it (so nothing was sent, and even a POST is safe to send again) the
/// next one is tried, and the refusing one is passed over for kDownFor. Any other failure is
/// returned as it is: a request that may have been received is never sent twice.
class Peers {
 public:
  static constexpr std::chrono::milliseconds kDownFor{2'000};
  /// Throws std::invalid_argument for an empty list or a URL that is not http(s)://.
  explicit Peers(std::string_view urls);

  /// `call` with its url set to each instance's base URL + `target` in turn, as described above.
  HttpResult call(HttpCall call, std::string_view target) const;
  const std::vector<std::string>& urls() const { return urls_; }

 private:
  std::vector<std::string> urls_;
  std::unique_ptr<std::atomic<std::int64_t>[]> down_until_;  // steady-clock ms, per instance
};

}  // namespace shopmesh::core
