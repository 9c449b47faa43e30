#include "shopmesh/gateway/stages/health.hpp"

#include <rapidjson/document.h>

#include <boost/asio.hpp>
#include <map>

#include "shopmesh/core/json.hpp"
#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/kafka_probe.hpp"
#include "shopmesh/gateway/revocation_feed.hpp"
#include "shopmesh/gateway/upstream.hpp"

namespace shopmesh::gateway {
namespace asio = boost::asio;

bool HealthStage::waits(const Exchange& ex) const {
  return ex.path == "/api/health" && (ex.method == "GET" || ex.method == "HEAD");
}

asio::awaitable<Answer> HealthStage::request_async(Request&, Exchange& ex) {
  ex.route_id = config_.route_id;
  struct Gather {
    explicit Gather(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::size_t pending = 0;
    std::map<std::string, std::pair<bool, bool>> results;  // service -> (up, postgres ok)
    std::map<std::string, std::string> outboxes;           // service -> its outbox slot's figures (JSON)
  };
  auto executor = co_await asio::this_coro::executor;
  auto gather = std::make_shared<Gather>(executor);
  const auto& pools = upstreams_.pools();
  gather->pending = pools.size();
  for (const auto& pool : pools) {
    asio::co_spawn(
        executor,
        [gather, pool = pool.get(), timeout = config_.timeout]() -> asio::awaitable<void> {
          Request probe{http::verb::get, "/health", 11};
          probe.set(http::field::host, "health");
          probe.keep_alive(true);
          auto r = co_await pool->send(probe, timeout);
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
              gather->outboxes[pool->service()].assign(figures.GetString(), figures.GetSize());
            }
          }
          gather->results[pool->service()] = {up, pg};
          if (--gather->pending == 0) gather->timer.cancel();
        },
        asio::detached);
  }
  if (gather->pending > 0) {
    gather->timer.expires_after(config_.timeout + std::chrono::milliseconds(500));
    co_await gather->timer.async_wait(asio::as_tuple(asio::deferred));
  }
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  std::size_t up_count = 0;
  bool postgres_ok = true;
  w.StartObject();
  w.Key("services");
  w.StartObject();
  for (const auto& pool : pools) {
    auto it = gather->results.find(pool->service());
    bool up = it != gather->results.end() && it->second.first;
    postgres_ok = postgres_ok && it != gather->results.end() && it->second.second;
    up_count += up ? 1 : 0;
    core::json::kv(w, pool->service(), up ? "ok" : "down");
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
  const bool kafka_ok = kafka_.healthy();
  core::json::kv(w, "kafka", kafka_ok ? "ok" : "down");
  core::json::kv(w, "postgres", postgres_ok ? "ok" : "down");
  core::json::kv(w, "auth", auth_.has_keys() ? "ok" : "no-keys");
  // Not ready until the revocations of the last access-token lifetime are loaded; "stale": tokens
  // are being checked with auth because the feed is behind.
  const bool replayed = !config_.events_enabled || feed_.replayed();
  core::json::kv(w, "revocations",
                 !config_.events_enabled                                                     ? "off"
                 : !replayed                                                                 ? "replaying"
                 : feed_.fresh(std::chrono::system_clock::now(), config_.revocation_max_lag) ? "ok"
                                                                                             : "stale");
  const bool all_ok = up_count == pools.size() && kafka_ok && postgres_ok && replayed;
  core::json::kv(w, "status", all_ok ? "ok" : (up_count == 0 ? "down" : "degraded"));
  w.EndObject();
  Response res{all_ok ? http::status::ok : http::status::service_unavailable, ex.version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body().assign(buf.GetString(), buf.GetSize());
  co_return res;
}

}  // namespace shopmesh::gateway
