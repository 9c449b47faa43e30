#include "shopmesh/gateway/stages/caching.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>

#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/response_cache.hpp"
#include "shopmesh/gateway/routes.hpp"

namespace shopmesh::gateway {

Answer CacheStage::request(Request& req, Exchange& ex) {
  ex.cacheable = ex.route->cache && req.method() == http::verb::get && cache_.enabled() &&
                 req.find(http::field::authorization) == req.end();
  if (!ex.cacheable) return std::nullopt;
  ex.cache_key = ex.path + ex.query;
  auto hit = cache_.get(ex.cache_key, std::chrono::steady_clock::now());
  if (!hit) {
    metrics_.cache(GatewayMetrics::CacheResult::miss);
    ex.cache_tag = "MISS";
    ex.cache_generation = cache_.generation();
    return std::nullopt;
  }
  metrics_.cache(GatewayMetrics::CacheResult::hit);
  ex.cache_tag = "HIT";
  Response res{static_cast<http::status>(hit->status), ex.version};
  for (const auto& [k, v] : hit->headers) res.set(k, v);
  res.set("X-Cache", "HIT");
  res.set(
      http::field::age,
      std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - hit->stored_at).count()));
  res.body() = hit->body;
  return res;
}

void CacheStage::response(Response& res, Exchange& ex) {
  const int status = res.result_int();
  if (ex.cacheable) {
    if (ex.cache_tag != "MISS") return;  // a hit, answered here
    res.set("X-Cache", "MISS");
    const auto cc = res[http::field::cache_control];
    const bool storable = status == 200 && cc.find("no-store") == beast::string_view::npos &&
                          cc.find("private") == beast::string_view::npos &&
                          res.find(http::field::set_cookie) == res.end();
    if (!storable) return;
    CachedResponse entry;
    entry.status = status;
    for (const auto& f : res) {
      const std::string_view name(f.name_string().data(), f.name_string().size());
      if (beast::iequals(name, "x-request-id") || beast::iequals(name, "date") ||
          beast::iequals(name, "content-length") || beast::iequals(name, "x-cache"))
        continue;
      entry.headers.emplace_back(std::string(name), std::string(f.value()));
    }
    entry.body = res.body();
    if (cache_.put(std::move(ex.cache_key), std::move(entry), ex.cache_generation, std::chrono::steady_clock::now()))
      metrics_.cache(GatewayMetrics::CacheResult::store);
    return;
  }
  if (status >= 200 && status < 300 && ex.method != "GET" && ex.method != "HEAD" && ex.route &&
      std::find(cached_services_.begin(), cached_services_.end(), ex.route->service) != cached_services_.end()) {
    cache_.invalidate_all();
    metrics_.cache_invalidated();
  }
}

}  // namespace shopmesh::gateway
