#include "shopmesh/gateway/upstream.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <tuple>

#include <prometheus/gauge.h>

#include "shopmesh/core/io_deadline.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/plain_head.hpp"

namespace shopmesh::gateway {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A connection to an instance, with the buffer its responses are read into (kept, so a reused
// connection does not allocate one per request).
struct Pooled {
  Pooled(asio::io_context& ioc, bool shared) : socket(ioc), deadline(socket, shared) {}
  tcp::socket socket;
  core::IoDeadline deadline;
  beast::flat_buffer buffer;
};

}  // namespace

struct UpstreamPool::Instance {
  struct Idle {
    std::unique_ptr<Pooled> conn;
    std::chrono::steady_clock::time_point since;
  };
  std::string name;  // host:port
  tcp::endpoint endpoint;
  std::mutex mutex;
  std::vector<Idle> idle;
  std::atomic<std::int64_t> ejected_until_ms{0};
  prometheus::Gauge* up = nullptr;  // gateway_upstream_up{service,instance}

  void answered(bool yes) {
    if (up != nullptr) up->Set(yes ? 1 : 0);
  }

  std::unique_ptr<Pooled> take(std::chrono::milliseconds max_idle, std::chrono::steady_clock::time_point now) {
    const auto oldest = now - max_idle;
    std::lock_guard lock(mutex);
    while (!idle.empty()) {
      auto entry = std::move(idle.back());
      idle.pop_back();
      if (entry.since >= oldest) return std::move(entry.conn);
      // Too old: the service may be about to close it; dropping it here closes it.
    }
    return nullptr;
  }

