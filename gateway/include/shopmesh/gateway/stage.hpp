#pragma once
// The gateway is a chain of stages. A request meets them in order; each either answers it (and the
// stages after it never see it) or passes it on. The answer then goes back out through every stage
// the request reached, the answering one included, in reverse order, each adding what it owns to
// the response (the request id, CORS, rate-limit headers, a cache store).
//
// Most stages decide at once (`request`). A stage that must wait for something (a health fan-out,
// the upstream) says so per request with `waits`, and the chain awaits its `request_async` instead:
// no coroutine frame for stages that do not wait. A stage that finds out only while deciding (a key
// fetch or a session check, after the token is read) sets `ex.defer` in `request` and passes; the
// chain then awaits its `request_async`, which decides afresh.
//
// Adding a stage: one new file in stages/ and one line in the list gateway_stages() builds
// (server.cpp).
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "shopmesh/gateway/exchange.hpp"

namespace shopmesh::gateway {

using Answer = std::optional<Response>;

class Stage {
 public:
  virtual ~Stage() = default;
  /// For logs and tests.
  virtual std::string_view name() const = 0;
  /// The request on its way in: an answer ends the chain, nullopt passes the request on.
  virtual Answer request(Request& req, Exchange& ex);
  /// Whether this request needs request_async (the chain then does not call request).
  virtual bool waits(const Exchange& ex) const;
  virtual boost::asio::awaitable<Answer> request_async(Request& req, Exchange& ex);
  /// The answer on its way out, for every stage the request reached (the answering one too). An
  /// upstream's answer may come with its fields still in `ex.answer` (exchange.hpp): fields set here
  /// then replace the upstream's of the same names, and a stage that must read them says so in
  /// `reads_answer`.
  virtual void response(Response& res, Exchange& ex);
  /// Whether `response` reads the upstream's fields for this exchange (they are then read into the
  /// Response before the first `response` runs).
  virtual bool reads_answer(const Exchange& ex) const;
};

class Chain {
 public:
  explicit Chain(std::vector<std::unique_ptr<Stage>> stages);
  /// Runs the request through the stages. A stage that throws answers 500 (logged by the caller
  /// through `failure`); no stage answering is a 404.
  boost::asio::awaitable<Response> run(Request& req, Exchange& ex, std::string* failure = nullptr) const;
  const std::vector<std::unique_ptr<Stage>>& stages() const { return stages_; }

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
};

}  // namespace shopmesh::gateway
