// Raw bytes from a connection to a service, as its HTTP server (core/http_server.cpp) reads them:
// requests one after another, each through the fast path for plain requests (core/plain_head.hpp)
// and, for the same bytes, through Beast's parser with the server's limits. Whatever the fast path
// takes, Beast must read to the same request (method, target, the fields in order, the body,
// keep-alive; fields of one name in the same order) from the same number of bytes: the fast path never lets through a request Beast would
// refuse or frame otherwise (nothing smuggled).
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>

#include "fuzz_support.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/plain_head.hpp"
#include "shopmesh/core/text.hpp"

namespace {

using namespace shopmesh;
namespace http = boost::beast::http;

constexpr int kMaxRequestsPerInput = 8;
constexpr std::size_t kHeaderLimit = 8 * 1024;  // http_server.cpp's
constexpr std::uint64_t kBodyLimit = 4096;      // small, so that the limit is met

// The fields in the order Beast's message keeps them: a field whose name came before goes after the
// last of that name (basic_fields::insert). Values of one name keep their order either way, which is
// all a service reads (Headers::get takes the first).
std::vector<std::pair<std::string, std::string>> beast_order(const core::Headers& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : headers) {
    auto at = out.end();
    for (auto it = out.begin(); it != out.end(); ++it)
      if (core::iequals(it->first, f.first)) at = it + 1;
    out.emplace(at, f.first, f.second);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest = fuzz::as_text(data, size);
  for (int n = 0; n < kMaxRequestsPerInput && !rest.empty(); ++n) {
    core::Request fast;
    bool fast_keep_alive = false;
    std::optional<std::uint64_t> length;
    const core::PlainHead head = core::parse_plain_request(rest, kHeaderLimit, fast, fast_keep_alive, length);

    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    parser.eager(true);
    boost::beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);

    // The server takes the fast path's request once its body is here and within the limit.
    const std::uint64_t body = length.value_or(0);
    if (head.state == core::PlainHead::State::parsed && body <= kBodyLimit && head.length + body <= rest.size()) {
      FUZZ_CHECK(!ec && parser.is_done());
      FUZZ_CHECK(used == head.length + body);
      const auto& msg = parser.get();
      FUZZ_CHECK(fast.method == std::string_view(msg.method_string()));
      FUZZ_CHECK(fast.target == std::string_view(msg.target()));
      FUZZ_CHECK(fast_keep_alive == msg.keep_alive());
      FUZZ_CHECK(msg.body() == rest.substr(head.length, body));
      auto field = msg.begin();
      for (const auto& [name, value] : beast_order(fast.headers)) {
        FUZZ_CHECK(field != msg.end());
        FUZZ_CHECK(name == std::string_view(field->name_string()));
        FUZZ_CHECK(value == std::string_view(field->value()));
        ++field;
      }
      FUZZ_CHECK(field == msg.end());
    }
    if (ec || !parser.is_done()) break;
    rest.remove_prefix(used);
    if (!parser.get().keep_alive()) break;
  }
  return 0;
}
