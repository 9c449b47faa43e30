// The gateway's server-side Beast translation unit.
#include "server.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <span>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <rapidjson/document.h>

#include "config.hpp"
#include "kafka_probe.hpp"
#include "routes.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/uuid.hpp"
#include "trace.hpp"
#include "upstream.hpp"

namespace shopmesh::gateway {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kDefaultBodyLimit = 1024 * 1024;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct Connection {
  explicit Connection(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  std::atomic<bool> busy{false};
};

// Identity headers only the gateway may set; whatever a client sends is removed first.
constexpr std::string_view kIdentityHeaders[] = {"x-user-id", "x-user-role", "x-user-email"};
constexpr std::string_view kHopByHop[] = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                                          "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"};

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

template <class Fields>
void strip(Fields& fields, std::initializer_list<std::span<const std::string_view>> lists) {
  for (auto list : lists)
    for (auto name : list) fields.erase(name);
}

}  // namespace

struct GatewayServer::Impl {
  Impl(const GatewayConfig& c, const RouteTable& r, KafkaProbe& k, core::Logger& l, prometheus::Registry& registry)
      : config(c),
        routes(r),
        kafka(k),
        log(l),
        registry(registry),
        ioc(c.io_threads),
        acceptor_strand(asio::make_strand(ioc)),
        acceptor(acceptor_strand),
        requests(prometheus::BuildCounter()
                     .Name("gateway_requests_total")
                     .Help("Requests answered by the gateway, by route, method and status")
                     .Register(registry)),
        latency(prometheus::BuildHistogram()
                    .Name("gateway_request_duration_seconds")
                    .Help("Time from request headers read to response written")
                    .Register(registry)),
        upstream_errors(prometheus::BuildCounter()
                            .Name("gateway_upstream_errors_total")
                            .Help("Upstream failures by service and kind")
                            .Register(registry)),
        open_connections(prometheus::BuildGauge()
                             .Name("gateway_open_connections")
                             .Help("Client connections currently open")
                             .Register(registry)
                             .Add({})) {
    for (const auto& [service, instances] : config.upstreams)
      pools.emplace(service, std::make_unique<UpstreamPool>(ioc, service, instances, config));
  }

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(std::shared_ptr<Connection> conn);
  asio::awaitable<Response> handle(Request& req, std::string& route_label, std::string& upstream_label,
                                   const std::string& request_id, const TraceContext& trace);
  asio::awaitable<Response> health(const Request& req);
  Response problem(http::status status, std::string_view detail, std::string_view path, const std::string& request_id,
                   unsigned version);
  void begin_shutdown();

  const GatewayConfig& config;
  const RouteTable& routes;
  KafkaProbe& kafka;
  core::Logger& log;
  prometheus::Registry& registry;
  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> acceptor_strand;
  tcp::acceptor acceptor;
  std::map<std::string, std::unique_ptr<UpstreamPool>> pools;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connection_count{0};
  std::mutex connections_mutex;
  std::map<Connection*, std::weak_ptr<Connection>> connections;

  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Family<prometheus::Counter>& upstream_errors;
  prometheus::Gauge& open_connections;
};

Response GatewayServer::Impl::problem(http::status status, std::string_view detail, std::string_view path,
                                      const std::string& request_id, unsigned version) {
  const int code = static_cast<int>(status);
  Response res{status, version};
  res.set(http::field::content_type, "application/problem+json");
  res.body() = core::problem_json(code, core::reason_phrase(code), detail, path, request_id);
  return res;
}

asio::awaitable<void> GatewayServer::Impl::accept_loop() {
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) break;
      log.warn("accept failed", {{"error", ec.message()}});
      continue;
    }
    if (connection_count.load() >= config.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);  // over the cap: refuse rather than degrade everyone
      requests.Add({{"route", "none"}, {"method", "-"}, {"status", "refused"}}).Increment();
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    auto conn = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(connections_mutex);
      connections.emplace(conn.get(), conn);
    }
    ++connection_count;
    auto ex = conn->stream.get_executor();
    asio::co_spawn(ex, session(std::move(conn)), asio::detached);
  }
}

