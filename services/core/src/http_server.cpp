// The only translation unit of the services that instantiates Beast: keep it that way.
#include "shopmesh/core/http_server.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "shopmesh/core/config.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/http_wire.hpp"
#include "shopmesh/core/io_deadline.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/mesh_auth.hpp"
#include "shopmesh/core/offload.hpp"
#include "shopmesh/core/thread_name.hpp"
#include "shopmesh/core/trace.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::core {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;

struct SessionState {
  explicit SessionState(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  IoDeadline deadline{socket};
  std::atomic<bool> busy{false};
};

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

Response problem(int status, std::string_view detail, const Request& r, const std::vector<FieldError>& errors = {}) {
  Response resp;
  resp.status = status;
  resp.content_type = "application/problem+json";
  resp.body = problem_json(status, reason_phrase(status), detail, r.path, r.request_id, errors);
  return resp;
}

// The liveness and metrics probes answer whoever reaches the port; nothing else does.
bool is_probe(const Request& r) {
  return (r.method == "GET" || r.method == "HEAD") && (r.path == "/health" || r.path == "/metrics");
}

// The caller named by a valid X-Mesh-Auth credential for this request (see mesh_auth.hpp). An
// identity header given twice is refused: handlers read the first, the credential binds the first.
std::optional<std::string> mesh_caller(const MeshAuth& mesh, const Request& r) {
  auto credential = r.headers.get(MeshAuth::kHeader);
  if (!credential) return std::nullopt;
  for (std::string_view name : kIdentityHeaders)
    if (r.headers.count(name) > 1) return std::nullopt;
  return mesh.verify(*credential, r.method, r.target, MeshIdentity::of(r.headers));
}

}  // namespace

struct HttpServer::Impl {
  Impl(const ServiceConfig& c, const Router& r, const MeshAuth& m, Logger& l, prometheus::Registry& registry)
      : config(c),
        router(r),
        mesh(m),
        log(l),
        ioc(c.io_threads),
        workers(static_cast<std::size_t>(c.worker_threads)),
        acceptor_strand(asio::make_strand(ioc)),
        acceptor(acceptor_strand),
        requests(prometheus::BuildCounter()
                     .Name("http_requests_total")
                     .Help("HTTP requests served, by route pattern, method and status")
                     .Register(registry)),
        latency(prometheus::BuildHistogram()
                    .Name("http_request_duration_seconds")
                    .Help("Time from request parsed to response written")
                    .Register(registry)),
        open_connections(prometheus::BuildGauge()
                             .Name("http_open_connections")
                             .Help("Client connections currently open")
                             .Register(registry)
                             .Add({})) {}

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(std::shared_ptr<SessionState> state);
  asio::awaitable<Response> handle(Request& request);
  Response invoke(const Handler& handler, Request& request);
  void observe(std::string_view route, const std::string& method, int status, double seconds);
  void begin_shutdown();

  const ServiceConfig& config;
  const Router& router;
  const MeshAuth& mesh;
  Logger& log;
  asio::io_context ioc;
  asio::thread_pool workers;
  asio::strand<asio::io_context::executor_type> acceptor_strand;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::mutex sessions_mutex;
  std::map<SessionState*, std::weak_ptr<SessionState>> sessions;

  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Gauge& open_connections;
};

