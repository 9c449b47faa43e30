// The gateway's server-side Beast translation unit, I/O only: it reads a request (applying
// http_rules.hpp's framing limits as it goes), hands it to the chain of stages (stage.hpp, stages/)
// and writes the answer. Listeners, connection caps, the session loop and the drain are core's
// (http_listener.hpp), shared with the services' HttpServer.
#include "shopmesh/gateway/server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "shopmesh/core/http_listener.hpp"
#include "shopmesh/core/io_deadline.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/gateway/config.hpp"
#include "shopmesh/gateway/http_rules.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/plain_head.hpp"
#include "shopmesh/gateway/revocation.hpp"
#include "shopmesh/gateway/routes.hpp"
#include "shopmesh/gateway/stage.hpp"
#include "shopmesh/gateway/stages/list.hpp"
#include "shopmesh/gateway/upstream.hpp"

namespace shopmesh::gateway {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kSweepEvery = std::chrono::seconds(10);
constexpr auto kProbeEvery = std::chrono::seconds(5);
constexpr auto kProbeTimeout = std::chrono::milliseconds(2'000);
constexpr std::size_t kPublic = 0, kAdmin = 1;  // the listeners, in the order they are added

// Reads a request head. A plain head, once all of it is here, is taken by the fast path
// (plain_head.hpp) into `plain`. Otherwise the bytes go to Beast's parser from the first one on, as
// http::async_read_header would, except that they are seen as the parser consumes them, so that
// obsolete line folding is noticed (Beast unfolds it silently). Errors are Beast's: the end of the
// stream is end_of_stream before any byte, partial_message within a head.
asio::awaitable<beast::error_code> read_head(tcp::socket& socket, const core::IoDeadline& deadline,
                                             beast::flat_buffer& buffer, RequestParser& parser,
                                             std::size_t header_limit, bool& folded, std::optional<Request>& plain) {
  bool at_line_start = false;
  bool to_beast = false;    // the fast path declined: Beast's parser reads this head
  std::size_t searched = 0;  // of the buffer, for the head's end (0: the fast path has not looked yet)
  for (;;) {
    if (buffer.size() > 0 && !to_beast) {
      const std::string_view bytes(static_cast<const char*>(buffer.data().data()), buffer.size());
      // The first bytes are parsed at once (a whole head, usually); after that, only once it has ended.
      if (parse_due(bytes, header_limit, searched)) {
        plain.emplace();
        const PlainHead head = parse_plain_head(bytes, header_limit, *plain);
        if (head.state == PlainHead::State::parsed) {
          buffer.consume(head.length);
          co_return beast::error_code{};
        }
        plain.reset();
        to_beast = head.state == PlainHead::State::declined;
      }
    }
    if (buffer.size() > 0 && to_beast) {
      beast::error_code ec;
      const auto data = buffer.data();
      const std::size_t used = parser.put(data, ec);
      if (has_obs_fold({static_cast<const char*>(data.data()), used}, at_line_start)) folded = true;
      buffer.consume(used);
      if (ec && ec != http::error::need_more) co_return ec;
      if (parser.is_header_done()) co_return beast::error_code{};
    }
    auto [read_ec, n] = co_await socket.async_read_some(buffer.prepare(4096), asio::as_tuple(asio::deferred));
    const auto ec = deadline.checked(read_ec);
    if (ec == asio::error::eof) {
      if (!to_beast && buffer.size() > 0) co_return beast::error_code(http::error::partial_message);
      if (!parser.got_some()) co_return beast::error_code(http::error::end_of_stream);
      beast::error_code eof;
      parser.put_eof(eof);
      co_return eof ? eof : beast::error_code(http::error::partial_message);
    }
    if (ec) co_return ec;
    buffer.commit(n);
  }
}

}  // namespace

struct GatewayServer::Impl {
  explicit Impl(const GatewayParts& p)
      : parts(p),
        config(p.config),
        routes(p.routes),
        log(p.log),
        metrics(p.metrics),
        ioc(core::io_concurrency_hint(p.config.io_threads)),
        parser_limits(p.config.header_limit, p.routes),
        upstreams(ioc, p.config, &p.metrics),
        chain(public_stages(p, upstreams)),
        admin_chain(admin_stages(p)),
        listeners(ioc, p.log,
                  core::ListenerOptions{.io_threads = p.config.io_threads,
                                        .max_connections = p.config.max_connections,
                                        .max_connections_per_address = p.config.max_connections_per_address,
                                        .address_key = client_rate_key,
                                        .header_timeout = p.config.header_timeout,
                                        .idle_timeout = p.config.idle_timeout,
                                        .shutdown_grace = p.config.shutdown_grace,
                                        .on_open = [m = &p.metrics] { m->connection_opened(); },
                                        .on_close = [m = &p.metrics] { m->connection_closed(); },
                                        .on_refused = [m = &p.metrics] { m->connection_refused(); }}) {}

