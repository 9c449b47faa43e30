#include "shopmesh/products/stock_client.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <thread>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/mesh_auth.hpp"

namespace shopmesh::products {
namespace {

constexpr std::chrono::milliseconds kProvisionWait{2'000};

// The `detail` of a problem+json answer, or `fallback`.
std::string detail_of(const std::string& body, const char* fallback) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (!d.HasParseError() && d.IsObject() && d.HasMember("detail") && d["detail"].IsString())
    return d["detail"].GetString();
  return fallback;
}

}  // namespace

StockLevel StockClient::adjust(const std::string& product_id, const StockChange& change, const CallContext& ctx) {
  core::HttpCall call;
  call.method = "POST";
  const std::string target = "/internal/stock/" + product_id + "/adjust";
  call.headers = {{"Content-Type", "application/json"}, {"X-Request-Id", ctx.request_id}};
  if (!ctx.traceparent.empty()) call.headers.emplace_back("traceparent", ctx.traceparent);
  call.body = stock_change_json(change);
  call.timeout = timeout_;
  call.mesh = &mesh_;
  // A product created a moment ago has no level until the stock service has consumed its
  // PRODUCT_CREATED (normally within milliseconds): a client that creates and then sets the stock
  // at once is answered when the level opens, within kProvisionWait, not with a 503.
  const auto deadline = std::chrono::steady_clock::now() + kProvisionWait;
  auto result = peers_.call(call, target);
  while (result.status == 404 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    result = peers_.call(call, target);
  }
  if (result.status == 200) {
    rapidjson::Document d;
    d.Parse(result.body.c_str());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("available") || !d["available"].IsInt64())
      throw core::Unavailable("stock service answered without a level");
    StockLevel level;
    level.available = d["available"].GetInt64();
    if (d.HasMember("reserved") && d["reserved"].IsInt64()) level.reserved = d["reserved"].GetInt64();
    if (d.HasMember("changedAt") && d["changedAt"].IsString()) level.changed_at = d["changedAt"].GetString();
    return level;
  }
  if (result.status == 409) throw core::conflict(detail_of(result.body, "The stock level cannot go below zero."));
  if (result.status == 404)  // the level opens when the stock service has consumed PRODUCT_CREATED
    throw core::Unavailable("the product's stock level is not provisioned yet");
  if (result.status == 0) throw core::Unavailable("stock service unreachable: " + result.error);
  throw core::Unavailable("stock service answered " + std::to_string(result.status));
}

}  // namespace shopmesh::products
