#pragma once
// Dialects: the request and answer shapes of the systems Shopmesh replaces, translated at the
// gateway so that their clients run unchanged. gateway/routes.json declares them (routes.hpp): a
// rewrite names a transform ("transform": "seed003.book"), and "dialects" claims a path prefix
// for a dialect's error shape. A transform is a pair of plain functions, the client's request
// (query and JSON body) into Shopmesh's on the way in and Shopmesh's success answer into the
// client's on the way out; its dialect may then wrap every answer, errors included (seed 004's
// {success, statusCode, data} envelope). The functions are in dialects/seed003.hpp and
// dialects/seed004.hpp; stages/dialect.hpp applies them. Services never see a dialect.
#include <string>
#include <string_view>

namespace shopmesh::gateway {

/// A request on its way in, as a transform edits it.
struct DialectRequest {
  std::string_view method;  // the client's
  std::string query;        // with its leading '?', or empty
  std::string body;         // the client's JSON in, Shopmesh's out; empty when the request has none
};

/// An answer on its way out.
struct DialectAnswer {
  int status = 200;
  std::string body;  // Shopmesh's JSON in (a problem+json for an error), the client's out
};

/// What the exchange knows that an answer may need.
struct DialectContext {
  std::string_view method;     // the client's
  std::string_view path;       // the client's, before the rewrite
  std::string_view user_id;    // the verified caller, or empty
  std::string_view timestamp;  // now, RFC 3339
};

struct Dialect {
  std::string_view name;
  /// Wraps the 2xx and 4xx/5xx answers to the dialect's requests (nullptr: they pass as they are).
  void (*envelope)(DialectAnswer&, const DialectContext&) = nullptr;
};

struct Transform {
  std::string_view name;
  const Dialect* dialect = nullptr;
  /// Throws core::DomainError (invalid, naming the client's field) when the body cannot be read;
  /// nullptr: the request passes as it is.
  void (*request)(DialectRequest&) = nullptr;
  /// Applied to a 2xx answer with a body, before the envelope; nullptr: it passes as it is.
  void (*answer)(DialectAnswer&, const DialectContext&) = nullptr;
};

/// The transform of that name ("seed003.book"), or nullptr.
const Transform* find_transform(std::string_view name);
/// The dialect of that name ("seed004"), or nullptr.
const Dialect* find_dialect(std::string_view name);

}  // namespace shopmesh::gateway