  asio::awaitable<core::AfterAnswer> serve(core::Connection& conn, beast::flat_buffer& buffer);
  asio::awaitable<void> sweeper();
  asio::awaitable<void> prober();

  GatewayParts parts;
  const GatewayConfig& config;
  const RouteTable& routes;
  core::Logger& log;
  GatewayMetrics& metrics;
  asio::io_context ioc;
  const ParserLimits parser_limits;
  Upstreams upstreams;
  Chain chain;        // the public listener's
  Chain admin_chain;  // the admin listener's
  core::Listeners listeners;
};

asio::awaitable<core::AfterAnswer> GatewayServer::Impl::serve(core::Connection& conn, beast::flat_buffer& buffer) {
  using core::AfterAnswer;
  auto& socket = conn.socket;
  auto& deadline = conn.deadline;
  Exchange ex;  // its clock starts now: the request's first bytes are here
  RequestParser parser;
  parser_limits.apply(parser);  // the route's own body limit is applied once it is known
  // The whole header must arrive within the header timeout: slow clients are closed.
  deadline.expires_at(ex.started + config.header_timeout);
  bool folded = false;
  std::optional<Request> plain;  // the head, when the fast path read it (then there is no body)
  const beast::error_code hec =
      co_await read_head(socket, deadline, buffer, parser, parser_limits.header_limit, folded, plain);

  ex.remote = conn.remote;
  ex.rate_key = conn.key;
  ex.route_id = builtin_route_id(routes.routes().size(), BuiltinRoute::none);
  Request req;  // empty when the head could not be read: only the refusal is answered then
  bool keep_alive = false;
  if (hec) {
    const auto refusal = refusal_for_read_error(hec, ReadPhase::head);
    if (!refusal) {
      if (hec == beast::error::timeout) log.info("closed a slow client: header timeout", {{"remote", conn.remote}});
      co_return AfterAnswer::close;
    }
    ex.refusal = refusal;
  } else {
    const Request& header = plain ? *plain : parser.get();
    ex.method = std::string(header.method_string());
    ex.head = header.method() == http::verb::head;
    auto checked = plain ? check_head(*plain, Framing{}, routes) : check_head(parser, routes);
    if (folded && !checked.refusal)
      checked.refusal = Refusal{http::status::bad_request, "Header line folding (obs-fold) is not accepted."};
    ex.path = std::move(checked.path);
    ex.query = std::move(checked.query);
    ex.route = checked.route;
    ex.rewrite = checked.rewrite;
    ex.dialect = checked.dialect;
    ex.client_path = std::move(checked.client_path);
    ex.allow = std::move(checked.allow);
    ex.refusal = checked.refusal;
    if (!ex.refusal && !plain) {
      parser.body_limit(checked.body_limit);
      if (!parser.is_done()) {
        if (beast::iequals(header[http::field::expect], "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          deadline.expires_after(config.header_timeout);
          auto [cec, cn] = co_await asio::async_write(socket, asio::buffer(kContinue.data(), kContinue.size()),
                                                      asio::as_tuple(asio::deferred));
          if (cec) co_return AfterAnswer::close;
        }
        deadline.expires_after(config.body_timeout);
        auto [read_ec, bn] = co_await http::async_read(socket, buffer, parser, asio::as_tuple(asio::deferred));
        if (const auto bec = deadline.checked(read_ec)) {
          const auto refusal = refusal_for_read_error(bec, ReadPhase::body);
          if (!refusal) co_return AfterAnswer::close;
          ex.refusal = refusal;
        }
      }
    }
    req = plain ? std::move(*plain) : parser.release();
    if (!ex.refusal) ex.version = req.version();  // a refusal is answered in HTTP/1.1
    keep_alive = !ex.refusal && req.keep_alive();
  }
  deadline.disarm();  // the upstream's own timeout bounds the time until the answer
  std::string failure;
  const Chain& stages = conn.listener == kAdmin ? admin_chain : chain;
  Response res = co_await stages.run(req, ex, &failure);
  if (!failure.empty()) log.error("request failed", {{"requestId", ex.request_id}, {"error", failure}});
  keep_alive = keep_alive && !ex.close && !listeners.draining();
  // An upstream's head kept as bytes goes out so when it still frames the answer and the
  // connection stays open (HTTP/1.1's default: no Connection field to write).
  if (!ex.answer.head.empty() &&
      !(keep_alive && res.result_int() == ex.answer.status &&
        res.body().size() == ex.answer.body_length))
    read_answer_fields(res, ex);
  const auto status = res.result_int();
  const auto bytes = res.body().size();
  beast::error_code wec;
  if (!ex.answer.head.empty()) {
    std::string_view head = ex.answer.head;
    if (res.begin() != res.end()) {  // fields the stages set
      conn.head.clear();
      write_answer_head(res, ex, conn.head);
      head = conn.head;
    }
    wec = std::get<0>(co_await core::write_answer(conn, head, res.body(), config.idle_timeout));
  } else {
    res.keep_alive(keep_alive);
    if (ex.head) {
      // The answer to HEAD carries the GET answer's headers (an upstream's Content-Length is kept).
      if (res.find(http::field::content_length) == res.end() && !res.body().empty()) frame_payload(res);
      res.body().clear();
    } else {
      frame_payload(res);
    }
    wec = std::get<0>(co_await core::write_answer(conn, res, ex.head, config.idle_timeout));
  }
  const auto took = std::chrono::steady_clock::now() - ex.started;
  metrics.request(ex.route_id, ex.method, static_cast<int>(status), std::chrono::duration<double>(took).count());
  log.info("access", {{"requestId", ex.request_id},
                      {"traceId", ex.trace.trace_id()},
                      {"method", ex.method},
                      {"path", ex.path},
                      core::num("status", static_cast<long long>(status)),
                      core::num("bytes", static_cast<long long>(bytes)),
                      {"upstream", ex.upstream},
                      core::millis("durationMs", took),
                      {"remote", conn.remote},
                      {"userId", ex.user_id},
                      {"cache", ex.cache_tag},
                      {"authError", ex.auth_error}});
  if (wec) co_return AfterAnswer::close;
  // After a refusal the client may still be sending: drain a little before closing.
  if (ex.refusal) co_return AfterAnswer::linger;
  co_return keep_alive ? AfterAnswer::keep_alive : AfterAnswer::close;
}

asio::awaitable<void> GatewayServer::Impl::sweeper() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!listeners.draining()) {
    timer.expires_after(kSweepEvery);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::deferred));
    if (ec || listeners.draining()) break;
    parts.limiter.sweep(std::chrono::steady_clock::now());
    const auto now_s =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    metrics.revocations(parts.revocations.sweep(now_s));
  }
}

