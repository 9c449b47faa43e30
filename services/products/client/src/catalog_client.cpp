#include "shopmesh/products/catalog_client.hpp"

#include <rapidjson/document.h>

#include <charconv>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/mesh_auth.hpp"

namespace shopmesh::products::client {
namespace {

constexpr std::size_t kBatch = 100;  // the endpoint's limit

std::string str(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace

bool parse_catalog_items(const std::string& body, std::map<std::string, CatalogProduct>& out) {
  // Numbers are read as their literal text so that prices stay exact.
  rapidjson::Document d;
  d.Parse<rapidjson::kParseNumbersAsStringsFlag>(body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("items") || !d["items"].IsArray()) return false;
  for (const auto& item : d["items"].GetArray()) {
    if (!item.IsObject()) return false;
    CatalogProduct p;
    p.id = str(item, "id");
    p.sku = str(item, "sku");
    p.name = str(item, "name");
    auto price = core::parse_cents(str(item, "price"));
    const std::string stock = str(item, "stock");
    auto [ptr, ec] = std::from_chars(stock.data(), stock.data() + stock.size(), p.stock);
    if (p.id.empty() || !price || ec != std::errc{} || !item.HasMember("active") || !item["active"].IsBool())
      return false;
    p.price = *price;
    p.active = item["active"].GetBool();
    out[p.id] = std::move(p);
  }
  return true;
}

std::map<std::string, CatalogProduct> HttpCatalog::lookup(const std::vector<std::string>& ids, const Trace& trace) {
  std::map<std::string, CatalogProduct> out;
  for (std::size_t start = 0; start < ids.size(); start += kBatch) {
    std::string list;
    for (std::size_t i = start; i < ids.size() && i < start + kBatch; ++i) {
      if (!list.empty()) list.push_back(',');
      list += ids[i];
    }
    core::HttpCall call;
    call.headers = {{"X-Request-Id", trace.request_id}};
    if (!trace.traceparent.empty()) call.headers.emplace_back("traceparent", trace.traceparent);
    call.timeout = timeout_;
    call.mesh = &mesh_;
    const auto result = peers_.call(call, "/internal/products?ids=" + list);
    if (result.status != 200) {
      throw core::Unavailable("catalog lookup failed: " +
                              (result.status == 0 ? result.error : "status " + std::to_string(result.status)));
    }
    if (!parse_catalog_items(result.body, out)) throw core::Unavailable("catalog lookup answered malformed JSON");
  }
  return out;
}

}  // namespace shopmesh::products::client
