#pragma once
// What one request carries through the gateway's stages: the facts gathered on the way in (request
// id, trace, route, caller, rate decision, cache state), read again on the way out for the response
// headers, the metrics and the access log. Plus the answers every stage builds the same way.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/trace.hpp"
#include "shopmesh/gateway/http_rules.hpp"
#include "shopmesh/gateway/rate_limit.hpp"

namespace shopmesh::gateway {

using Response = http::response<http::string_body>;

struct Identity;
struct Route;
struct Rewrite;
struct Dialect;

// An upstream's plain answer head, kept as bytes rather than read into the Response's fields: the
// proxy stage's fast path. The Response then has the status and body but no fields; what the stages
// set in it goes out in place of the upstream's fields of the same names (write_answer_head). A
// stage whose `response` must see the upstream's fields says so (Stage::reads_answer).
struct UpstreamAnswer {
  std::string head;  // status line, fields and blank line; empty: the Response is whole
  unsigned status = 0;
  std::uint64_t body_length = 0;  // its Content-Length
  std::size_t request_id_at = 0;  // where in `head` its one X-Request-Id's value is (size 0: none, or several)
  std::size_t request_id_size = 0;
  bool date = false;  // it has a Date field

  std::string_view request_id() const { return std::string_view(head).substr(request_id_at, request_id_size); }
};

struct Exchange {
  // When the request's first bytes were read (the clock the stages read it from, rather than again).
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // Set by the session before the first stage.
  std::string_view remote;         // the peer's address (the session's string, which outlives the exchange)
  std::string_view rate_key;       // the peer's rate-limit key (IPv4 address or IPv6 /64)
  std::optional<Refusal> refusal;  // the head or body broke a framing rule (answered by the framing stage)
  unsigned version = 11;
  std::string method = "-";
  std::string path = "/";
  std::string query;  // with its leading '?', or empty
  const Route* route = nullptr;
  const Rewrite* rewrite = nullptr;  // the compatibility rewrite applied to the path, if any
  const Dialect* dialect = nullptr;  // the dialect its answers take, if any (dialects.hpp)
  std::string client_path;           // the path before the rewrite (empty: not rewritten)
  std::string allow;                 // unrouted, but rewrites take these methods here (CheckedHead::allow)
  bool head = false;
  bool close = false;  // the connection closes after this answer
  bool defer = false;  // a stage's `request` found it must wait: the chain runs its `request_async`

  // Filled in by the stages.
  std::string request_id;
  core::TraceContext trace;
  std::string origin;
  std::size_t route_id = 0;                  // the metrics label: a route's index, or a built-in endpoint's id
  std::shared_ptr<const Identity> identity;  // the verified caller, if any
  std::string user_id;
  std::string_view auth_error;
  RateDecision rate;
  bool cacheable = false;  // an anonymous GET of a cached route: the response may be stored
  std::string cache_key;
  std::uint64_t cache_generation = 0;
  std::string_view cache_tag;  // HIT / MISS for the access log
  std::string_view upstream;   // the instance that answered, alive as long as its pool
  UpstreamAnswer answer;       // the upstream's answer head as it came, when the proxy kept it so
};

/// The fields of `ex.answer.head` into `res`, under those the stages set there (which replace the
/// upstream's of the same name); `ex.answer` is then empty and `res` the whole answer.
void read_answer_fields(Response& res, Exchange& ex);
/// The answer's head as the client gets it: `ex.answer.head` with the fields the stages set in
/// `res` in place of its own of those names. Only for an answer with a head kept.
void write_answer_head(const Response& res, const Exchange& ex, std::string& out);

/// An RFC 9457 problem answer naming the request's path and id (and the fields at fault, if any).
Response problem(http::status status, std::string_view detail, const Exchange& ex,
                 const std::vector<core::FieldError>& errors = {});
/// 401 with the Bearer challenge: why the token (if one was sent) was not accepted.
Response unauthorized(const Exchange& ex, bool token_present, std::string_view reason);
/// The value of a header, if the request has it.
std::optional<std::string_view> header_value(const Request& req, http::field f);

}  // namespace shopmesh::gateway