asio::awaitable<void> GatewayServer::Impl::session(std::shared_ptr<Connection> conn) {
  open_connections.Increment();
  auto& stream = conn->stream;
  beast::flat_buffer buffer;
  std::string remote;
  {
    beast::error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  while (!stopping) {
    // Idle keep-alive wait: until the first byte of the next request.
    if (buffer.size() == 0) {
      stream.expires_after(config.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      buffer.commit(n);
    }
    conn->busy = true;
    const auto started = std::chrono::steady_clock::now();
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kDefaultBodyLimit);
    // The whole header must arrive within the header timeout: slow clients are closed.
    stream.expires_after(config.header_timeout);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));

    std::string request_id;
    std::string route_label = "none";
    std::string upstream_label;
    Response res;
    bool keep_alive = false;
    std::string method = "-";
    std::string path = "/";
    TraceContext trace;
    auto fail = [&](http::status s, std::string_view detail) {
      if (request_id.empty()) request_id = core::uuid_v7();
      res = problem(s, detail, path, request_id, 11);
      keep_alive = false;
    };
    if (hec == beast::error::timeout) {
      break;  // slow headers: close without an answer
    } else if (hec == http::error::header_limit) {
      fail(http::status::request_header_fields_too_large, "Request headers are too large.");
    } else if (hec == http::error::body_limit) {
      fail(http::status::payload_too_large, "Request body is too large.");
    } else if (hec) {
      if (hec == http::error::end_of_stream || hec == asio::error::eof || hec == asio::error::connection_reset ||
          hec == asio::error::operation_aborted)
        break;
      fail(http::status::bad_request, "Malformed HTTP request.");
    } else {
      auto& header = parser.get();
      method = std::string(header.method_string());
      std::string target(header.target());
      path = target.substr(0, target.find('?'));
      auto rid = header["x-request-id"];
      request_id = valid_request_id(rid) ? std::string(rid) : core::uuid_v7();
      trace = continue_or_start_trace(header["traceparent"]);
      const Route* route = routes.match(method, routes.rewrite(method, path).value_or(path));
      if (route != nullptr) parser.body_limit(route->body_limit);
      bool body_ok = true;
      if (!parser.is_done()) {
        stream.expires_after(config.header_timeout);
        auto [bec, bn] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (bec == http::error::body_limit) {
          fail(http::status::payload_too_large, "Request body is too large.");
          body_ok = false;
        } else if (bec == beast::error::timeout || bec == http::error::end_of_stream || bec == asio::error::eof ||
                   bec == asio::error::connection_reset) {
          break;
        } else if (bec) {
          fail(http::status::bad_request, "Malformed HTTP request body.");
          body_ok = false;
        }
      }
      if (body_ok) {
        auto req = parser.release();
        keep_alive = req.keep_alive();
        res = co_await handle(req, route_label, upstream_label, request_id, trace);
      }
    }

    res.set("X-Request-Id", request_id);
    keep_alive = keep_alive && !stopping;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    const auto status = res.result_int();
    const auto bytes = res.body().size();
    stream.expires_after(config.idle_timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    conn->busy = false;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    static const prometheus::Histogram::BucketBoundaries kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                  0.05,   0.1,   0.25,   0.5,   1,    2.5};
    requests.Add({{"route", route_label}, {"method", method}, {"status", std::to_string(status)}}).Increment();
    latency.Add({{"route", route_label}}, kBuckets).Observe(seconds);
    log.info("access", {{"requestId", request_id},
                        {"traceId", trace.trace_id},
                        {"method", method},
                        {"path", path},
                        core::num("status", static_cast<long long>(status)),
                        core::num("bytes", static_cast<long long>(bytes)),
                        {"upstream", upstream_label},
                        core::num("durationMs", seconds * 1000.0),
                        {"remote", remote}});
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.close();
  {
    std::lock_guard lock(connections_mutex);
    connections.erase(conn.get());
  }
  --connection_count;
  open_connections.Decrement();
}

