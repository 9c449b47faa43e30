#pragma once
// Readers and writers that generated contract code calls; not for use elsewhere.
// A reader checks one JSON value against its schema node, appends an error naming the path on
// failure, and returns whether the value was accepted; decoding goes on to collect every error.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopmesh/contracts/common.hpp"
#include "shopmesh/core/money.hpp"

namespace shopmesh::contracts::detail {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using Errors = std::vector<DecodeError>;

/// Where a value sits in the document; rendered to "data.items[2].quantity" only on error.
class Path {
 public:
  explicit Path(std::string_view root) : key_(root) {}
  Path(const Path& parent, std::string_view member) : parent_(&parent), key_(member) {}
  Path(const Path& parent, std::size_t index) : parent_(&parent), index_(index), is_index_(true) {}

  std::string str() const;

 private:
  const Path* parent_ = nullptr;
  std::string_view key_;
  std::size_t index_ = 0;
  bool is_index_ = false;
};

struct StringRules {
  std::optional<std::int64_t> min_length = std::nullopt;  // in characters (code points)
  std::optional<std::int64_t> max_length = std::nullopt;
  std::optional<std::string_view> const_value = std::nullopt;
};
struct IntegerRules {
  std::optional<std::int64_t> minimum = std::nullopt;
  std::optional<std::int64_t> maximum = std::nullopt;
  std::optional<std::int64_t> const_value = std::nullopt;
};
struct NumberRules {
  std::optional<double> minimum = std::nullopt;
  std::optional<double> maximum = std::nullopt;
};
struct MoneyRules {
  std::optional<core::Cents> minimum = std::nullopt;
  std::optional<core::Cents> maximum = std::nullopt;
};
struct ArrayRules {
  std::optional<std::int64_t> min_items = std::nullopt;
  std::optional<std::int64_t> max_items = std::nullopt;
};

void fail(Errors& errors, const Path& path, std::string message);
/// Records that required member `name` of the object at `path` is absent.
void missing(Errors& errors, const Path& path, std::string_view name);
/// The member called `name`, or nullptr.
const rapidjson::Value* find_member(const rapidjson::Value& object, std::string_view name);

bool expect_object(const rapidjson::Value& json, const Path& path, Errors& errors);
bool expect_array(const rapidjson::Value& json, const Path& path, Errors& errors, const ArrayRules& rules = {});
bool read_string(const rapidjson::Value& json, const Path& path, Errors& errors, std::string& out,
                 const StringRules& rules = {});
bool read_uuid(const rapidjson::Value& json, const Path& path, Errors& errors, Uuid& out);
bool read_date_time(const rapidjson::Value& json, const Path& path, Errors& errors, std::string& out);
bool read_integer(const rapidjson::Value& json, const Path& path, Errors& errors, std::int64_t& out,
                  const IntegerRules& rules = {});
bool read_number(const rapidjson::Value& json, const Path& path, Errors& errors, double& out,
                 const NumberRules& rules = {});
bool read_money(const rapidjson::Value& json, const Path& path, Errors& errors, core::Cents& out,
                const MoneyRules& rules = {});
bool read_bool(const rapidjson::Value& json, const Path& path, Errors& errors, bool& out);

/// Reads a string enumerator; `allowed` lists the schema's values for the error message.
template <class E>
bool read_enum(const rapidjson::Value& json, const Path& path, Errors& errors, E& out, std::string_view allowed) {
  std::string text;
  if (!read_string(json, path, errors, text)) return false;
  if (std::optional<E> value = parse_enum<E>(text)) {
    out = *value;
    return true;
  }
  fail(errors, path, "must be one of " + std::string(allowed));
  return false;
}

void write_string(Writer& writer, std::string_view text);
/// Writes cents as a JSON number with exactly two decimals (1999 -> 19.99).
void write_money(Writer& writer, core::Cents amount);

/// True for an RFC 3339 date-time: 2026-11-21T20:15:03.123Z or with a ±hh:mm offset.
bool is_date_time(std::string_view text);

}  // namespace shopmesh::contracts::detail
