// The gateway's server-side Beast translation unit: the adapter between sockets and the plain
// decision code (routes, auth, rate limits, cache, CORS, docs).
#include "server.hpp"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <rapidjson/document.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <unordered_map>
#include <mutex>
#include <thread>

#include "auth.hpp"
#include "config.hpp"
#include "cors.hpp"
#include "docs_site.hpp"
#include "http_rules.hpp"
#include "jwks_client.hpp"
#include "kafka_probe.hpp"
#include "metrics.hpp"
#include "rate_limit.hpp"
#include "response_cache.hpp"
#include "revocation.hpp"
#include "revocation_feed.hpp"
#include "routes.hpp"
#include "session_check.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/http_wire.hpp"
#include "shopmesh/core/io_deadline.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/uuid.hpp"
#include "trace.hpp"
#include "upstream.hpp"

namespace shopmesh::gateway {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr auto kSweepEvery = std::chrono::seconds(10);

using Response = http::response<http::string_body>;

struct Connection {
  Connection(tcp::socket s, std::string address, bool admin)
      : socket(std::move(s)), address(std::move(address)), admin(admin) {}
  tcp::socket socket;
  std::string address;  // client_rate_key of the peer: what the per-address connection cap counts
  bool admin;           // accepted on the admin listener
  core::IoDeadline deadline{socket};
  std::atomic<bool> busy{false};
};

bool iequals(std::string_view a, std::string_view b) {
  return beast::iequals(a, b);
}

// http::async_read_header, except that the head's raw bytes are seen as the parser consumes them,
// so that obsolete line folding is noticed (Beast unfolds it silently). Errors are Beast's: the end
// of the stream is end_of_stream before any byte, partial_message within a head.
asio::awaitable<beast::error_code> read_head(tcp::socket& socket, const core::IoDeadline& deadline,
                                             beast::flat_buffer& buffer, RequestParser& parser, bool& folded) {
  bool at_line_start = false;
  for (;;) {
    if (buffer.size() > 0) {
      beast::error_code ec;
      const auto data = buffer.data();
      const std::size_t used = parser.put(data, ec);
      if (has_obs_fold({static_cast<const char*>(data.data()), used}, at_line_start)) folded = true;
      buffer.consume(used);
      if (ec && ec != http::error::need_more) co_return ec;
      if (parser.is_header_done()) co_return beast::error_code{};
    }
    auto [read_ec, n] = co_await socket.async_read_some(buffer.prepare(4096), asio::as_tuple(asio::use_awaitable));
    const auto ec = deadline.checked(read_ec);
    if (ec == asio::error::eof) {
      if (!parser.got_some()) co_return beast::error_code(http::error::end_of_stream);
      beast::error_code eof;
      parser.put_eof(eof);
      co_return eof ? eof : beast::error_code(http::error::partial_message);
    }
    if (ec) co_return ec;
    buffer.commit(n);
  }
}

std::optional<std::string_view> header_value(const Request& req, http::field f) {
  auto it = req.find(f);
  if (it == req.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

// Content-Length / chunked framing for the answer; 1xx, 204 and 304 carry no body (and Beast's
// prepare_payload refuses them one), and a 304 keeps the Content-Length of what it validates.
void frame_payload(Response& res) {
  const auto status = res.result();
  if (status == http::status::no_content || status == http::status::not_modified ||
      http::to_status_class(status) == http::status_class::informational) {
    res.body().clear();
    res.erase(http::field::transfer_encoding);
    if (status != http::status::not_modified) res.erase(http::field::content_length);
    return;
  }
  res.prepare_payload();
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// Per-request facts gathered along the way, for the response headers and the access log.
struct Exchange {
  std::string request_id;
  TraceContext trace;
  std::string method = "-";
  std::string path = "/";
  std::string query;  // with its leading '?', or empty
  const Route* route = nullptr;
  std::size_t route_id = 0;
  std::string_view upstream;  // an instance name, alive as long as its pool
  std::string user_id;
  std::string origin;
  std::string_view cache_tag;
  std::string_view auth_error;
  RateDecision rate;
  bool head = false;
};

}  // namespace

struct GatewayServer::Impl {
  explicit Impl(const GatewayParts& p)
      : parts(p),
        config(p.config),
        routes(p.routes),
        log(p.log),
        metrics(p.metrics),
        ioc(p.config.io_threads),
        acceptor_strand(asio::make_strand(ioc)),
        acceptor(acceptor_strand),
        admin_acceptor(acceptor_strand),
        parser_limits(p.config.header_limit, p.routes),
        user_rate_class(p.limiter.class_id("user")) {
    std::size_t service_id = 0;
    for (const auto& [service, instances] : config.upstreams) {
      pools.emplace(service, std::make_unique<UpstreamPool>(ioc, service, instances, config));
      service_ids.emplace(service, service_id++);
    }
    for (const auto& r : routes.routes()) {
      route_rate_class.push_back(p.limiter.class_id(r.rate_class));
      if (r.cache) cached_services.push_back(r.service);
    }
    auto auth_pool = pools.find("auth");
    sessions = std::make_unique<SessionChecker>(auth_pool == pools.end() ? nullptr : auth_pool->second.get(), p.mesh,
                                                config.session_check_ttl, std::chrono::milliseconds{2'000});
  }

  std::size_t builtin(BuiltinRoute b) const { return builtin_route_id(routes.routes().size(), b); }

  asio::awaitable<void> accept_loop(tcp::acceptor& from, bool admin);
  asio::awaitable<void> session(std::shared_ptr<Connection> conn);
  asio::awaitable<Response> handle(Request& req, Exchange& ex, const std::string& remote, const std::string& rate_key);
  Response admin_endpoint(const Request& req, Exchange& ex);
  asio::awaitable<Response> proxy(Request& req, Exchange& ex, const std::string& remote, const AuthOutcome& outcome);
  asio::awaitable<Response> health(const Request& req);
  asio::awaitable<void> wait_for_jwks();
  asio::awaitable<std::optional<Response>> refuse_if_revoked(const Identity& identity, const Exchange& ex,
                                                             unsigned version);
  asio::awaitable<void> sweeper();
  std::optional<Response> builtin_endpoint(const Request& req, Exchange& ex);
  Response problem(http::status status, std::string_view detail, const Exchange& ex, unsigned version) const;
  Response unauthorized(const Exchange& ex, unsigned version, bool token_present, std::string_view reason) const;
  void begin_shutdown();

  GatewayParts parts;
  const GatewayConfig& config;
  const RouteTable& routes;
  core::Logger& log;
  GatewayMetrics& metrics;
  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> acceptor_strand;
  tcp::acceptor acceptor;
  tcp::acceptor admin_acceptor;
  const ParserLimits parser_limits;
  const int user_rate_class;
  std::vector<int> route_rate_class;         // by route index
  std::vector<std::string> cached_services;  // services behind a cached route
  std::map<std::string, std::unique_ptr<UpstreamPool>> pools;
  std::map<std::string, std::size_t> service_ids;
  std::unique_ptr<SessionChecker> sessions;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connection_count{0};
  std::mutex connections_mutex;
  std::map<Connection*, std::weak_ptr<Connection>> connections;
  std::unordered_map<std::string, std::size_t> connections_of;  // open connections per client address
};

Response GatewayServer::Impl::problem(http::status status, std::string_view detail, const Exchange& ex,
                                      unsigned version) const {
  const int code = static_cast<int>(status);
  Response res{status, version};
  res.set(http::field::content_type, "application/problem+json");
  res.set(http::field::cache_control, "no-store");
  res.body() = core::problem_json(code, core::reason_phrase(code), detail, ex.path, ex.request_id);
  return res;
}

Response GatewayServer::Impl::unauthorized(const Exchange& ex, unsigned version, bool token_present,
                                           std::string_view reason) const {
  std::string_view detail = "Authentication is required: send Authorization: Bearer <access token>.";
  if (token_present) {
    if (reason == "expired")
      detail = "The access token has expired.";
    else if (reason == "revoked")
      detail = "The access token has been revoked.";
    else
      detail = "The access token is invalid.";
  }
  Response res = problem(http::status::unauthorized, detail, ex, version);
  res.set(http::field::www_authenticate, token_present
                                             ? std::string(R"(Bearer realm="shopmesh", error="invalid_token")")
                                             : std::string(R"(Bearer realm="shopmesh")"));
  return res;
}

asio::awaitable<void> GatewayServer::Impl::accept_loop(tcp::acceptor& from, bool admin) {
  while (!stopping) {
    // A connection's handlers run one at a time: on its own strand when several threads run the
    // io_context, directly on it when one does (no strand to pay for).
    const asio::any_io_executor executor = config.io_threads > 1 ? asio::any_io_executor(asio::make_strand(ioc))
                                                                 : asio::any_io_executor(ioc.get_executor());
    auto [ec, socket] = co_await from.async_accept(executor, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) break;
      log.warn("accept failed", {{"error", ec.message()}});
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
        asio::steady_timer pause(acceptor_strand, std::chrono::milliseconds(50));  // fd exhaustion: back off
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      continue;
    }
    beast::error_code ignored;
    const auto peer = socket.remote_endpoint(ignored);
    std::string address = ignored ? std::string() : client_rate_key(peer.address().to_string());
    bool admitted = connection_count.load() < config.max_connections;  // over the cap: refuse, not degrade
    std::shared_ptr<Connection> conn;
    if (admitted) {
      // One address (a client holding idle connections, a flood) gets only its share of the cap,
      // so a request from anyone else is still served at once.
      std::lock_guard lock(connections_mutex);
      auto& held = connections_of[address];
      admitted = held < config.max_connections_per_address;
      if (admitted) {
        ++held;
        conn = std::make_shared<Connection>(std::move(socket), std::move(address), admin);
        connections.emplace(conn.get(), conn);
      } else if (held == 0) {
        connections_of.erase(address);
      }
    }
    if (!admitted) {
      socket.close(ignored);
      metrics.connection_refused();
      continue;
    }
    conn->socket.set_option(tcp::no_delay(true), ignored);
    ++connection_count;
    auto ex = conn->socket.get_executor();
    asio::co_spawn(ex, session(std::move(conn)), asio::detached);
  }
}

asio::awaitable<void> GatewayServer::Impl::session(std::shared_ptr<Connection> conn) {
  metrics.connection_opened();
  auto& socket = conn->socket;
  auto& deadline = conn->deadline;
  beast::flat_buffer buffer;
  std::string head;  // the response head being written, its capacity reused
  std::string remote;
  {
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  const std::string rate_key = client_rate_key(remote);
  bool first = true;
  while (!stopping) {
    // Waiting for the next request: a new connection gets the header timeout for its first
    // byte, a kept-alive one the idle timeout.
    if (buffer.size() == 0) {
      deadline.expires_after(first ? config.header_timeout : config.idle_timeout);
      auto [ec, n] = co_await socket.async_read_some(buffer.prepare(4096), asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      buffer.commit(n);
    }
    first = false;
    conn->busy = true;
    const auto started = std::chrono::steady_clock::now();
    RequestParser parser;
    parser_limits.apply(parser);  // the route's own body limit is applied once it is known
    // The whole header must arrive within the header timeout: slow clients are closed.
    deadline.expires_after(config.header_timeout);
    bool folded = false;
    const beast::error_code hec = co_await read_head(socket, deadline, buffer, parser, folded);

    Exchange ex;
    ex.route_id = builtin(BuiltinRoute::none);
    Response res;
    bool keep_alive = false;
    bool linger = false;  // the client may still be sending: drain a little before closing
    auto fail = [&](http::status s, std::string_view detail) {
      if (ex.request_id.empty()) ex.request_id = core::uuid_v7();
      res = problem(s, detail, ex, 11);
      keep_alive = false;
      linger = true;
    };
    if (hec) {
      const auto refusal = refusal_for_read_error(hec, ReadPhase::head);
      if (!refusal) {
        if (hec == beast::error::timeout) log.info("closed a slow client: header timeout", {{"remote", remote}});
        break;
      }
      fail(refusal->status, refusal->detail);
    } else {
      auto& header = parser.get();
      ex.method = std::string(header.method_string());
      ex.head = header.method() == http::verb::head;
      auto rid = header["x-request-id"];
      ex.request_id = is_valid_request_id(rid) ? std::string(rid) : core::uuid_v7();
      ex.trace = continue_or_start_trace(header["traceparent"]);
      ex.origin = std::string(header["origin"]);
      auto checked = check_head(parser, routes);
      if (folded && !checked.refusal)
        checked.refusal = Refusal{http::status::bad_request, "Header line folding (obs-fold) is not accepted."};
      ex.path = std::move(checked.path);
      ex.query = std::move(checked.query);
      ex.route = checked.route;
      if (checked.refusal) {
        fail(checked.refusal->status, checked.refusal->detail);
      } else {
        parser.body_limit(checked.body_limit);
        bool body_ok = true;
        if (!parser.is_done()) {
          if (iequals(header[http::field::expect], "100-continue")) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            deadline.expires_after(config.header_timeout);
            auto [cec, cn] = co_await asio::async_write(socket, asio::buffer(kContinue.data(), kContinue.size()),
                                                        asio::as_tuple(asio::use_awaitable));
            if (cec) break;
          }
          deadline.expires_after(config.body_timeout);
          auto [read_ec, bn] = co_await http::async_read(socket, buffer, parser, asio::as_tuple(asio::use_awaitable));
          if (const auto bec = deadline.checked(read_ec)) {
            const auto refusal = refusal_for_read_error(bec, ReadPhase::body);
            if (!refusal) break;
            fail(refusal->status, refusal->detail);
            body_ok = false;
          }
        }
        deadline.disarm();  // the upstream's own timeout bounds the time until the answer
        if (body_ok) {
          auto req = parser.release();
          keep_alive = req.keep_alive();
          try {
            // (No co_await inside ?: : GCC 12 destroys such a temporary twice.)
            if (conn->admin)
              res = admin_endpoint(req, ex);
            else
              res = co_await handle(req, ex, remote, rate_key);
          } catch (const std::exception& e) {
            log.error("request failed", {{"requestId", ex.request_id}, {"error", e.what()}});
            res = problem(http::status::internal_server_error, "The gateway failed to handle this request.", ex,
                          req.version());
            keep_alive = false;
          }
        }
      }
    }

    res.set("X-Request-Id", ex.request_id);
    if (!ex.origin.empty())
      for (auto& [k, v] : parts.cors.response_headers(ex.origin)) res.set(k, v);
    if (ex.rate.enabled) {
      res.set("RateLimit-Limit", std::to_string(ex.rate.limit));
      res.set("RateLimit-Remaining", std::to_string(ex.rate.remaining));
      res.set("RateLimit-Reset", std::to_string(ex.rate.reset_s));
    }
    keep_alive = keep_alive && !stopping;
    res.keep_alive(keep_alive);
    const auto status = res.result_int();
    const auto bytes = res.body().size();
    deadline.expires_after(config.idle_timeout);
    beast::error_code wec;
    if (ex.head) {
      // The answer to HEAD carries the GET answer's headers (an upstream's Content-Length is kept).
      if (res.find(http::field::content_length) == res.end() && !res.body().empty()) frame_payload(res);
      res.body().clear();
    } else {
      frame_payload(res);
    }
    std::tie(wec, std::ignore) = co_await asio::async_write(socket, core::wire::buffers(res, head, ex.head),
                                                            asio::as_tuple(asio::use_awaitable));
    conn->busy = false;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics.request(ex.route_id, ex.method, static_cast<int>(status), seconds);
    log.info("access", {{"requestId", ex.request_id},
                        {"traceId", ex.trace.trace_id},
                        {"method", ex.method},
                        {"path", ex.path},
                        core::num("status", static_cast<long long>(status)),
                        core::num("bytes", static_cast<long long>(bytes)),
                        {"upstream", ex.upstream},
                        core::num("durationMs", seconds * 1000.0),
                        {"remote", remote},
                        {"userId", ex.user_id},
                        {"cache", ex.cache_tag},
                        {"authError", ex.auth_error}});
    if (linger && !wec) {
      // Half-close and read what the client still sends (bounded), so it sees our answer
      // instead of a reset.
      beast::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      deadline.expires_after(kLingerTime);
      std::size_t drained = 0;
      std::array<char, 16 * 1024> sink;
      while (drained < kLingerBytes) {
        auto [dec, dn] = co_await socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
        if (dec) break;
        drained += dn;
      }
      break;
    }
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
  {
    std::lock_guard lock(connections_mutex);
    connections.erase(conn.get());
    if (auto it = connections_of.find(conn->address); it != connections_of.end() && --it->second == 0)
      connections_of.erase(it);
  }
  --connection_count;
  metrics.connection_closed();
}

// The admin listener (loopback by default): metrics and liveness, nothing routed, no rate limits.
Response GatewayServer::Impl::admin_endpoint(const Request& req, Exchange& ex) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    Response res = problem(http::status::method_not_allowed, "The admin listener only answers GET.", ex, req.version());
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  const std::string& path = ex.path;
  if (path == "/metrics") {
    ex.route_id = builtin(BuiltinRoute::metrics);
    if (!config.metrics_token.empty()) {
      auto token = bearer_token(header_value(req, http::field::authorization).value_or(""));
      if (!token || !constant_time_equals(*token, config.metrics_token))
        return unauthorized(ex, req.version(), header_value(req, http::field::authorization).has_value(), "");
    }
    metrics.revocations(parts.revocations.size());
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.body() = prometheus::TextSerializer().Serialize(parts.registry.Collect());
    return res;
  }
  if (path == "/health") return *builtin_endpoint(req, ex);
  return problem(http::status::not_found, "The admin listener serves /metrics and /health.", ex, req.version());
}

std::optional<Response> GatewayServer::Impl::builtin_endpoint(const Request& req, Exchange& ex) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) return std::nullopt;
  const std::string& path = ex.path;
  if (path == "/health") {  // liveness of the gateway process itself
    ex.route_id = builtin(BuiltinRoute::health);
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.body() = R"({"service":"gateway","status":"ok"})";
    return res;
  }
  if (path == "/api/openapi.yaml") {
    ex.route_id = builtin(BuiltinRoute::openapi);
    auto doc = parts.docs.openapi();
    if (doc.status != DocsSite::Status::ok)
      return problem(http::status::not_found, "The OpenAPI document (" + parts.docs.openapi_file() + ") is not there.",
                     ex, req.version());
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, doc.content_type);
    res.set(http::field::cache_control, "no-cache");
    res.body() = *doc.body;
    return res;
  }
  constexpr std::string_view kDocs = "/api/docs";
  if (path == kDocs || (path.size() > kDocs.size() && path.compare(0, kDocs.size() + 1, "/api/docs/") == 0)) {
    ex.route_id = builtin(BuiltinRoute::docs);
    const std::string_view name = path.size() > kDocs.size() ? std::string_view(path).substr(kDocs.size() + 1) : "";
    auto file = parts.docs.docs_file(name);
    if (file.status == DocsSite::Status::not_installed)
      return problem(http::status::service_unavailable,
                     "Swagger UI is not installed (run scripts/bootstrap, or set SWAGGER_UI_DIR).", ex, req.version());
    if (file.status != DocsSite::Status::ok)
      return problem(http::status::not_found, "No such file.", ex, req.version());
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, file.content_type);
    res.set(http::field::cache_control, name.empty() || name == "index.html" || name == "swagger-initializer.js"
                                            ? "no-cache"
                                            : "public, max-age=3600");
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = *file.body;
    return res;
  }
  return std::nullopt;
}

asio::awaitable<void> GatewayServer::Impl::wait_for_jwks() {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, config.jwks_wait);
  // The callback may run on the JWKS thread: hop onto our strand before touching the timer. This
  // coroutine runs on that strand, so the cancel cannot happen before the wait has started.
  parts.jwks.refetch([timer] { asio::post(timer->get_executor(), [timer] { timer->cancel(); }); });
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<Response> GatewayServer::Impl::handle(Request& req, Exchange& ex, const std::string& remote,
                                                      const std::string& rate_key) {
  const unsigned version = req.version();
  // CORS preflight: answered here, before routing and authentication (browsers send no token).
  if (CorsPolicy::is_preflight(ex.method, ex.origin, req["access-control-request-method"])) {
    ex.route_id = builtin(BuiltinRoute::preflight);
    Response res{http::status::no_content, version};
    for (auto& [k, v] : parts.cors.preflight_headers(ex.origin, req["access-control-request-method"],
                                                     req["access-control-request-headers"]))
      res.set(k, v);
    ex.origin.clear();  // the preflight headers already carry what CORS needs
    co_return res;
  }
  if (ex.path == "/api/health" && (req.method() == http::verb::get || req.method() == http::verb::head)) {
    ex.route_id = builtin(BuiltinRoute::api_health);
    co_return co_await health(req);
  }
  if (auto res = builtin_endpoint(req, ex)) co_return std::move(*res);

  const Route* route = ex.route;
  if (route == nullptr) co_return problem(http::status::not_found, "No such route.", ex, version);
  ex.route_id = route->index;

  // Per client address first: it is cheap and protects the token verification behind it.
  const int ip_class = route_rate_class[route->index];
  if (ip_class >= 0) {
    ex.rate = parts.limiter.check(ip_class, rate_key, std::chrono::steady_clock::now());
    if (!ex.rate.allowed) {
      metrics.rate_limited(static_cast<std::size_t>(ip_class));
      Response res =
          problem(http::status::too_many_requests, "Too many requests: slow down and retry later.", ex, version);
      res.set(http::field::retry_after, std::to_string(ex.rate.retry_after_s));
      co_return res;
    }
  }

  const auto authorization = header_value(req, http::field::authorization);
  auto outcome = parts.auth.authenticate(authorization, std::chrono::system_clock::now());
  if (outcome.state == TokenState::invalid && !outcome.unknown_kid.empty() && config.jwks_wait.count() > 0) {
    co_await wait_for_jwks();  // a new signing key, or the JWKS not loaded yet: look once more
    outcome = parts.auth.authenticate(authorization, std::chrono::system_clock::now());
  }
  if (outcome.state == TokenState::invalid) {
    ex.auth_error = outcome.reason;
    metrics.auth_failure(outcome.reason);
  }
  if (outcome.identity) ex.user_id = outcome.identity->user_id;
  switch (decide_access(route->auth, outcome)) {
    case Access::allow:
      break;
    case Access::unauthenticated:
      co_return unauthorized(ex, version, authorization.has_value(), outcome.reason);
    case Access::forbidden: {
      Response res = problem(http::status::forbidden, "This route is for administrators.", ex, version);
      res.set(http::field::www_authenticate, R"(Bearer realm="shopmesh", error="insufficient_scope")");
      co_return res;
    }
  }
  if (outcome.identity) {
    if (auto refusal = co_await refuse_if_revoked(*outcome.identity, ex, version)) co_return std::move(*refusal);
  }
  if (outcome.identity && user_rate_class >= 0) {
    auto d = parts.limiter.check(user_rate_class, outcome.identity->user_id, std::chrono::steady_clock::now());
    if (d.enabled && (!ex.rate.enabled || !d.allowed || d.remaining < ex.rate.remaining)) ex.rate = d;
    if (!d.allowed) {
      metrics.rate_limited(static_cast<std::size_t>(user_rate_class));
      Response res =
          problem(http::status::too_many_requests, "Too many requests: slow down and retry later.", ex, version);
      res.set(http::field::retry_after, std::to_string(d.retry_after_s));
      co_return res;
    }
  }
  co_return co_await proxy(req, ex, remote, outcome);
}

// Revocation fails closed. The revocation set alone decides only while the feed vouches for every
// revocation published up to GATEWAY_REVOCATION_MAX_LAG_MS ago; before the start-up replay is
// complete a token is not served (503); when the feed is stale (broker down, consumer behind, or
// events off) auth is asked about the session, and no answer is a 503, never a pass.
asio::awaitable<std::optional<Response>> GatewayServer::Impl::refuse_if_revoked(const Identity& identity,
                                                                               const Exchange& ex, unsigned version) {
  if (parts.feed.fresh(std::chrono::system_clock::now(), config.revocation_max_lag)) co_return std::nullopt;
  auto unavailable = [&](std::string_view detail) {
    Response res = problem(http::status::service_unavailable, detail, ex, version);
    res.set(http::field::retry_after, "1");
    return res;
  };
  if (config.events_enabled && !parts.feed.replayed())
    co_return unavailable("The gateway is still loading recent session revocations; retry shortly.");
  metrics.session_check();
  switch (co_await sessions->check(identity, ex.request_id)) {
    case SessionChecker::State::active:
      co_return std::nullopt;
    case SessionChecker::State::revoked:
      metrics.auth_failure("revoked");
      co_return unauthorized(ex, version, true, "revoked");
    case SessionChecker::State::unknown:
      break;
  }
  co_return unavailable("Sessions cannot be checked right now (the revocation feed is behind and auth did not "
                        "answer); retry shortly.");
}

asio::awaitable<Response> GatewayServer::Impl::proxy(Request& req, Exchange& ex, const std::string& remote,
                                                     const AuthOutcome& outcome) {
  const Route& route = *ex.route;
  const unsigned version = req.version();
  auto& cache = parts.cache;
  // Only anonymous GETs of cached routes: a response to a token holder may be personal.
  const bool cacheable = route.cache && req.method() == http::verb::get && cache.enabled() &&
                         req.find(http::field::authorization) == req.end();
  std::string cache_key;
  std::uint64_t generation = 0;
  if (cacheable) {
    cache_key = ex.path + ex.query;
    if (auto hit = cache.get(cache_key, std::chrono::steady_clock::now())) {
      metrics.cache(GatewayMetrics::CacheResult::hit);
      ex.cache_tag = "HIT";
      Response res{static_cast<http::status>(hit->status), version};
      for (const auto& [k, v] : hit->headers) res.set(k, v);
      res.set("X-Cache", "HIT");
      res.set(http::field::age, std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                   std::chrono::steady_clock::now() - hit->stored_at)
                                                   .count()));
      res.body() = hit->body;
      co_return res;
    }
    metrics.cache(GatewayMetrics::CacheResult::miss);
    ex.cache_tag = "MISS";
    generation = cache.generation();
  }

  auto pool_it = pools.find(route.service);
  if (pool_it == pools.end())
    co_return problem(http::status::bad_gateway, "No upstream is configured for this route.", ex, version);

  // The upstream request is the client's, edited in place.
  const std::string target = ex.path + ex.query;
  prepare_upstream_request(req,
                           {target, ex.request_id, ex.trace.traceparent, remote, outcome.identity.get(), &parts.mesh});

  auto result = co_await pool_it->second->send(req, route.timeout);
  ex.upstream = result.instance;
  const std::size_t service_id = service_ids[route.service];
  switch (result.failure) {
    case UpstreamFailure::none:
      break;
    case UpstreamFailure::timeout:
      metrics.upstream_error(service_id, GatewayMetrics::UpstreamError::timeout);
      log.warn("upstream timeout",
               {{"requestId", ex.request_id}, {"upstream", result.instance}, {"error", result.error}});
      co_return problem(http::status::gateway_timeout, "The upstream service did not answer in time.", ex, version);
    case UpstreamFailure::unavailable:
      metrics.upstream_error(service_id, GatewayMetrics::UpstreamError::unavailable);
      log.warn("upstream unavailable",
               {{"requestId", ex.request_id}, {"service", route.service}, {"error", result.error}});
      {
        Response res = problem(http::status::service_unavailable, "The upstream service is unavailable; retry shortly.",
                               ex, version);
        res.set(http::field::retry_after, std::to_string(std::max<long long>(1, config.eject_for.count() / 1000)));
        co_return res;
      }
    case UpstreamFailure::connect:
    case UpstreamFailure::io:
      metrics.upstream_error(service_id, result.failure == UpstreamFailure::connect
                                             ? GatewayMetrics::UpstreamError::connect
                                             : GatewayMetrics::UpstreamError::io);
      log.warn("upstream failure",
               {{"requestId", ex.request_id}, {"upstream", result.instance}, {"error", result.error}});
      co_return problem(http::status::bad_gateway, "The upstream service failed to answer.", ex, version);
  }
  Response res = std::move(result.response);
  res.version(version);
  strip_hop_by_hop(res);

  const int status = res.result_int();
  if (cacheable) {
    res.set("X-Cache", "MISS");
    const auto cc = res[http::field::cache_control];
    const bool storable = status == 200 && cc.find("no-store") == beast::string_view::npos &&
                          cc.find("private") == beast::string_view::npos &&
                          res.find(http::field::set_cookie) == res.end();
    if (storable) {
      CachedResponse entry;
      entry.status = status;
      for (const auto& f : res) {
        const std::string_view name(f.name_string().data(), f.name_string().size());
        if (iequals(name, "x-request-id") || iequals(name, "date") || iequals(name, "content-length") ||
            iequals(name, "x-cache"))
          continue;
        entry.headers.emplace_back(std::string(name), std::string(f.value()));
      }
      entry.body = res.body();
      if (cache.put(std::move(cache_key), std::move(entry), generation, std::chrono::steady_clock::now()))
        metrics.cache(GatewayMetrics::CacheResult::store);
    }
  } else if (status >= 200 && status < 300 && req.method() != http::verb::get && req.method() != http::verb::head &&
             std::find(cached_services.begin(), cached_services.end(), route.service) != cached_services.end()) {
    // A successful write through this gateway: forget at once (read-your-writes here); the
    // catalog event clears the other gateway instances.
    cache.invalidate_all();
    metrics.cache_invalidated();
  }
  co_return res;
}

