// Raw bytes from a client connection through the gateway's request handling, without sockets:
// Beast's parser with the gateway's limits (http_rules), the framing and path checks, rewrites and
// routes of gateway/routes.json, CORS, rate-limit keys and buckets, bearer tokens verified against
// the fuzz JWKS, the access decision, and the upstream request the gateway would send. Requests are
// read one after another from the same bytes, as a kept-alive connection pipelines them.
//
// Beyond sanitizer findings, it checks what must hold for every admitted request: framing is
// unambiguous, the path is canonical, the route fits, a route's policy is honoured, and the
// upstream request carries no client-supplied identity and parses back to exactly one request
// with the same body (nothing smuggled behind it).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdint>
#include <sstream>

#include "fuzz_support.hpp"
#include "memory_stream.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/trace.hpp"
#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/config.hpp"
#include "shopmesh/gateway/cors.hpp"
#include "shopmesh/gateway/http_rules.hpp"
#include "shopmesh/gateway/plain_head.hpp"
#include "shopmesh/gateway/rate_limit.hpp"
#include "shopmesh/gateway/revocation.hpp"
#include "shopmesh/gateway/routes.hpp"

std::string_view default_routes_json();

namespace {

using namespace shopmesh;
using namespace shopmesh::gateway;

constexpr int kMaxRequestsPerInput = 8;
constexpr std::size_t kHeaderLimit = 8 * 1024;  // GatewayConfig's default
constexpr std::string_view kRemote = "203.0.113.7";

std::string_view view(beast::string_view s) {
  return {s.data(), s.size()};
}

bool has_crlf(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

struct Gateway {
  RouteTable routes = RouteTable::parse(default_routes_json());
  ParserLimits limits{kHeaderLimit, routes};
  CorsPolicy cors{{"https://shop.example.com", "http://localhost:3000/"}, std::chrono::seconds(600)};
  std::vector<std::pair<std::string, RateSpec>> rate_classes;
  shopmesh::core::MeshAuth mesh{"gateway", {"fuzz-mesh-key-0123456789abcdef0123456789"}};

  Gateway() {
    for (const auto& rc : rate_class_defaults()) rate_classes.emplace_back(rc.name, *RateSpec::parse(rc.fallback));
  }
};

const Gateway& fixture() {
  static const Gateway g;
  return g;
}

// The framing of an admitted head leaves no doubt about where the request ends.
void check_framing(const RequestParser& parser) {
  const auto& h = parser.get();
  const bool has_length = h.find(http::field::content_length) != h.end();
  const bool has_te = h.find(http::field::transfer_encoding) != h.end();
  FUZZ_CHECK(!(has_length && has_te));
  FUZZ_CHECK(h.count(http::field::content_length) <= 1);
  if (has_te) FUZZ_CHECK(parser.chunked() && beast::iequals(h[http::field::transfer_encoding], "chunked"));
}

void check_path(const CheckedHead& head, std::string_view method) {
  FUZZ_CHECK(!head.path.empty() && head.path.front() == '/');
  FUZZ_CHECK(head.path.find("//") == std::string::npos);
  FUZZ_CHECK(head.path == "/" || head.path.back() != '/');
  FUZZ_CHECK(normalize_path(head.path) == head.path);
  if (head.route != nullptr) {
    FUZZ_CHECK(head.route->matches_path(head.path));
    FUZZ_CHECK(head.route->allows_method(method));
    FUZZ_CHECK(head.body_limit == head.route->body_limit);
  }
}

// Reads back what the gateway would send upstream: one whole request, nothing after it.
// The upstream request's bytes parse back into one whole request, with exactly the body and target
// the gateway meant to send.
Request parse_upstream_bytes(const UpstreamRequest& upstream, std::string_view target, std::string_view body) {
  const std::string bytes = upstream.head + std::string(upstream.body);
  RequestParser parser;
  parser.eager(true);
  parser.header_limit(1024 * 1024);
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(bytes), ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(parser.is_done());
  FUZZ_CHECK(used == bytes.size());
  Request again = parser.release();
  FUZZ_CHECK(again.body() == body);
  FUZZ_CHECK(view(again.target()) == target);
  FUZZ_CHECK(again.count("x-forwarded-for") == 1);
  return again;
}

void check_upstream_request(const Request& upstream, const Identity* identity) {
  // The mesh credential covers exactly the method, target and identity the service will read.
  const auto& mesh = fixture().mesh;
  FUZZ_CHECK(upstream.count("x-mesh-auth") == 1);
  shopmesh::core::MeshIdentity signed_id;
  if (identity != nullptr) signed_id = {identity->user_id, identity->role, identity->email, identity->session_id};
  FUZZ_CHECK(mesh.verify(view(upstream["x-mesh-auth"]), view(upstream.method_string()), view(upstream.target()),
                         signed_id) == "gateway");
  for (const auto& f : upstream) {
    const std::string_view name = view(f.name_string());
    FUZZ_CHECK(!has_crlf(view(f.value())));
    if (is_identity_header(name)) {
      // Only the gateway's own identity headers, and only for a verified caller.
      FUZZ_CHECK(identity != nullptr);
      bool ours = false;
      for (const auto& [n, v] : identity_headers(*identity))
        if (beast::iequals(n, name) && view(f.value()) == v) ours = true;
      FUZZ_CHECK(ours);
    }
    FUZZ_CHECK(!beast::iequals(name, "forwarded") && !beast::iequals(name, "upgrade") &&
               !beast::iequals(name, "proxy-authorization") && !beast::iequals(name, "expect"));
  }
  FUZZ_CHECK(upstream["x-forwarded-for"] == kRemote);
}

// handle(): CORS preflight, then route, per-address limit, token, access, per-user limit; then the
// proxy's rewrite of the request.
void handle(Request& req, const CheckedHead& head, RateLimiter& limiter, Authenticator& auth) {
  const auto& g = fixture();
  const std::string method(req.method_string());
  const std::string_view origin = view(req[http::field::origin]);
  for (const auto& [name, value] : g.cors.response_headers(origin)) FUZZ_CHECK(!has_crlf(value));
  if (CorsPolicy::is_preflight(method, origin, view(req["access-control-request-method"]))) {
    for (const auto& [name, value] : g.cors.preflight_headers(origin, view(req["access-control-request-method"]),
                                                              view(req["access-control-request-headers"])))
      FUZZ_CHECK(!has_crlf(value));
    return;
  }
  const core::TraceContext trace = core::continue_or_start_trace(view(req["traceparent"]));
  FUZZ_CHECK(trace.traceparent.size() == 55 && trace.trace_id().size() == 32);
  const std::string_view request_id = view(req["x-request-id"]);
  const std::string id = core::is_valid_request_id(request_id) ? std::string(request_id) : "generated-request-id";
  const Route* route = head.route;
  if (route == nullptr) return;  // 404, or a builtin endpoint

  const auto steady = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
  // The key comes from the socket's address in the server; here hostile text exercises its parser.
  const std::string rate_key = client_rate_key(view(req["x-forwarded-for"]));
  const int ip_class = limiter.class_id(route->rate_class);
  FUZZ_CHECK(ip_class >= 0);
  if (!limiter.check(ip_class, rate_key, steady).allowed) return;

  const auto authorization = req.find(http::field::authorization) == req.end()
                                 ? std::nullopt
                                 : std::optional<std::string_view>(view(req[http::field::authorization]));
  const AuthOutcome outcome = auth.authenticate(authorization, fuzz::now());
  FUZZ_CHECK((outcome.state == TokenState::valid) == (outcome.identity != nullptr));
  FUZZ_CHECK(authorization.has_value() || outcome.state == TokenState::absent);
  switch (decide_access(route->auth, outcome)) {
    case Access::allow:
      if (route->auth != AuthPolicy::public_access) FUZZ_CHECK(outcome.state == TokenState::valid);
      if (route->auth == AuthPolicy::admin) FUZZ_CHECK(outcome.identity->role == "ADMIN");
      break;
    case Access::unauthenticated:
      return;
    case Access::forbidden:
      FUZZ_CHECK(route->auth == AuthPolicy::admin);
      return;
  }
  if (outcome.identity) {
    const auto d = limiter.check(limiter.class_id("user"), outcome.identity->user_id, steady);
    if (!d.allowed) return;
  }
  const std::string target = head.path + head.query;
  UpstreamRequest upstream;
  write_upstream_request(req, {target, id, trace.traceparent, kRemote, outcome.identity.get(), &g.mesh}, upstream);
  check_upstream_request(parse_upstream_bytes(upstream, target, req.body()), outcome.identity.get());
}

// The fast path's message against Beast's: method, target, version and every field, in order.
void check_same_message(const Request& plain, const Request& beast) {
  FUZZ_CHECK(plain.method() == beast.method() && view(plain.method_string()) == view(beast.method_string()));
  FUZZ_CHECK(view(plain.target()) == view(beast.target()) && plain.version() == beast.version());
  auto a = plain.begin(), b = beast.begin();
  for (; a != plain.end() && b != beast.end(); ++a, ++b)
    FUZZ_CHECK(a->name() == b->name() && view(a->name_string()) == view(b->name_string()) &&
               view(a->value()) == view(b->value()));
  FUZZ_CHECK(a == plain.end() && b == beast.end());
  FUZZ_CHECK(plain.keep_alive() == beast.keep_alive());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& g = fixture();
  // Per connection state, fresh for each input so that a finding reproduces from its input alone.
  RateLimiter limiter(g.rate_classes);
  RevocationSet revocations(960);
  Authenticator::Settings settings;
  settings.verify = fuzz::verify_options();
  settings.cache_capacity = 16;
  Authenticator auth(settings, revocations);
  auth.set_keys(fuzz::verification_keys());

  fuzz::MemoryStream stream(fuzz::as_text(data, size));
  beast::flat_buffer buffer;
  for (int n = 0; n < kMaxRequestsPerInput; ++n) {
    RequestParser parser;
    g.limits.apply(parser);
    // The server reads the head with its own loop so as to see the raw bytes the parser consumes;
    // Beast's read_header consumes the same, so here they are the input between the two offsets.
    const std::size_t head_start = stream.consumed().size() - buffer.size();
    // The fast path over everything from here on: what it takes, Beast must read to the same message.
    Request plain;
    const PlainHead fast = parse_plain_head(fuzz::as_text(data, size).substr(head_start), kHeaderLimit, plain);
    beast::error_code ec;
    http::read_header(stream, buffer, parser, ec);
    if (fast.state == PlainHead::State::parsed) {
      FUZZ_CHECK(!ec && parser.is_done());
      FUZZ_CHECK(stream.consumed().size() - buffer.size() - head_start == fast.length);
      check_same_message(plain, parser.get());
    }
    if (ec) {
      const auto refusal = refusal_for_read_error(ec, ReadPhase::head);
      if (refusal) FUZZ_CHECK(static_cast<int>(refusal->status) >= 400);
      break;  // a refused or vanished client: the connection ends either way
    }
    const std::string method(parser.get().method_string());
    CheckedHead head = check_head(parser, g.routes);
    bool at_line_start = false;
    const std::string_view head_bytes =
        stream.consumed().substr(head_start, stream.consumed().size() - buffer.size() - head_start);
    if (has_obs_fold(head_bytes, at_line_start) && !head.refusal)
      head.refusal = Refusal{http::status::bad_request, "obs-fold"};
    if (head.refusal) break;
    check_framing(parser);
    check_path(head, method);
    parser.body_limit(head.body_limit);
    if (!parser.is_done()) {
      http::read(stream, buffer, parser, ec);
      if (ec) {
        const auto refusal = refusal_for_read_error(ec, ReadPhase::body);
        if (refusal) FUZZ_CHECK(static_cast<int>(refusal->status) >= 400);
        break;
      }
    }
    FUZZ_CHECK(parser.get().body().size() <= head.body_limit);
    Request req = parser.release();
    const bool keep_alive = req.keep_alive();
    handle(req, head, limiter, auth);
    if (!keep_alive) break;
  }
  return 0;
}
