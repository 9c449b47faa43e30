#pragma once
// Keeps the Authenticator's keys in step with the auth service's JWKS, on its own thread:
// fetched at start (retried with backoff until it works, without blocking start-up), refreshed
// periodically, and refetched on demand when a token names an unknown kid — at most once per
// minimum interval, so forged kids cannot turn the gateway into a JWKS flooder.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "shopmesh/core/mesh_auth.hpp"

namespace shopmesh::core {
class Logger;
}

namespace shopmesh::gateway {

class Authenticator;

class JwksClient {
 public:
  struct Settings {
    std::vector<std::string> urls;  // tried in turn
    std::chrono::milliseconds refresh{300'000};
    std::chrono::milliseconds min_refetch_interval{5'000};
    std::chrono::milliseconds request_timeout{2'000};
    const core::MeshAuth* mesh = nullptr;  // signs the fetch (auth answers only the mesh)
  };

  JwksClient(Settings settings, Authenticator& auth, core::Logger& log);
  ~JwksClient();
  JwksClient(const JwksClient&) = delete;
  JwksClient& operator=(const JwksClient&) = delete;

  void start();
  /// Stops the thread; pending refetch callbacks are dropped. Idempotent.
  void stop();

  /// Asks for a refetch because a token named an unknown kid. `done` runs (on the fetch thread,
  /// or inline) once that fetch finished — or at once when the last fetch is too recent.
  void refetch(std::function<void()> done);

  std::uint64_t fetches() const;

 private:
  void loop();
  bool fetch_once();

  Settings settings_;
  Authenticator& auth_;
  core::Logger& log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool wanted_ = false;
  bool loaded_ = false;
  std::chrono::steady_clock::time_point last_attempt_{};
  std::vector<std::function<void()>> waiters_;
  std::uint64_t fetches_ = 0;
  std::size_t next_url_ = 0;
  std::thread thread_;
};

}  // namespace shopmesh::gateway
