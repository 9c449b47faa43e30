// The only translation unit of the services that instantiates Beast: keep it that way.
#include "shopmesh/core/http_server.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <tuple>

#include "shopmesh/core/clock.hpp"
#include "shopmesh/core/config.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/http_listener.hpp"
#include "shopmesh/core/http_wire.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/mesh_auth.hpp"
#include "shopmesh/core/offload.hpp"
#include "shopmesh/core/plain_head.hpp"
#include "shopmesh/core/trace.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::core {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;

// Reads a request: method, target, headers and body into `request`, and whether the connection may
// stay open. A plain head (plain_head.hpp) with at most a Content-Length body within the limit is read
// without Beast's parser; anything else goes to Beast's from the first byte, as http::async_read.
// Errors are Beast's: end_of_stream before any byte, partial_message within a request.
asio::awaitable<beast::error_code> read_request(Connection& conn, beast::flat_buffer& buffer, std::uint64_t body_limit,
                                                Request& request, bool& keep_alive) {
  std::size_t searched = 0;  // of the buffer, for the head's end (0: the fast path has not looked yet)
  for (;;) {
    if (buffer.size() > 0) {
      const std::string_view bytes(static_cast<const char*>(buffer.data().data()), buffer.size());
      if (parse_due(bytes, kHeaderLimit, searched)) {
        std::optional<std::uint64_t> length;
        const PlainHead head = parse_plain_request(bytes, kHeaderLimit, request, keep_alive, length);
        const bool declined = head.state == PlainHead::State::declined || length.value_or(0) > body_limit;
        if (declined) break;  // Beast's, below
        if (head.state == PlainHead::State::parsed) {
          const std::size_t whole = head.length + static_cast<std::size_t>(length.value_or(0));
          while (buffer.size() < whole) {  // the body
            auto [read_ec, n] = co_await conn.socket.async_read_some(buffer.prepare(whole - buffer.size()),
                                                                     asio::as_tuple(asio::deferred));
            const auto ec = conn.deadline.checked(read_ec);
            if (ec == asio::error::eof) co_return http::error::partial_message;
            if (ec) co_return ec;
            buffer.commit(n);
          }
          request.body.assign(static_cast<const char*>(buffer.data().data()) + head.length, whole - head.length);
          buffer.consume(whole);
          co_return beast::error_code{};
        }
      }
    }
    auto [read_ec, n] = co_await conn.socket.async_read_some(buffer.prepare(4096), asio::as_tuple(asio::deferred));
    const auto ec = conn.deadline.checked(read_ec);
    if (ec == asio::error::eof) co_return buffer.size() > 0 ? http::error::partial_message : http::error::end_of_stream;
    if (ec) co_return ec;
    buffer.commit(n);
  }

  http::request_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(body_limit);
  auto [ec, bytes] = co_await http::async_read(conn.socket, buffer, parser, asio::as_tuple(asio::deferred));
  if (ec) co_return ec;
  auto& msg = parser.get();
  request = Request{};
  request.method = std::string(msg.method_string());
  request.target = std::string(msg.target());
  request.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
  for (const auto& field : msg) request.headers.add(field.name_string(), field.value());
  request.body = std::move(msg.body());
  keep_alive = msg.keep_alive();
  co_return beast::error_code{};
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

// The fields the server reads itself, the first of each, found in one pass over the request's.
struct ServerFields {
  std::optional<std::string_view> request_id;
  std::optional<std::string_view> traceparent;
  std::optional<std::string_view> credential;
  MeshIdentity identity;           // as MeshIdentity::of reads it
  bool identity_repeated = false;  // an identity header came twice
};

constexpr std::string_view kRequestIdField = "x-request-id";
constexpr std::string_view kTraceparentField = "traceparent";

// The lengths of the names server_fields looks for (a bit each): most fields a request carries have
// another, and are passed over without a comparison.
constexpr std::uint32_t kServerFieldLengths = [] {
  std::uint32_t lengths = (1u << kRequestIdField.size()) | (1u << kTraceparentField.size()) | (1u << MeshAuth::kHeader.size());
  for (std::string_view name : kIdentityHeaders) lengths |= 1u << name.size();
  return lengths;
}();

ServerFields server_fields(const Headers& headers) {
  ServerFields out;
  std::string_view* identity[] = {&out.identity.user_id, &out.identity.role, &out.identity.email,
                                  &out.identity.session_id};
  bool seen[std::size(kIdentityHeaders)] = {};
  for (const Headers::Field field : headers) {
    const std::string_view name = field.first;
    const std::string_view value = field.second;
    if (name.size() >= 32 || (kServerFieldLengths >> name.size() & 1u) == 0) continue;  // none of them
    const auto first = [value](std::optional<std::string_view>& slot) {
      if (!slot) slot = value;
    };
    if (iequals(name, kRequestIdField)) {
      first(out.request_id);
    } else if (iequals(name, kTraceparentField)) {
      first(out.traceparent);
    } else if (iequals(name, MeshAuth::kHeader)) {
      first(out.credential);
    } else {
      for (std::size_t i = 0; i < std::size(kIdentityHeaders); ++i) {
        if (!iequals(name, kIdentityHeaders[i])) continue;
        if (seen[i]) out.identity_repeated = true;
        else *identity[i] = value;
        seen[i] = true;
        break;
      }
    }
  }
  return out;
}

// The caller named by a valid X-Mesh-Auth credential for this request (see mesh_auth.hpp). An
// identity header given twice is refused: handlers read the first, the credential binds the first.
std::optional<std::string> mesh_caller(const MeshAuth& mesh, const Request& r, const ServerFields& fields) {
  if (!fields.credential || fields.identity_repeated) return std::nullopt;
  return mesh.verify(*fields.credential, r.method, r.target, fields.identity);
}

}  // namespace

