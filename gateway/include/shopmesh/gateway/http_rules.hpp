#pragma once
// The gateway's HTTP rules as plain functions over Beast messages, with no socket in sight: what a
// read error means, which request heads are refused before their body is read (framing that could
// smuggle a request, malformed paths, bodies over the route's limit), and how a client's request is
// edited into the upstream request. server.cpp applies them; tests/fuzz feeds them raw bytes.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shopmesh/core/mesh_auth.hpp"
#include "shopmesh/gateway/routes.hpp"

namespace shopmesh::gateway {

namespace beast = boost::beast;
namespace http = beast::http;

using Request = http::request<http::string_body>;
using RequestParser = http::request_parser<http::string_body>;

struct Identity;

/// The body limit of a request no route matches (builtin endpoints, 404s).
inline constexpr std::size_t kDefaultBodyLimit = 1024 * 1024;

/// The limits every fresh request parser gets: the configured header limit, and the largest body
/// limit of any route (the route's own limit applies once check_head has found the route).
struct ParserLimits {
  ParserLimits(std::size_t header_limit, const RouteTable& routes);
  void apply(RequestParser& parser) const;

  std::size_t header_limit;
  std::size_t body_limit;
};

/// A request the gateway answers with an error instead of handling it.
struct Refusal {
  http::status status;
  std::string_view detail;
};

enum class ReadPhase { head, body };

/// What a failed read of a request head or body means: nullopt when the client went away or was too
/// slow (close without an answer), else the refusal to send before closing.
std::optional<Refusal> refusal_for_read_error(beast::error_code ec, ReadPhase phase);

/// A request head after the gateway's checks.
struct CheckedHead {
  std::optional<Refusal> refusal;  // set: answer this and close
  std::string path;                // normalized and rewritten; when refused, what to name in the problem
  std::string query;               // with its leading '?', or empty
  const Route* route = nullptr;    // nullptr: no route (builtin endpoints and 404s are decided later)
  std::size_t body_limit = kDefaultBodyLimit;
  const Rewrite* rewrite = nullptr;  // the rewrite applied to the path, if any
  const Dialect* dialect = nullptr;  // the dialect the answers take (the rewrite's, else a prefix's), if any
  std::string client_path;           // the normalized path before the rewrite (empty: not rewritten)
  std::string allow;  // no route, but rewrites take other methods at this path: those methods (405)
};

/// Checks a parsed request head. Beast has already refused Content-Length with Transfer-Encoding and
/// conflicting Content-Lengths; here a repeated Content-Length (even with one value, which Beast
/// merges) or one that is not plain digits is refused, then Transfer-Encoding in an HTTP/1.0 request
/// (RFC 9112 §6.1: faulty framing) and any Transfer-Encoding but plain chunked, then the path (dot
/// segments), then the route's body limit against Content-Length. Methods are no refusal: one Beast does
/// not know (QUERY, BREW) or a TRACE with content is routed like any other, so the resource's owner
/// answers it (405 with Allow), never a 5xx. Rewrites apply before matching (with the rewrite's method,
/// when it changes it).
/// The framing Beast's parser read from a head: chunked, or the Content-Length it took.
struct Framing {
  bool chunked = false;
  std::optional<std::uint64_t> content_length;
};
CheckedHead check_head(const Request& head, const Framing& framing, const RouteTable& routes);
CheckedHead check_head(const RequestParser& parser, const RouteTable& routes);

/// Scans raw request-head bytes, in the pieces the parser consumes them, for obsolete line folding
/// (a line starting with SP or HTAB, RFC 9112 §5.2), which Beast would silently unfold. The gateway
/// refuses it instead (400): a folded Transfer-Encoding or X-User-* header must never be read one way
/// here and another way by a hop before or after. `at_line_start` carries the state from one piece
/// to the next; it starts false for a new head.
bool has_obs_fold(std::string_view bytes, bool& at_line_start);

/// Content-Length / chunked framing for an answer; 1xx, 204 and 304 carry no body (and Beast's
/// prepare_payload refuses them one), and a 304 keeps the Content-Length of what it validates.
void frame_payload(http::response<http::string_body>& res);

/// RFC 9110 §7.6.1's hop-by-hop fields and Expect, by Beast's field code.
bool is_hop_by_hop(http::field name);

/// Removes hop-by-hop fields: RFC 9110 §7.6.1's, Expect (the gateway answers it), and every field the
/// Connection header names.
void strip_hop_by_hop(http::fields& fields);

/// What the gateway adds to a request it forwards.
struct ForwardInfo {
  std::string_view target;  // normalized (possibly rewritten) path and query
  std::string_view request_id;
  std::string_view traceparent;
  std::string_view remote;               // the client's address, for X-Forwarded-For
  const Identity* identity = nullptr;    // the verified caller, if any
  const core::MeshAuth* mesh = nullptr;  // signs the request for the service (X-Mesh-Auth)
};

/// A request as sent to an upstream: its head in wire form (request line, fields, blank line) and
/// its body, framed by the head's Content-Length.
struct UpstreamRequest {
  http::verb method = http::verb::get;
  std::string head;       // its capacity is reused from one request to the next
  std::string_view body;  // refers to the message it was written from
};

/// Writes the upstream request for a client's into `out`, leaving `req` as it is: the client's
/// fields except hop-by-hop ones, client-supplied identity and forwarding headers, X-Request-Id,
/// traceparent and X-Mesh-Auth; then the verified identity, request id, trace context, X-Forwarded-*
/// and the mesh credential over them; HTTP/1.1 keep-alive, Content-Length as Beast's prepare_payload
/// sets it (a TRACE goes without the content a client should not have sent). The head is written
/// straight into one string: editing Beast's field container (an allocation and a tree insertion per
/// field set, a scan per field erased) and serializing it after took a seventh of the gateway's
/// instructions per proxied request.
void write_upstream_request(const Request& req, const ForwardInfo& info, UpstreamRequest& out);

/// `msg` as an UpstreamRequest, its fields as they are (the gateway's own probes and look-ups).
void write_upstream_request(const Request& msg, UpstreamRequest& out);

}  // namespace shopmesh::gateway