asio::awaitable<Response> GatewayServer::Impl::handle(Request& req, std::string& route_label,
                                                      std::string& upstream_label, const std::string& request_id,
                                                      const TraceContext& trace) {
  std::string target(req.target());
  const auto q = target.find('?');
  std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : target.substr(q);
  const std::string method(req.method_string());
  if (auto rewritten = routes.rewrite(method, path)) {
    path = *rewritten;
    target = path + query;
  }
  if (path == "/api/health" && (req.method() == http::verb::get || req.method() == http::verb::head)) {
    route_label = "/api/health";
    co_return co_await health(req);
  }
  if (path == "/health" && req.method() == http::verb::get) {  // liveness of the gateway process itself
    route_label = "/health";
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json");
    res.body() = R"({"service":"gateway","status":"ok"})";
    co_return res;
  }
  if (path == "/metrics" && req.method() == http::verb::get) {
    route_label = "/metrics";
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = prometheus::TextSerializer().Serialize(registry.Collect());
    co_return res;
  }
  const Route* route = routes.match(method, path);
  if (route == nullptr) co_return problem(http::status::not_found, "No such route.", path, request_id, req.version());
  route_label = route->prefix;
  auto pool_it = pools.find(route->service);
  if (pool_it == pools.end())
    co_return problem(http::status::bad_gateway, "No upstream is configured for this route.", path, request_id,
                      req.version());

  // Build the upstream request: same method, target and body; hop-by-hop and identity headers dropped.
  Request up{req.method(), target, 11};
  for (const auto& field : req) up.insert(field.name_string(), field.value());
  strip(up.base(), {std::span<const std::string_view>(kHopByHop), std::span<const std::string_view>(kIdentityHeaders)});
  up.set("X-Request-Id", request_id);
  up.set("traceparent", trace.traceparent);
  up.set("X-Forwarded-Proto", "http");
  up.body() = std::move(req.body());
  up.keep_alive(true);
  up.prepare_payload();

  auto result = co_await pool_it->second->send(up, route->timeout);
  upstream_label = result.instance;
  switch (result.failure) {
    case UpstreamFailure::none: break;
    case UpstreamFailure::timeout:
      upstream_errors.Add({{"service", route->service}, {"kind", "timeout"}}).Increment();
      log.warn("upstream timeout", {{"requestId", request_id}, {"upstream", result.instance}, {"error", result.error}});
      co_return problem(http::status::gateway_timeout, "The upstream service did not answer in time.", path, request_id,
                        req.version());
    case UpstreamFailure::unavailable:
      upstream_errors.Add({{"service", route->service}, {"kind", "unavailable"}}).Increment();
      co_return problem(http::status::service_unavailable, "The upstream service is unavailable; retry shortly.", path,
                        request_id, req.version());
    case UpstreamFailure::connect:
    case UpstreamFailure::io:
      upstream_errors.Add({{"service", route->service}, {"kind", result.failure == UpstreamFailure::connect ? "connect" : "io"}})
          .Increment();
      log.warn("upstream failure", {{"requestId", request_id}, {"upstream", result.instance}, {"error", result.error}});
      co_return problem(http::status::bad_gateway, "The upstream service failed to answer.", path, request_id,
                        req.version());
  }
  Response res = std::move(result.response);
  res.version(req.version());
  strip(res.base(), {std::span<const std::string_view>(kHopByHop)});
  co_return res;
}

asio::awaitable<Response> GatewayServer::Impl::health(const Request& req) {
  struct Gather {
    explicit Gather(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::size_t pending = 0;
    std::map<std::string, std::pair<bool, bool>> results;  // service -> (up, postgres ok)
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
  const bool kafka_ok = kafka.healthy();
  core::json::kv(w, "kafka", kafka_ok ? "ok" : "down");
  core::json::kv(w, "postgres", postgres_ok ? "ok" : "down");
  const bool all_ok = up_count == pools.size() && kafka_ok && postgres_ok;
  core::json::kv(w, "status", all_ok ? "ok" : (up_count == 0 ? "down" : "degraded"));
  w.EndObject();
  Response res{all_ok ? http::status::ok : http::status::service_unavailable, req.version()};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body().assign(buf.GetString(), buf.GetSize());
  co_return res;
}

void GatewayServer::Impl::begin_shutdown() {
  if (stopping.exchange(true)) return;
  log.info("shutting down: draining in-flight requests");
  asio::post(acceptor_strand, [this] {
    beast::error_code ignored;
    acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(connections_mutex);
    for (auto& [_, weak] : connections)
      if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live)
    asio::post(c->stream.get_executor(), [c] {
      if (!c->busy) c->stream.socket().cancel();
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

GatewayServer::GatewayServer(const GatewayConfig& config, const RouteTable& routes, KafkaProbe& kafka,
                             core::Logger& log, prometheus::Registry& metrics)
    : impl_(std::make_unique<Impl>(config, routes, kafka, log, metrics)) {}

GatewayServer::~GatewayServer() = default;

void GatewayServer::listen() {
  auto& a = impl_->acceptor;
  tcp::endpoint ep(asio::ip::make_address(impl_->config.host), impl_->config.port);
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
}

unsigned short GatewayServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void GatewayServer::run() {
  auto& s = *impl_;
  asio::signal_set signals(s.ioc, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) impl_->begin_shutdown();
  });
  asio::co_spawn(s.acceptor_strand, s.accept_loop(), asio::detached);
  s.log.info("listening", {{"address", s.config.host}, core::num("port", static_cast<long long>(port()))});
  std::vector<std::thread> extra;
  for (int i = 1; i < s.config.io_threads; ++i) extra.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& t : extra) t.join();
}

}  // namespace shopmesh::gateway
