#include "shopmesh/core/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>

#include <curl/curl.h>

#include "shopmesh/core/mesh_auth.hpp"

namespace shopmesh::core {
namespace {

struct CurlHandle {
  CurlHandle() {
    static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
    (void)initialised;
    handle = curl_easy_init();
  }
  ~CurlHandle() { curl_easy_cleanup(handle); }
  CURL* handle;
};

// The request target curl sends for `url` (path and query; "/" when the URL has no path).
std::string_view target_of(std::string_view url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  if (slash == std::string_view::npos) return "/";
  auto target = url.substr(slash);
  if (const auto fragment = target.find('#'); fragment != std::string_view::npos) target = target.substr(0, fragment);
  return target;
}

std::string_view header_value(const HttpCall& call, std::string_view name) {
  for (const auto& [k, v] : call.headers)
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  return {};
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  std::string_view line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    static_cast<HttpResult*>(user)->headers.emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

}  // namespace

std::string HttpResult::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

HttpResult http_call(const HttpCall& call) {
  thread_local CurlHandle curl;  // one keep-alive connection cache per worker thread
  CURL* h = curl.handle;
  curl_easy_reset(h);
  HttpResult result;
  curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<long>(call.timeout.count(), 1000)));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &result);
  if (call.method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT" || call.method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  struct curl_slist* list = nullptr;
  for (const auto& [k, v] : call.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  if (call.mesh != nullptr) {
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // the target signed is the target sent
    const MeshIdentity identity{header_value(call, kIdentityHeaders[0]), header_value(call, kIdentityHeaders[1]),
                                header_value(call, kIdentityHeaders[2]), header_value(call, kIdentityHeaders[3])};
    const std::string credential = call.mesh->sign(call.method, target_of(call.url), identity);
    list = curl_slist_append(list, (std::string(MeshAuth::kHeader) + ": " + credential).c_str());
  }
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    result.error = curl_easy_strerror(rc);
    result.status = 0;
    result.connect_failed = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
    return result;
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  result.status = static_cast<int>(status);
  return result;
}

Peers::Peers(std::string_view urls) {
  while (!urls.empty()) {
    const auto comma = urls.find(',');
    std::string_view url = urls.substr(0, comma);
    urls = comma == std::string_view::npos ? std::string_view{} : urls.substr(comma + 1);
    while (!url.empty() && (url.front() == ' ' || url.front() == '\t')) url.remove_prefix(1);
    while (!url.empty() && (url.back() == ' ' || url.back() == '\t' || url.back() == '/')) url.remove_suffix(1);
    if (url.empty()) continue;
    if (!url.starts_with("http://") && !url.starts_with("https://"))
      throw std::invalid_argument("'" + std::string(url) + "' is not an http:// or https:// URL");
    urls_.emplace_back(url);
  }
  if (urls_.empty()) throw std::invalid_argument("no URL given");
  down_until_ = std::make_unique<std::atomic<std::int64_t>[]>(urls_.size());
}

HttpResult Peers::call(HttpCall call, std::string_view target) const {
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  // The instances in order of preference, those known to be down last (they may be back).
  std::vector<std::size_t> order;
  order.reserve(urls_.size());
  const auto t = now_ms();
  for (std::size_t i = 0; i < urls_.size(); ++i)
    if (down_until_[i].load(std::memory_order_relaxed) <= t) order.push_back(i);
  for (std::size_t i = 0; i < urls_.size(); ++i)
    if (down_until_[i].load(std::memory_order_relaxed) > t) order.push_back(i);
  HttpResult result;
  for (const auto i : order) {
    call.url.assign(urls_[i]).append(target);
    result = http_call(call);
    if (!result.connect_failed) {
      down_until_[i].store(0, std::memory_order_relaxed);
      return result;
    }
    down_until_[i].store(now_ms() + kDownFor.count(), std::memory_order_relaxed);
  }
  return result;
}

}  // namespace shopmesh::core
