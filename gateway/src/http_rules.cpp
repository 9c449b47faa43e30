#include "shopmesh/gateway/http_rules.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/dialects.hpp"

namespace shopmesh::gateway {
namespace {

namespace asio = boost::asio;

// RFC 9110 §7.6.1 hop-by-hop fields (plus Expect, which the gateway answers itself).
constexpr std::string_view kHopByHop[] = {"connection",
                                          "keep-alive",
                                          "proxy-connection",
                                          "proxy-authenticate",
                                          "proxy-authorization",
                                          "te",
                                          "trailer",
                                          "transfer-encoding",
                                          "upgrade",
                                          "expect"};

bool iequals(std::string_view a, std::string_view b) {
  return beast::iequals(a, b);
}

std::string_view view(beast::string_view s) {
  return {s.data(), s.size()};
}

bool is_hop_by_hop(std::string_view name, std::string_view connection_tokens) {
  for (auto h : kHopByHop)
    if (iequals(name, h)) return true;
  for (auto token : http::token_list(connection_tokens))
    if (iequals(name, view(token))) return true;
  return false;
}

}  // namespace

ParserLimits::ParserLimits(std::size_t header_limit, const RouteTable& routes)
    : header_limit(std::min<std::size_t>(header_limit, std::numeric_limits<std::uint32_t>::max())),
      body_limit(std::max(kDefaultBodyLimit, routes.max_body_limit())) {}

void ParserLimits::apply(RequestParser& parser) const {
  parser.header_limit(static_cast<std::uint32_t>(header_limit));
  parser.body_limit(body_limit);
}

std::optional<Refusal> refusal_for_read_error(beast::error_code ec, ReadPhase phase) {
  if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
    return std::nullopt;
  if (ec == http::error::body_limit) return Refusal{http::status::payload_too_large, "Request body is too large."};
  if (phase == ReadPhase::body) return Refusal{http::status::bad_request, "Malformed HTTP request body."};
  if (ec == http::error::header_limit)
    return Refusal{http::status::request_header_fields_too_large, "Request headers are too large (limit 8 KiB)."};
  // Includes conflicting or duplicate Content-Length / Transfer-Encoding: never guess framing.
  return Refusal{http::status::bad_request, "Malformed HTTP request."};
}

CheckedHead check_head(const RequestParser& parser, const RouteTable& routes) {
  const auto& header = parser.get();
  const std::string method(header.method_string());
  const std::string_view target = view(header.target());
  const auto q = target.find('?');
  CheckedHead out;
  out.path = "/";
  if (q != std::string_view::npos) out.query = std::string(target.substr(q));
  const auto normalized = normalize_path(target.substr(0, q));
  if (normalized) out.path = *normalized;
  // One Content-Length of digits only: Beast takes "13, 13" or the field twice as 13, which another
  // hop may read otherwise (nginx refuses both too).
  std::size_t lengths = 0;
  bool digits_only = true;
  for (const auto& f : header) {
    if (f.name() != http::field::content_length) continue;
    ++lengths;
    const auto v = view(f.value());
    digits_only =
        digits_only && !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  if (lengths > 1 || !digits_only) {
    out.refusal = Refusal{http::status::bad_request, "Repeated or malformed Content-Length."};
    return out;
  }
  const auto te = header.find(http::field::transfer_encoding);
  if (te != header.end() && header.version() < 11) {
    out.refusal = Refusal{http::status::bad_request, "Transfer-Encoding is not allowed in an HTTP/1.0 request."};
    return out;
  }
  if (te != header.end() && !(parser.chunked() && iequals(view(te->value()), "chunked"))) {
    // Only plain chunked framing is understood; anything else could desynchronise us and the
    // upstream about where this request ends (request smuggling).
    out.refusal = Refusal{http::status::bad_request, "Unsupported Transfer-Encoding."};
    return out;
  }
  if (header.method() == http::verb::unknown) {
    out.refusal = Refusal{http::status::not_implemented, "This method is not implemented."};
    return out;
  }
  const auto length = parser.content_length();
  if (header.method() == http::verb::trace && (parser.chunked() || length.value_or(0) > 0)) {
    // RFC 9110 §9.3.8: a TRACE request carries no content (Beast cannot even frame one onward).
    out.refusal = Refusal{http::status::bad_request, "A TRACE request carries no content."};
    return out;
  }
  if (!normalized) {
    out.path = std::string(target.substr(0, std::min<std::size_t>(q, 256)));
    out.refusal = Refusal{http::status::bad_request, "Malformed request path."};
    return out;
  }
  std::string_view route_method = method;
  out.dialect = routes.dialect_at(out.path);
  if (auto rewritten = routes.rewrite(method, out.path)) {
    out.client_path = std::exchange(out.path, std::move(rewritten->path));
    out.rewrite = rewritten->rule;
    if (!out.rewrite->to_method.empty()) route_method = out.rewrite->to_method;
    if (out.rewrite->transform != nullptr) out.dialect = out.rewrite->transform->dialect;
  }
  out.route = routes.match(route_method, out.path);
  if (out.route != nullptr) out.body_limit = out.route->body_limit;
  if (length && *length > out.body_limit)
    out.refusal = Refusal{http::status::payload_too_large, "Request body is too large."};
  return out;
}

bool has_obs_fold(std::string_view bytes, bool& at_line_start) {
  if (bytes.empty()) return false;
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  bool folded = at_line_start && is_space(bytes.front());
  // Line by line (memchr), not byte by byte: a head is mostly long lines such as a bearer token.
  const char* const end = bytes.data() + bytes.size();
  for (const char* p = bytes.data();;) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (nl == nullptr || nl + 1 == end) break;
    if (is_space(nl[1])) folded = true;
    p = nl + 1;
  }
  at_line_start = bytes.back() == '\n';
  return folded;
}

void strip_hop_by_hop(http::fields& fields) {
  const std::string connection_tokens(fields[http::field::connection]);
  for (auto it = fields.begin(); it != fields.end();) {
    if (is_hop_by_hop(view(it->name_string()), connection_tokens))
      it = fields.erase(it);
    else
      ++it;
  }
}

void prepare_upstream_request(Request& req, const ForwardInfo& info) {
  // Identity and forwarding headers are the gateway's to set: a client's copies never pass.
  strip_hop_by_hop(req);
  for (auto it = req.begin(); it != req.end();) {
    const std::string_view name = view(it->name_string());
    if (is_identity_header(name) || iequals(name, "x-forwarded-for") || iequals(name, "forwarded"))
      it = req.erase(it);
    else
      ++it;
  }
  core::MeshIdentity signed_identity;
  if (info.identity != nullptr) {
    for (const auto& [name, value] : identity_headers(*info.identity))
      req.set(beast::string_view(name.data(), name.size()), beast::string_view(value.data(), value.size()));
    signed_identity = {info.identity->user_id, info.identity->role, info.identity->email, info.identity->session_id};
  }
  req.target(beast::string_view(info.target.data(), info.target.size()));
  req.version(11);
  req.set("X-Request-Id", beast::string_view(info.request_id.data(), info.request_id.size()));
  req.set("traceparent", beast::string_view(info.traceparent.data(), info.traceparent.size()));
  req.set("X-Forwarded-For", beast::string_view(info.remote.data(), info.remote.size()));
  req.set("X-Forwarded-Proto", "http");
  if (info.mesh != nullptr) {
    const std::string credential = info.mesh->sign(view(req.method_string()), info.target, signed_identity);
    req.set(beast::string_view(core::MeshAuth::kHeader.data(), core::MeshAuth::kHeader.size()), credential);
  } else {
    req.erase(beast::string_view(core::MeshAuth::kHeader.data(), core::MeshAuth::kHeader.size()));
  }
  req.keep_alive(true);
  req.prepare_payload();
}

void frame_payload(http::response<http::string_body>& res) {
  const auto status = res.result();
  if (status == http::status::no_content || status == http::status::not_modified ||
      http::to_status_class(status) == http::status_class::informational) {
    res.body().clear();
    res.erase(http::field::transfer_encoding);
    if (status != http::status::not_modified) res.erase(http::field::content_length);
    return;
  }
  res.prepare_payload();
}

}  // namespace shopmesh::gateway
