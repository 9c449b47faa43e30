// The gateway's server-side Beast translation unit, I/O only: listeners with their connection caps,
// sessions that read a request (applying http_rules.hpp's framing limits as they go), hand it to the
// chain of stages (stage.hpp, stages/) and write the answer, and the drain at shutdown.
#include "shopmesh/gateway/server.hpp"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "shopmesh/core/http_wire.hpp"
#include "shopmesh/core/io_deadline.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/gateway/config.hpp"
#include "shopmesh/gateway/http_rules.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/revocation.hpp"
#include "shopmesh/gateway/routes.hpp"
#include "shopmesh/gateway/stage.hpp"
#include "shopmesh/gateway/stages/list.hpp"
#include "shopmesh/gateway/upstream.hpp"

namespace shopmesh::gateway {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr auto kSweepEvery = std::chrono::seconds(10);

struct Connection {
  Connection(tcp::socket s, std::string address, bool admin)
      : socket(std::move(s)), address(std::move(address)), admin(admin) {}
  tcp::socket socket;
  std::string address;  // client_rate_key of the peer: what the per-address connection cap counts
  bool admin;           // accepted on the admin listener
  core::IoDeadline deadline{socket};
  std::atomic<bool> busy{false};
};

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
        upstreams(ioc, p.config),
        chain(public_stages(p, upstreams)),
        admin_chain(admin_stages(p)) {}

  asio::awaitable<void> accept_loop(tcp::acceptor& from, bool admin);
  asio::awaitable<void> session(std::shared_ptr<Connection> conn);
  asio::awaitable<void> sweeper();
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
  Upstreams upstreams;
  Chain chain;        // the public listener's
  Chain admin_chain;  // the admin listener's
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connection_count{0};
  std::mutex connections_mutex;
  std::map<Connection*, std::weak_ptr<Connection>> connections;
  std::unordered_map<std::string, std::size_t> connections_of;  // open connections per client address
};

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
    ex.remote = remote;
    ex.rate_key = rate_key;
    ex.route_id = builtin_route_id(routes.routes().size(), BuiltinRoute::none);
    Request req;  // empty when the head could not be read: only the refusal is answered then
    bool keep_alive = false;
    if (hec) {
      const auto refusal = refusal_for_read_error(hec, ReadPhase::head);
      if (!refusal) {
        if (hec == beast::error::timeout) log.info("closed a slow client: header timeout", {{"remote", remote}});
        break;
      }
      ex.refusal = refusal;
    } else {
      auto& header = parser.get();
      ex.method = std::string(header.method_string());
      ex.head = header.method() == http::verb::head;
      auto checked = check_head(parser, routes);
      if (folded && !checked.refusal)
        checked.refusal = Refusal{http::status::bad_request, "Header line folding (obs-fold) is not accepted."};
      ex.path = std::move(checked.path);
      ex.query = std::move(checked.query);
      ex.route = checked.route;
      ex.refusal = checked.refusal;
      if (!ex.refusal) {
        parser.body_limit(checked.body_limit);
        if (!parser.is_done()) {
          if (beast::iequals(header[http::field::expect], "100-continue")) {
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
            ex.refusal = refusal;
          }
        }
      }
      req = parser.release();
      if (!ex.refusal) ex.version = req.version();  // a refusal is answered in HTTP/1.1
      keep_alive = !ex.refusal && req.keep_alive();
    }
    deadline.disarm();  // the upstream's own timeout bounds the time until the answer
    std::string failure;
    const Chain& stages = conn->admin ? admin_chain : chain;
    Response res = co_await stages.run(req, ex, &failure);
    if (!failure.empty()) log.error("request failed", {{"requestId", ex.request_id}, {"error", failure}});
    const bool linger = ex.refusal.has_value();  // the client may still be sending: drain a little before closing
    keep_alive = keep_alive && !ex.close && !stopping;
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