asio::awaitable<Response> GatewayServer::Impl::health(const Request& req) {
  struct Gather {
    explicit Gather(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::size_t pending = 0;
    std::map<std::string, std::pair<bool, bool>> results;  // service -> (up, postgres ok)
    std::map<std::string, std::string> outboxes;            // service -> its outbox slot's figures (JSON)
  };
  auto ex = co_await asio::this_coro::executor;
  auto gather = std::make_shared<Gather>(ex);
  gather->pending = pools.size();
  for (auto& [name, pool] : pools) {
    asio::co_spawn(
        ex,
        [this, gather, name = name, pool = pool.get()]() -> asio::awaitable<void> {
          Request probe{http::verb::get, "/health", 11};
          probe.set(http::field::host, "health");
          probe.keep_alive(true);
          auto r = co_await pool->send(probe, config.health_timeout);
          bool up = r.failure == UpstreamFailure::none && r.response.result_int() == 200;
          bool pg = false;
          if (r.failure == UpstreamFailure::none) {
            rapidjson::Document d;
            d.Parse(r.response.body().c_str());
            pg = !d.HasParseError() && d.IsObject() && d.HasMember("checks") && d["checks"].IsObject() &&
                 d["checks"].HasMember("postgres") && d["checks"]["postgres"].IsString() &&
                 std::string_view(d["checks"]["postgres"].GetString()) == "ok";
            if (!d.HasParseError() && d.IsObject() && d.HasMember("details") && d["details"].IsObject() &&
                d["details"].HasMember("outbox") && d["details"]["outbox"].IsObject()) {
              rapidjson::StringBuffer figures;
              rapidjson::Writer<rapidjson::StringBuffer> fw(figures);
              d["details"]["outbox"].Accept(fw);
              gather->outboxes[name].assign(figures.GetString(), figures.GetSize());
            }
          }
          gather->results[name] = {up, pg};
          if (--gather->pending == 0) gather->timer.cancel();
        },
        asio::detached);
  }
  if (gather->pending > 0) {
    gather->timer.expires_after(config.health_timeout + std::chrono::milliseconds(500));
    co_await gather->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  std::size_t up_count = 0;
  bool postgres_ok = true;
  w.StartObject();
  w.Key("services");
  w.StartObject();
  for (const auto& [name, _] : pools) {
    auto it = gather->results.find(name);
    bool up = it != gather->results.end() && it->second.first;
    postgres_ok = postgres_ok && it != gather->results.end() && it->second.second;
    up_count += up ? 1 : 0;
    core::json::kv(w, name, up ? "ok" : "down");
  }
  w.EndObject();
  // Each relay's backlog: WAL its slot retains, and how much the relay has not yet confirmed.
  w.Key("outbox");
  w.StartObject();
  for (const auto& [name, figures] : gather->outboxes) {
    w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
    w.RawValue(figures.data(), figures.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  const bool kafka_ok = parts.kafka.healthy();
  core::json::kv(w, "kafka", kafka_ok ? "ok" : "down");
  core::json::kv(w, "postgres", postgres_ok ? "ok" : "down");
  core::json::kv(w, "auth", parts.auth.has_keys() ? "ok" : "no-keys");
  // Not ready until the revocations of the last access-token lifetime are loaded; "stale": tokens
  // are being checked with auth because the feed is behind.
  const bool replayed = !config.events_enabled || parts.feed.replayed();
  core::json::kv(w, "revocations",
                 !config.events_enabled ? "off"
                 : !replayed            ? "replaying"
                 : parts.feed.fresh(std::chrono::system_clock::now(), config.revocation_max_lag) ? "ok"
                                                                                                  : "stale");
  const bool all_ok = up_count == pools.size() && kafka_ok && postgres_ok && replayed;
  core::json::kv(w, "status", all_ok ? "ok" : (up_count == 0 ? "down" : "degraded"));
  w.EndObject();
  Response res{all_ok ? http::status::ok : http::status::service_unavailable, req.version()};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body().assign(buf.GetString(), buf.GetSize());
  co_return res;
}

asio::awaitable<void> GatewayServer::Impl::sweeper() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping) {
    timer.expires_after(kSweepEvery);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopping) break;
    parts.limiter.sweep(std::chrono::steady_clock::now());
    const auto now_s =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    metrics.revocations(parts.revocations.sweep(now_s));
  }
}

void GatewayServer::Impl::begin_shutdown() {
  if (stopping.exchange(true)) return;
  log.info("shutting down: draining in-flight requests");
  asio::post(acceptor_strand, [this] {
    beast::error_code ignored;
    acceptor.close(ignored);
    admin_acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(connections_mutex);
    for (auto& [_, weak] : connections)
      if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live)
    asio::post(c->socket.get_executor(), [c] {
      beast::error_code ignored;
      if (!c->busy) c->socket.cancel(ignored);
    });
  auto deadline = std::chrono::steady_clock::now() + config.shutdown_grace;
  asio::co_spawn(
      ioc,
      [this, deadline]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (connection_count.load() > 0 && std::chrono::steady_clock::now() < deadline) {
          timer.expires_after(std::chrono::milliseconds(20));
          co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        if (connection_count.load() > 0) log.warn("grace period over: closing remaining connections");
        ioc.stop();
      },
      asio::detached);
}

GatewayServer::GatewayServer(const GatewayParts& parts) : impl_(std::make_unique<Impl>(parts)) {}

GatewayServer::~GatewayServer() = default;

void GatewayServer::listen() {
  auto open = [](tcp::acceptor& a, const std::string& host, std::uint16_t port) {
    tcp::endpoint ep(asio::ip::make_address(host), port);
    a.open(ep.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(ep);
    a.listen(asio::socket_base::max_listen_connections);
  };
  open(impl_->acceptor, impl_->config.host, impl_->config.port);
  open(impl_->admin_acceptor, impl_->config.admin_host, impl_->config.admin_port);
}

unsigned short GatewayServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void GatewayServer::run() {
  auto& s = *impl_;
  asio::signal_set signals(s.ioc, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) impl_->begin_shutdown();
  });
  asio::co_spawn(s.acceptor_strand, s.accept_loop(s.acceptor, false), asio::detached);
  asio::co_spawn(s.acceptor_strand, s.accept_loop(s.admin_acceptor, true), asio::detached);
  asio::co_spawn(asio::make_strand(s.ioc), s.sweeper(), asio::detached);
  s.log.info("listening", {{"address", s.config.host},
                           core::num("port", static_cast<long long>(port())),
                           {"adminAddress", s.config.admin_host},
                           core::num("adminPort", static_cast<long long>(s.admin_acceptor.local_endpoint().port()))});
  std::vector<std::thread> extra;
  for (int i = 1; i < s.config.io_threads; ++i) extra.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& t : extra) t.join();
}

}  // namespace shopmesh::gateway
