#pragma once
// The gateway's side of core's fast path for plain heads (shopmesh/core/plain_head.hpp): a client's
// request head without a body, and an upstream's answer, read into the Beast messages the gateway's
// stages and upstream pool work with, the same message Beast's parser would build from the bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shopmesh/core/plain_head.hpp"
#include "shopmesh/gateway/exchange.hpp"
#include "shopmesh/gateway/http_rules.hpp"

namespace shopmesh::gateway {

using core::head_ended;
using core::parse_due;
using core::PlainHead;

/// Reads a plain request head without a body from the start of `bytes` into `out` (a fresh message).
PlainHead parse_plain_head(std::string_view bytes, std::size_t header_limit, Request& out);

/// An upstream's plain answer head (core::parse_plain_status) into `out`.
PlainHead parse_plain_response_head(std::string_view bytes, std::size_t header_limit, bool head_request,
                                    std::uint64_t body_limit, http::response<http::string_body>& out,
                                    std::uint64_t& body_length);

/// The same head kept as bytes (exchange.hpp): `out` gets the status line alone, `answer` the head and
/// what the stages read of it. `kept` is false for a head that may not go out as it came (not
/// HTTP/1.1, or a hop-by-hop field): the caller reads that one with parse_plain_response_head.
PlainHead parse_plain_answer(std::string_view bytes, std::size_t header_limit, std::uint64_t body_limit,
                             http::response<http::string_body>& out, UpstreamAnswer& answer, bool& kept);

}  // namespace shopmesh::gateway