struct HttpServer::Impl {
  Impl(const ServiceConfig& c, const Router& r, const MeshAuth& m, Logger& l, prometheus::Registry& registry)
      : config(c),
        router(r),
        mesh(m),
        log(l),
        ioc(io_concurrency_hint(c.io_threads)),
        workers(static_cast<std::size_t>(c.worker_threads)),
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
                             .Add({})),
        listeners(ioc, l,
                  ListenerOptions{.io_threads = c.io_threads,
                                  .max_connections = 0,  // the services are reached only through the mesh
                                  .max_connections_per_address = 0,
                                  .address_key = {},
                                  .header_timeout = c.header_timeout,
                                  .idle_timeout = c.idle_timeout,
                                  .shutdown_grace = c.shutdown_grace,
                                  .on_open = [this] { open_connections.Increment(); },
                                  .on_close = [this] { open_connections.Decrement(); },
                                  .on_refused = {}}) {}

  asio::awaitable<AfterAnswer> serve(Connection& conn, beast::flat_buffer& buffer);
  Response invoke(const Handler& handler, Request& request);
  void observe(std::string_view route, const std::string& method, int status, double seconds);

  // The series a (route, method, status) counts into, found once: Family::Add builds a metric (a
  // histogram's buckets too) on every call before it finds the one it has.
  struct Series {
    prometheus::Counter* requests;
    prometheus::Histogram* latency;
  };
  Series series(std::string_view route, std::string_view method, int status);

  const ServiceConfig& config;
  const Router& router;
  const MeshAuth& mesh;
  Logger& log;
  asio::io_context ioc;
  asio::thread_pool workers;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Gauge& open_connections;
  Listeners listeners;
  // Ordered by (route, method, status); looked up by views of them, without building strings.
  struct SeriesOrder {
    using is_transparent = void;
    using View = std::tuple<std::string_view, std::string_view, int>;
    static View view(const std::tuple<std::string, std::string, int>& k) {
      return {std::get<0>(k), std::get<1>(k), std::get<2>(k)};
    }
    static View view(const View& v) { return v; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return view(a) < view(b);
    }
  };
  std::mutex series_mutex;
  std::map<std::tuple<std::string, std::string, int>, Series, SeriesOrder> series_of;
};

