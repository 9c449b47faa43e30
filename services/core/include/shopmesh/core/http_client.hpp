#pragma once
// A blocking HTTP/1.1 client (libcurl) for service-to-service calls from worker threads and for
// tests. Each thread keeps its own keep-alive connections. Every call has a total timeout.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace shopmesh::core {

class MeshAuth;

struct HttpResult {
  int status = 0;  // 0 when no response was received (see `error`)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string error;

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

}  // namespace shopmesh::core