asio::awaitable<void> HttpServer::Impl::accept_loop() {
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) break;
      log.warn("accept failed", {{"error", ec.message()}});
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    auto state = std::make_shared<SessionState>(std::move(socket));
    {
      std::lock_guard lock(sessions_mutex);
      sessions.emplace(state.get(), state);
    }
    auto ex = state->socket.get_executor();
    asio::co_spawn(ex, session(std::move(state)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::Impl::session(std::shared_ptr<SessionState> state) {
  open_connections.Increment();
  auto& socket = state->socket;
  auto& deadline = state->deadline;
  beast::flat_buffer buffer;
  std::string head;  // the response head being written, its capacity reused
  bool first = true;
  std::string remote;
  {
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  while (!stopping) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(config.body_limit);
    deadline.expires_after(first ? config.header_timeout : config.idle_timeout);
    auto [ec, bytes] = co_await http::async_read(socket, buffer, parser, asio::as_tuple(asio::use_awaitable));
    deadline.disarm();  // the handler's own time is not bounded by the connection's timeouts
    first = false;
    int error_status = 0;
    if (ec == http::error::header_limit) error_status = 431;
    else if (ec == http::error::body_limit) error_status = 413;
    else if (ec && ec.category() == beast::error_code(http::error::end_of_stream).category() && ec != http::error::end_of_stream &&
             ec != http::error::partial_message)
      error_status = 400;
    else if (ec) break;  // closed, timed out or aborted: nothing to answer

    state->busy = true;
    auto started = std::chrono::steady_clock::now();
    Request request;
    Response response;
    std::string_view route = "unmatched";
    bool keep_alive = false;
    if (error_status != 0) {
      request.path = "/";
      request.request_id = uuid_v7();
      response = problem(error_status, error_status == 431   ? "Request headers are too large."
                                       : error_status == 413 ? "Request body is too large."
                                                             : "Malformed HTTP request.",
                         request);
    } else {
      auto& msg = parser.get();
      request.method = std::string(msg.method_string());
      request.target = std::string(msg.target());
      auto q = request.target.find('?');
      request.path = request.target.substr(0, q);
      if (q != std::string::npos) request.query = request.target.substr(q + 1);
      for (const auto& field : msg) request.headers.add(std::string(field.name_string()), std::string(field.value()));
      request.body = std::move(msg.body());
      request.remote_address = remote;
      auto rid = request.headers.get("x-request-id");
      request.request_id = rid && valid_request_id(*rid) ? std::string(*rid) : uuid_v7();
      if (auto tp = request.headers.get("traceparent")) request.traceparent = std::string(*tp);
      // Called without one (or with a malformed one): this request starts a trace, so what it
      // produces (events, calls to other services) carries a traceparent all the same.
      if (!is_valid_traceparent(request.traceparent)) request.traceparent = continue_or_start_trace("").traceparent;
      keep_alive = msg.keep_alive();
      std::optional<std::string> caller;
      if (!is_probe(request)) caller = mesh_caller(mesh, request);
      auto match = router.match(request);
      if (!is_probe(request) && !caller) {
        response = problem(401, "This service answers only callers inside the mesh (a valid X-Mesh-Auth credential).",
                           request);
        response.headers.add("WWW-Authenticate", "Mesh");
      } else if (match.handler == nullptr) {
        if (match.path_matched) {
          response = problem(405, "This method is not allowed on this resource.", request);
          response.headers.add("Allow", match.allow);
        } else {
          response = problem(404, "No such route.", request);
        }
      } else {
        request.caller = caller.value_or("");
        route = match.pattern;
        if (match.dispatch == Dispatch::inline_io) {
          response = invoke(*match.handler, request);
        } else {
          const Handler* handler = match.handler;
          response = co_await offload(workers, [this, handler, &request] { return invoke(*handler, request); });
        }
      }
    }

    http::response<http::string_body> out{static_cast<http::status>(response.status), 11};
    out.set(http::field::server, "shopmesh");
    if (!response.content_type.empty()) out.set(http::field::content_type, response.content_type);
    out.set("X-Request-Id", request.request_id);
    for (const auto& [k, v] : response.headers.items()) out.set(k, v);
    out.body() = std::move(response.body);
    keep_alive = keep_alive && !stopping && error_status == 0;
    out.keep_alive(keep_alive);
    out.prepare_payload();  // a HEAD answer states the GET answer's Content-Length, and sends no body
    deadline.expires_after(config.idle_timeout);
    auto [wec, written] = co_await asio::async_write(socket, wire::buffers(out, head, request.method == "HEAD"),
                                                     asio::as_tuple(asio::use_awaitable));
    state->busy = false;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    observe(route, request.method, response.status, seconds);
    if (response.status >= 500)
      log.error("request failed", {{"requestId", request.request_id}, {"method", request.method}, {"path", request.path},
                                   num("status", static_cast<long long>(response.status))});
    else if (log.enabled(LogLevel::debug))
      log.debug("request", {{"requestId", request.request_id}, {"method", request.method}, {"path", request.path},
                            num("status", static_cast<long long>(response.status)), num("seconds", seconds)});
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
  {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(state.get());
  }
  open_connections.Decrement();
}

Response HttpServer::Impl::invoke(const Handler& handler, Request& request) {
  try {
    return handler(request);
  } catch (const ClientError& e) {
    Response r;
    r.status = e.status();
    r.content_type = "application/problem+json";
    r.body = problem_json(e.status(), e.title(), e.what(), request.path, request.request_id, e.errors());
    return r;
  } catch (const Unavailable& e) {
    log.warn("dependency unavailable", {{"requestId", request.request_id}, {"error", e.what()}});
    return problem(503, "A dependency is temporarily unavailable; retry shortly.", request);
  } catch (const std::exception& e) {
    // The detail stays in the log: clients never see SQL text or internals.
    log.error("unhandled error", {{"requestId", request.request_id}, {"path", request.path}, {"error", e.what()}});
    return problem(500, "An unexpected error occurred.", request);
  }
}

void HttpServer::Impl::observe(std::string_view route, const std::string& method, int status, double seconds) {
  static const prometheus::Histogram::BucketBoundaries kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                0.05,   0.1,   0.25,   0.5,   1,    2.5};
  requests.Add({{"route", std::string(route)}, {"method", method}, {"status", std::to_string(status)}}).Increment();
  latency.Add({{"route", std::string(route)}}, kBuckets).Observe(seconds);
}

void HttpServer::Impl::begin_shutdown() {
  if (stopping.exchange(true)) return;
  log.info("shutting down: draining in-flight requests");
  asio::post(acceptor_strand, [this] {
    beast::error_code ignored;
    acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<SessionState>> live;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& [_, weak] : sessions)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) {
    asio::post(s->socket.get_executor(), [s] {
      boost::system::error_code ignored;
      if (!s->busy) s->socket.cancel(ignored);  // idle keep-alive: stop waiting for a request
    });
  }
  auto deadline = std::chrono::steady_clock::now() + config.shutdown_grace;
  auto timer = std::make_shared<asio::steady_timer>(ioc);
  auto check = std::make_shared<std::function<void()>>();
  *check = [this, timer, deadline, check] {
    bool empty;
    {
      std::lock_guard lock(sessions_mutex);
      empty = sessions.empty();
    }
    if (empty || std::chrono::steady_clock::now() >= deadline) {
      if (!empty) log.warn("grace period over: closing remaining connections");
      ioc.stop();
      *check = nullptr;  // break the self-reference
      return;
    }
    timer->expires_after(std::chrono::milliseconds(20));
    timer->async_wait([check](const boost::system::error_code&) {
      if (*check) (*check)();
    });
  };
  asio::post(ioc, [check] { (*check)(); });
}

HttpServer::HttpServer(const ServiceConfig& config, const Router& router, const MeshAuth& mesh, Logger& log,
                       prometheus::Registry& metrics)
    : impl_(std::make_unique<Impl>(config, router, mesh, log, metrics)) {}

HttpServer::~HttpServer() {
  impl_->workers.join();
}

void HttpServer::listen() {
  auto& a = impl_->acceptor;
  auto address = asio::ip::make_address(impl_->config.http_host);
  tcp::endpoint ep(address, impl_->config.http_port);
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
}

std::uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::run(bool handle_signals) {
  auto& s = *impl_;
  asio::signal_set signals(s.ioc);
  if (handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) impl_->begin_shutdown();
    });
  }
  asio::co_spawn(s.acceptor_strand, s.accept_loop(), asio::detached);
  s.log.info("listening", {{"address", s.config.http_host}, num("port", static_cast<long long>(port()))});
  std::vector<std::thread> extra;
  for (int i = 1; i < s.config.io_threads; ++i) extra.emplace_back([&s] {
    name_this_thread("http-io");
    s.ioc.run();
  });
  s.ioc.run();
  for (auto& t : extra) t.join();
}

void HttpServer::stop() { impl_->begin_shutdown(); }

}  // namespace shopmesh::core