asio::awaitable<AfterAnswer> HttpServer::Impl::serve(Connection& conn, beast::flat_buffer& buffer) {
  Request request;
  bool keep_alive = false;
  conn.deadline.expires_after(config.header_timeout);  // the rest of the request, once its first bytes came
  const auto ec = co_await read_request(conn, buffer, config.body_limit, request, keep_alive);
  conn.deadline.disarm();  // the handler's own time is not bounded by the connection's timeouts
  int error_status = 0;
  if (ec == http::error::header_limit) error_status = 431;
  else if (ec == http::error::body_limit) error_status = 413;
  else if (ec && ec.category() == beast::error_code(http::error::end_of_stream).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message)
    error_status = 400;
  else if (ec) co_return AfterAnswer::close;  // closed, timed out or aborted: nothing to answer

  auto started = std::chrono::steady_clock::now();
  Response response;
  std::string_view route = "unmatched";
  if (error_status != 0) {
    request = Request{};
    request.path = "/";
    request.request_id = uuid_v7();
    response = problem(error_status, error_status == 431   ? "Request headers are too large."
                                     : error_status == 413 ? "Request body is too large."
                                                           : "Malformed HTTP request.",
                       request);
  } else {
    auto q = request.target.find('?');
    request.path = request.target.substr(0, q);
    if (q != std::string::npos) request.query = request.target.substr(q + 1);
    request.remote_address = conn.remote;
    const ServerFields fields = server_fields(request.headers);
    const auto rid = fields.request_id;
    request.request_id = rid && is_valid_request_id(*rid) ? std::string(*rid) : uuid_v7();
    if (fields.traceparent) request.traceparent = std::string(*fields.traceparent);
    // Called without one (or with a malformed one): this request starts a trace, so what it
    // produces (events, calls to other services) carries a traceparent all the same.
    if (!is_valid_traceparent(request.traceparent)) request.traceparent = continue_or_start_trace("").traceparent;
    std::optional<std::string> caller;
    if (!is_probe(request)) caller = mesh_caller(mesh, request, fields);
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

  keep_alive = keep_alive && !listeners.draining() && error_status == 0;
  // 1xx, 204 and 304 answers have no body; a HEAD answer states the GET answer's length, and sends none.
  const bool bodiless = response.status / 100 == 1 || response.status == 204 || response.status == 304;
  conn.head.clear();
  wire::append_answer_head({.status = response.status,
                            .content_type = response.content_type,
                            .request_id = request.request_id,
                            .date = http_date(),  // RFC 9110 6.6.1: an origin server with a clock sends one
                            .keep_alive = keep_alive,
                            .body_size = response.body.size()},
                           response.headers, conn.head);
  const std::string_view body = bodiless || request.method == "HEAD" ? std::string_view() : response.body;
  const auto [wec, written] = co_await write_answer(conn, conn.head, body, config.idle_timeout);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  observe(route, request.method, response.status, seconds);
  if (response.status >= 500)
    log.error("request failed", {{"requestId", request.request_id}, {"method", request.method}, {"path", request.path},
                                 num("status", static_cast<long long>(response.status))});
  else if (log.enabled(LogLevel::debug))
    log.debug("request", {{"requestId", request.request_id}, {"method", request.method}, {"path", request.path},
                          num("status", static_cast<long long>(response.status)), num("seconds", seconds)});
  if (wec) co_return AfterAnswer::close;
  if (error_status != 0) co_return AfterAnswer::linger;
  co_return keep_alive ? AfterAnswer::keep_alive : AfterAnswer::close;
}

Response HttpServer::Impl::invoke(const Handler& handler, Request& request) {
  try {
    return handler(request);
  } catch (const DomainError& e) {
    return problem(status_of(e.fault()), e.what(), request, e.errors());
  } catch (const Unavailable& e) {
    log.warn("dependency unavailable", {{"requestId", request.request_id}, {"error", e.what()}});
    return problem(503, "A dependency is temporarily unavailable; retry shortly.", request);
  } catch (const std::exception& e) {
    // The detail stays in the log: clients never see SQL text or internals.
    log.error("unhandled error", {{"requestId", request.request_id}, {"path", request.path}, {"error", e.what()}});
    return problem(500, "An unexpected error occurred.", request);
  }
}

HttpServer::Impl::Series HttpServer::Impl::series(std::string_view route, std::string_view method, int status) {
  static const prometheus::Histogram::BucketBoundaries kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                0.05,   0.1,   0.25,   0.5,   1,    2.5};
  std::lock_guard lock(series_mutex);
  const SeriesOrder::View key{route, method, status};
  if (auto it = series_of.find(key); it != series_of.end()) return it->second;
  const Series s{&requests.Add({{"route", std::string(route)}, {"method", std::string(method)},
                                {"status", std::to_string(status)}}),
                 &latency.Add({{"route", std::string(route)}}, kBuckets)};
  series_of.emplace(std::tuple{std::string(route), std::string(method), status}, s);
  return s;
}

void HttpServer::Impl::observe(std::string_view route, const std::string& method, int status, double seconds) {
  const Series s = series(route, method, status);
  s.requests->Increment();
  s.latency->Observe(seconds);
}

HttpServer::HttpServer(const ServiceConfig& config, const Router& router, const MeshAuth& mesh, Logger& log,
                       prometheus::Registry& metrics)
    : impl_(std::make_unique<Impl>(config, router, mesh, log, metrics)) {}

HttpServer::~HttpServer() {
  impl_->workers.join();
}

void HttpServer::listen() { impl_->listeners.add(impl_->config.http_host, impl_->config.http_port); }

std::uint16_t HttpServer::port() const { return impl_->listeners.port(0); }

void HttpServer::run(bool handle_signals) {
  auto& s = *impl_;
  s.listeners.start([&s](Connection& conn, beast::flat_buffer& buffer) { return s.serve(conn, buffer); });
  s.log.info("listening", {{"address", s.config.http_host}, num("port", static_cast<long long>(port()))});
  s.listeners.run(handle_signals);
}

void HttpServer::stop() { impl_->listeners.drain(); }

}  // namespace shopmesh::core
