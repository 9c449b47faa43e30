#include "shopmesh/gateway/http_rules.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "shopmesh/core/http_wire.hpp"
#include "shopmesh/core/text.hpp"
#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/dialects.hpp"

namespace shopmesh::gateway {
namespace {

namespace asio = boost::asio;

using core::iequals;

std::string_view view(beast::string_view s) {
  return {s.data(), s.size()};
}

// A hop-by-hop field, or one the Connection header names (`connection_tokens`, its value).
bool is_hop_by_hop(const http::fields::value_type& f, std::string_view connection_tokens) {
  if (gateway::is_hop_by_hop(f.name())) return true;
  if (connection_tokens.empty()) return false;
  for (auto token : http::token_list(connection_tokens))
    if (iequals(view(f.name_string()), view(token))) return true;
  return false;
}

// Fields of a client's request that the gateway writes itself, so a client's copy never passes:
// framing, forwarding, request id, trace context, the mesh credential and the identity headers.
bool is_set_by_gateway(const http::fields::value_type& f) {
  switch (f.name()) {
    case http::field::content_length:
    case http::field::forwarded:
      return true;
    case http::field::unknown:
      break;
    default:
      return false;  // no other field Beast knows by name is among them
  }
  const std::string_view name = view(f.name_string());
  return is_identity_header(name) || iequals(name, "x-forwarded-for") || iequals(name, "x-forwarded-proto") ||
         iequals(name, "x-request-id") || iequals(name, "traceparent") || iequals(name, core::MeshAuth::kHeader);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

// RFC 9110 §7.6.1 hop-by-hop fields (plus Expect, which the gateway answers itself), by Beast's
// field code: one comparison per field, no string compared.
bool is_hop_by_hop(http::field name) {
  switch (name) {
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::proxy_authenticate:
    case http::field::proxy_authorization:
    case http::field::te:
    case http::field::trailer:
    case http::field::transfer_encoding:
    case http::field::upgrade:
    case http::field::expect:
      return true;
    default:
      return false;
  }
}

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
  Framing framing{parser.chunked(), std::nullopt};
  if (const auto length = parser.content_length()) framing.content_length = *length;
  return check_head(parser.get(), framing, routes);
}

CheckedHead check_head(const Request& header, const Framing& framing, const RouteTable& routes) {
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
  if (te != header.end() && !(framing.chunked && iequals(view(te->value()), "chunked"))) {
    // Only plain chunked framing is understood; anything else could desynchronise us and the
    // upstream about where this request ends (request smuggling).
    out.refusal = Refusal{http::status::bad_request, "Unsupported Transfer-Encoding."};
    return out;
  }
  const auto& length = framing.content_length;
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
  if (out.route == nullptr && out.rewrite == nullptr) out.allow = routes.rewrite_methods(out.path);
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
  const auto connection = fields.find(http::field::connection);
  const std::string connection_tokens = connection == fields.end() ? std::string() : std::string(connection->value());
  for (auto it = fields.begin(); it != fields.end();) {
    if (is_hop_by_hop(*it, connection_tokens))
      it = fields.erase(it);
    else
      ++it;
  }
}

void write_upstream_request(const Request& req, const ForwardInfo& info, UpstreamRequest& out) {
  out.method = req.method();
  // RFC 9110 §9.3.8: a TRACE carries no content. What a client sent anyway has no meaning, so the TRACE
  // goes on without it (and without a Content-Length) and its owner answers it: 405, no resource takes TRACE.
  out.body = req.method() == http::verb::trace ? std::string_view() : std::string_view(req.body());
  std::string& h = out.head;
  h.clear();
  h.reserve(2048);  // one allocation for a common head (a bearer token is about 700 bytes of it)
  h.append(view(req.method_string()));
  h.push_back(' ');
  h.append(info.target);
  h.append(" HTTP/1.1\r\n");
  const auto connection = req.find(http::field::connection);
  const std::string_view connection_tokens = connection == req.end() ? std::string_view() : view(connection->value());
  // A bearer token the gateway verified stops here: the service gets the identity it proves,
  // signed. A token it did not accept goes on, so that the service says what it makes of it.
  const bool token_verified = info.identity != nullptr;
  for (const auto& f : req)
    if (!is_hop_by_hop(f, connection_tokens) && !is_set_by_gateway(f) &&
        !(token_verified && f.name() == http::field::authorization))
      append_field(h, view(f.name_string()), view(f.value()));
  core::MeshIdentity signed_identity;
  if (info.identity != nullptr) {
    for (const auto& [name, value] : identity_headers(*info.identity)) append_field(h, name, value);
    signed_identity = {info.identity->user_id, info.identity->role, info.identity->email, info.identity->session_id};
  }
  append_field(h, "X-Request-Id", info.request_id);
  append_field(h, "traceparent", info.traceparent);
  append_field(h, "X-Forwarded-For", info.remote);
  if (info.mesh != nullptr) {
    h.append(core::MeshAuth::kHeader).append(": ");
    info.mesh->append_signature(h, view(req.method_string()), info.target, signed_identity);
    h.append("\r\n");
  }
  // As Beast's prepare_payload frames a request: a length when there is a body, or for the methods
  // that expect one; none otherwise.
  const auto method = req.method();
  if (!out.body.empty() || method == http::verb::post || method == http::verb::put || method == http::verb::options) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, out.body.size()).ptr;
    append_field(h, "Content-Length", {digits, static_cast<std::size_t>(end - digits)});
  }
  h.append("\r\n");
}

void write_upstream_request(const Request& msg, UpstreamRequest& out) {
  out.method = msg.method();
  out.body = msg.body();
  out.head.clear();
  core::wire::append_head(msg, out.head);
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
  // Already framed as prepare_payload would (an upstream's answer, usually): nothing to rewrite.
  const auto length = res.find(http::field::content_length);
  if (length != res.end() && res.find(http::field::transfer_encoding) == res.end()) {
    const auto value = length->value();
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec == std::errc() && end == value.data() + value.size() && n == res.body().size()) return;
  }
  res.prepare_payload();
}

}  // namespace shopmesh::gateway
