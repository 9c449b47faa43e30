#pragma once
// Transport-neutral HTTP request/response types, the router, and client errors (problem+json).
// Services see only these types: no Beast in handler code, so handlers stay plain functions.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/text.hpp"

namespace shopmesh::core {

/// A case-insensitive header list, small and ordered as received. Names and values are kept in one
/// buffer, each field as offsets into it: a request's fields are its head's bytes, copied once
/// (assign), rather than two strings each. A view that get() or iteration returns stays valid until
/// the list is next changed.
class Headers {
 public:
  using Field = std::pair<std::string_view, std::string_view>;

  class Iterator {
   public:
    using value_type = Field;
    using reference = Field;
    using pointer = void;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;
    Iterator() = default;
    Iterator(const Headers* list, std::size_t at) : list_(list), at_(at) {}
    Field operator*() const { return (*list_)[at_]; }
    Iterator& operator++() {
      ++at_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator was = *this;
      ++at_;
      return was;
    }
    bool operator==(const Iterator&) const = default;

   private:
    const Headers* list_ = nullptr;
    std::size_t at_ = 0;
  };

  void add(std::string_view name, std::string_view value);
  void reserve(std::size_t fields) { spans_.reserve(fields); }
  void set(std::string_view name, std::string_view value);
  std::optional<std::string_view> get(std::string_view name) const;
  std::size_t count(std::string_view name) const;
  void remove(std::string_view name);
  /// Replaces the list with `fields`, which are views into `text`: `text` is copied once and each
  /// field kept as where it lies in the copy (a head's fields, as its reader found them).
  void assign(std::string_view text, const std::vector<Field>& fields);

  std::size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  Field operator[](std::size_t i) const {
    const Span& s = spans_[i];
    return {{text_.data() + s.name_at, s.name_size}, {text_.data() + s.value_at, s.value_size}};
  }
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, spans_.size()}; }

 private:
  struct Span {
    std::uint32_t name_at;
    std::uint32_t name_size;
    std::uint32_t value_at;
    std::uint32_t value_size;
  };
  static Span span(std::size_t name_at, std::size_t name_size, std::size_t value_at, std::size_t value_size);
  std::string text_;
  std::vector<Span> spans_;
};

/// An incoming request as services see it.
struct Request {
  std::string method;  // upper case: GET, POST, ...
  std::string target;  // path + query as received
  std::string path;    // decoded-free path part of target
  std::string query;   // raw query string without '?'
  Headers headers;
  std::string body;
  std::string remote_address;
  std::string request_id;
  std::string traceparent;
  std::string caller;  // who signed the request's mesh credential: "gateway" or a service's name
  std::vector<std::pair<std::string, std::string>> path_params;  // filled by the router, in the pattern's order

  /// The first value of a query parameter, percent-decoded; see strict_query_param (a value that
  /// is not percent-encoded UTF-8 text without NUL is a 400 naming the parameter).
  std::optional<std::string> query_param(std::string_view name) const;
  /// A path parameter captured by `{name}` in the route pattern.
  const std::string& param(std::string_view name) const;
};

/// A response produced by a handler.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;

  static Response json(int status, std::string body);
  static Response no_content();
};

/// Renders a problem+json body.
std::string problem_json(int status, std::string_view title, std::string_view detail,
                         std::string_view instance, std::string_view request_id,
                         const std::vector<FieldError>& errors = {});
/// The standard reason phrase for a status ("Not Found").
std::string_view reason_phrase(int status);

/// The status a domain error is answered with.
int status_of(Fault fault);

/// A client-chosen X-Request-Id that is kept (by the gateway and the services): 1 to 128 of
/// [A-Za-z0-9._-]. Any other is replaced by a new id.
bool is_valid_request_id(std::string_view id);

/// Where a handler runs: `worker` for anything that may block (database, outbound calls),
/// `inline` on the I/O thread for cheap in-memory answers.
enum class Dispatch { worker, inline_io };

using Handler = std::function<Response(Request&)>;

/// Method + path-pattern routing with `{param}` segments; the first match wins.
class Router {
 public:
  struct Match {
    const Handler* handler = nullptr;
    Dispatch dispatch = Dispatch::worker;
    std::string_view pattern;  // for metrics labels: bounded cardinality
    bool path_matched = false;  // path exists for another method -> 405
    std::string allow;          // then: its methods, for the Allow header ("GET, HEAD, PUT")
  };

  void add(std::string method, std::string pattern, Handler handler, Dispatch dispatch = Dispatch::worker);
  /// Finds the route; fills request.path_params on success.
  Match match(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    Dispatch dispatch;
  };
  std::vector<Route> routes_;
};

/// Reads the list parameters `page` (1..1,000,000) and `limit` (1..max_limit) into `page` and
/// `limit` when present, adding one FieldError per bad value. The caller throws bad_request.
void read_paging(const std::function<std::optional<std::string>(std::string_view)>& param, int& page, int& limit,
                 std::vector<FieldError>& errors, int max_limit = 100);


/// Splits "a=1&b=x%20y" and finds one parameter, percent-decoded ('+' is a space); nullopt when it
/// is absent or its value is not valid percent-encoding.
std::optional<std::string> find_query_param(std::string_view query, std::string_view name);
/// find_query_param for client input (query strings, form bodies): absent is nullopt, and a value
/// that is not valid percent-encoding, not UTF-8 or holds a NUL throws an invalid (400) DomainError naming
/// `name`, rather than passing as absent (a filter silently dropped) or reaching PostgreSQL (which
/// refuses such text: a 500) or libpq (which cuts it at the NUL: another value than was sent).
std::optional<std::string> strict_query_param(std::string_view query, std::string_view name);

}  // namespace shopmesh::core