// Every instance of every service is asked for /health now and then, so `gateway_upstream_up`
// tells the truth about instances no client request has reached lately.
asio::awaitable<void> GatewayServer::Impl::prober() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!listeners.draining()) {
    for (const auto& pool : upstreams.pools()) co_await pool->probe(kProbeTimeout);
    timer.expires_after(kProbeEvery);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::deferred));
    if (ec || listeners.draining()) break;
  }
}

GatewayServer::GatewayServer(const GatewayParts& parts) : impl_(std::make_unique<Impl>(parts)) {}

GatewayServer::~GatewayServer() = default;

void GatewayServer::listen() {
  impl_->listeners.add(impl_->config.host, impl_->config.port);              // kPublic
  impl_->listeners.add(impl_->config.admin_host, impl_->config.admin_port);  // kAdmin
}

unsigned short GatewayServer::port() const { return impl_->listeners.port(kPublic); }

void GatewayServer::run() {
  auto& s = *impl_;
  s.listeners.start([&s](core::Connection& conn, beast::flat_buffer& buffer) { return s.serve(conn, buffer); });
  asio::co_spawn(asio::make_strand(s.ioc), s.sweeper(), asio::detached);
  asio::co_spawn(asio::make_strand(s.ioc), s.prober(), asio::detached);
  s.log.info("listening", {{"address", s.config.host},
                           core::num("port", static_cast<long long>(port())),
                           {"adminAddress", s.config.admin_host},
                           core::num("adminPort", static_cast<long long>(s.listeners.port(kAdmin)))});
  s.listeners.run(true);
}

}  // namespace shopmesh::gateway