  // `since`: when the exchange that used it began (a little older than it is: it is dropped no later).
  void give_back(std::unique_ptr<Pooled> conn, std::size_t max, std::chrono::steady_clock::time_point since) {
    std::lock_guard lock(mutex);
    if (idle.size() < max) idle.push_back({std::move(conn), since});
  }
};

namespace {

std::int64_t ms_of(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::int64_t now_ms() { return ms_of(core::coarse_steady_now()); }

bool is_stale_connection_error(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::eof;
}

constexpr std::size_t kHeaderLimit = 8 * 1024;  // Beast's default for a response parser
constexpr std::uint64_t kBodyLimit = 64 * 1024 * 1024;

// Reads an instance's answer into `out`: a plain head (plain_head.hpp) and the Content-Length body
// after it straight from the buffer, else Beast's parser over the same bytes. With `keep_head`, a
// plain head that may go out as it came stays bytes, in `answer`. Also says how many bytes came from
// the socket (none: the connection was closed before it answered).
asio::awaitable<std::tuple<beast::error_code, std::size_t>> read_response(Pooled& conn, bool head_request,
                                                                          bool keep_head,
                                                                          http::response<http::string_body>& out,
                                                                          UpstreamAnswer& answer) {
  std::size_t got = 0;
  std::size_t head_length = 0;
  std::uint64_t body_length = 0;
  bool plain = false;
  std::size_t searched = 0;  // as in the server's read_head: parsed at once, then only once the head has ended
  for (;;) {
    if (!plain && conn.buffer.size() > 0) {
      const std::string_view bytes(static_cast<const char*>(conn.buffer.data().data()), conn.buffer.size());
      if (parse_due(bytes, kHeaderLimit, searched)) {
        bool kept = false;
        PlainHead h = keep_head ? parse_plain_answer(bytes, kHeaderLimit, kBodyLimit, out, answer, kept)
                                : PlainHead{PlainHead::State::declined, 0};
        if (kept) {
          body_length = answer.body_length;
        } else if (!keep_head || h.state == PlainHead::State::parsed) {  // read into the message after all
          out = {};
          h = parse_plain_response_head(bytes, kHeaderLimit, head_request, kBodyLimit, out, body_length);
        }
        if (h.state == PlainHead::State::parsed) {
          plain = true;
          head_length = h.length;
        } else {
          out = {};  // read again from its first byte: here once more of it came, or by Beast
          if (h.state == PlainHead::State::declined) break;
        }
      }
    }
    if (plain && conn.buffer.size() >= head_length + body_length) {
      const auto* bytes = static_cast<const char*>(conn.buffer.data().data());
      out.body().assign(bytes + head_length, body_length);
      conn.buffer.consume(head_length + body_length);
      co_return std::tuple{beast::error_code{}, got};
    }
    const std::size_t want = plain ? std::max<std::size_t>(4096, head_length + body_length - conn.buffer.size()) : 4096;
    auto [ec, n] = co_await conn.socket.async_read_some(conn.buffer.prepare(want), asio::as_tuple(asio::deferred));
    if (ec == asio::error::eof) {
      const bool nothing = got == 0 && conn.buffer.size() == 0;  // closed before answering, as Beast says it
      co_return std::tuple{beast::error_code(nothing ? http::error::end_of_stream : http::error::partial_message), got};
    }
    if (ec) co_return std::tuple{ec, got};
    conn.buffer.commit(n);
    got += n;
  }
  // Beast reads from here, the bytes already in the buffer first.
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  parser.skip(head_request);  // a HEAD answer has no body to read
  auto [ec, n] = co_await http::async_read(conn.socket, conn.buffer, parser, asio::as_tuple(asio::deferred));
  if (!ec) out = parser.release();
  co_return std::tuple{ec, got + n};
}

}  // namespace

UpstreamPool::UpstreamPool(asio::io_context& ioc, std::string service, const std::vector<UpstreamAddress>& instances,
                           const GatewayConfig& config, std::vector<prometheus::Gauge*> up)
    : ioc_(ioc), service_(std::move(service)), config_(config) {
  tcp::resolver resolver(ioc);
  for (const auto& a : instances) {
    auto inst = std::make_unique<Instance>();
    inst->name = a.host + ":" + std::to_string(a.port);
    if (instances_.size() < up.size()) inst->up = up[instances_.size()];
    auto results = resolver.resolve(a.host, std::to_string(a.port));  // once, at start
    inst->endpoint = results.begin()->endpoint();
    instances_.push_back(std::move(inst));
  }
}

UpstreamPool::~UpstreamPool() = default;

std::size_t UpstreamPool::ejected_count() const {
  const auto now = now_ms();
  std::size_t n = 0;
  for (const auto& inst : instances_) n += inst->ejected_until_ms.load(std::memory_order_relaxed) > now ? 1 : 0;
  return n;
}

UpstreamPool::Instance* UpstreamPool::pick(std::chrono::steady_clock::time_point at) {
  const auto n = instances_.size();
  const auto now = ms_of(at);
  for (std::size_t i = 0; i < n; ++i) {
    auto& inst = *instances_[next_.fetch_add(1, std::memory_order_relaxed) % n];
    if (inst.ejected_until_ms.load(std::memory_order_relaxed) <= now) return &inst;
  }
  return nullptr;
}

asio::awaitable<void> UpstreamPool::probe(std::chrono::milliseconds timeout) {
  http::request<http::string_body> request{http::verb::get, "/health", 11};
  request.set(http::field::host, "health");
  request.keep_alive(true);
  UpstreamRequest wire;
  write_upstream_request(request, wire);
  // exchange() marks an instance up when it answers and down when it refuses; a probe that gets no
  // answer in time marks it down too (a client's slow request does not).
  for (auto& inst : instances_) {
    UpstreamResult result;
    co_await exchange(*inst, wire, timeout, core::coarse_steady_now(), false, result, false);
    if (result.failure != UpstreamFailure::none) inst->answered(false);
  }
}

asio::awaitable<UpstreamResult> UpstreamPool::send(const http::request<http::string_body>& request,
                                                   std::chrono::milliseconds timeout) {
  UpstreamRequest wire;
  write_upstream_request(request, wire);
  UpstreamResult result;
  co_await send(wire, timeout, result);
  co_return result;
}

asio::awaitable<void> UpstreamPool::send(const UpstreamRequest& request, std::chrono::milliseconds timeout,
                                         UpstreamResult& result, bool keep_head) {
  // Each instance at most once: a refused connection moves on, anything else is the answer.
  for (std::size_t attempt = 0; attempt < instances_.size(); ++attempt) {
    const auto now = core::coarse_steady_now();  // one (cheap) clock read for the pick, the deadline, the pool
    Instance* inst = pick(now);
    if (inst == nullptr) break;
    if (attempt > 0) result = {};
    co_await exchange(*inst, request, timeout, now, keep_head, result);
    if (result.failure != UpstreamFailure::connect) co_return;
  }
  if (result.failure == UpstreamFailure::none) {  // nothing was tried: every instance is ejected
    result.failure = UpstreamFailure::unavailable;
    result.error = "every instance of " + service_ + " is ejected";
  }
}

asio::awaitable<void> UpstreamPool::exchange(Instance& inst, const UpstreamRequest& request,
                                             std::chrono::milliseconds timeout,
                                             std::chrono::steady_clock::time_point started, bool keep_head,
                                             UpstreamResult& result, bool may_eject) {
  result.instance = inst.name;
  const auto deadline = started + timeout;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto conn = inst.take(config_.upstream_idle_timeout, started);
    const bool reused = conn != nullptr;
    if (!reused) {
      conn = std::make_unique<Pooled>(ioc_, config_.io_threads > 1);  // taken by any connection's strand
      const auto connect_deadline = std::min(deadline, core::coarse_steady_now() + config_.connect_timeout);
      conn->deadline.expires_at(connect_deadline);
      auto [connect_ec] = co_await conn->socket.async_connect(inst.endpoint, asio::as_tuple(asio::deferred));
      const auto ec = conn->deadline.checked(connect_ec);
      if (ec == beast::error::timeout) {
        inst.answered(false);
        result.failure = UpstreamFailure::timeout;
        result.error = "connect: timed out";
        co_return;
      }
      if (ec) {
        inst.answered(false);
        if (may_eject) inst.ejected_until_ms = now_ms() + config_.eject_for.count();
        result.failure = UpstreamFailure::connect;
        result.error = "connect: " + ec.message();
        co_return;
      }
      beast::error_code ignored;
      conn->socket.set_option(tcp::no_delay(true), ignored);
    }
    auto& socket = conn->socket;
    conn->deadline.expires_at(deadline);
    const std::array<asio::const_buffer, 2> bytes{asio::buffer(request.head), asio::buffer(request.body)};
    auto [write_ec, wn] = co_await asio::async_write(socket, bytes, asio::as_tuple(asio::deferred));
    const auto wec = conn->deadline.checked(write_ec);
    if (wec) {
      if (reused && is_stale_connection_error(wec)) continue;
      result.failure = wec == beast::error::timeout ? UpstreamFailure::timeout : UpstreamFailure::io;
      result.error = "write: " + wec.message();
      co_return;
    }
    const bool head_request = request.method == http::verb::head;
    auto [read_ec, rn] = co_await read_response(*conn, head_request, keep_head && !head_request, result.response,
                                                result.answer);
    const auto rec = conn->deadline.checked(read_ec);
    conn->deadline.disarm();
    if (rec) {
      if (reused && rn == 0 && is_stale_connection_error(rec)) continue;
      result.failure = rec == beast::error::timeout ? UpstreamFailure::timeout : UpstreamFailure::io;
      result.error = "read: " + rec.message();
      co_return;
    }
    inst.answered(true);
    // The buffer is empty for a well-behaved upstream (no pipelining): the connection can be reused.
    if (result.response.keep_alive() && conn->buffer.size() == 0)
      inst.give_back(std::move(conn), config_.max_idle_upstream, started);
    co_return;
  }
  result.failure = UpstreamFailure::io;
  result.error = "upstream closed the connection twice";
  co_return;
}

Upstreams::Upstreams(boost::asio::io_context& ioc, const GatewayConfig& config, const GatewayMetrics* metrics) {
  for (const auto& [service, instances] : config.upstreams) {
    std::vector<prometheus::Gauge*> up;
    if (metrics != nullptr)
      for (std::size_t i = 0; i < instances.size(); ++i) up.push_back(metrics->upstream_up(pools_.size(), i));
    pools_.push_back(std::make_unique<UpstreamPool>(ioc, service, instances, config, std::move(up)));
  }
}

UpstreamPool* Upstreams::find(std::string_view service) const {
  for (const auto& p : pools_)
    if (p->service() == service) return p.get();
  return nullptr;
}

std::size_t Upstreams::id(std::string_view service) const {
  for (std::size_t i = 0; i < pools_.size(); ++i)
    if (pools_[i]->service() == service) return i;
  return pools_.size();
}

}  // namespace shopmesh::gateway
