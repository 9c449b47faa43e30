#include "shopmesh/contracts/detail/codec.hpp"

#include <charconv>
#include <cmath>

#include "shopmesh/core/uuid.hpp"

namespace shopmesh::contracts::detail {
namespace {

// Beyond this many units cents_from_double refuses the amount; integers get the same limit.
constexpr std::int64_t kMaxMoneyUnits = 10'000'000'000'000;

// Null gets its own message: "must be a string" would hide that the producer sent null.
bool type_error(const rapidjson::Value& json, const Path& path, Errors& errors, std::string_view expected) {
  fail(errors, path, json.IsNull() ? std::string("must not be null") : "must be " + std::string(expected));
  return false;
}

std::string number_text(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

std::string plural(std::int64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

// JSON Schema counts characters, not bytes: skip UTF-8 continuation bytes.
std::int64_t code_points(std::string_view text) {
  std::int64_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::string Path::str() const {
  if (parent_ == nullptr) return std::string(key_);
  std::string text = parent_->str();
  if (is_index_) return text + "[" + std::to_string(index_) + "]";
  return text + "." + std::string(key_);
}

void fail(Errors& errors, const Path& path, std::string message) {
  errors.push_back({path.str(), std::move(message)});
}

void missing(Errors& errors, const Path& path, std::string_view name) { fail(errors, Path(path, name), "is required"); }

const rapidjson::Value* find_member(const rapidjson::Value& object, std::string_view name) {
  auto it = object.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

bool expect_object(const rapidjson::Value& json, const Path& path, Errors& errors) {
  return json.IsObject() || type_error(json, path, errors, "an object");
}

bool expect_array(const rapidjson::Value& json, const Path& path, Errors& errors, const ArrayRules& rules) {
  if (!json.IsArray()) return type_error(json, path, errors, "an array");
  auto size = static_cast<std::int64_t>(json.Size());
  bool ok = true;
  if (rules.min_items && size < *rules.min_items) {
    fail(errors, path, "must have at least " + plural(*rules.min_items, "item"));
    ok = false;
  }
  if (rules.max_items && size > *rules.max_items) {
    fail(errors, path, "must have at most " + plural(*rules.max_items, "item"));
    ok = false;
  }
  return ok;
}

bool read_string(const rapidjson::Value& json, const Path& path, Errors& errors, std::string& out,
                 const StringRules& rules) {
  if (!json.IsString()) return type_error(json, path, errors, "a string");
  out.assign(json.GetString(), json.GetStringLength());
  if (rules.const_value && out != *rules.const_value) {
    fail(errors, path, "must be \"" + std::string(*rules.const_value) + "\"");
    return false;
  }
  std::int64_t length = code_points(out);
  if (rules.min_length && length < *rules.min_length) {
    fail(errors, path, "must have at least " + plural(*rules.min_length, "character"));
    return false;
  }
  if (rules.max_length && length > *rules.max_length) {
    fail(errors, path, "must have at most " + plural(*rules.max_length, "character"));
    return false;
  }
  return true;
}

bool read_uuid(const rapidjson::Value& json, const Path& path, Errors& errors, Uuid& out) {
  if (!json.IsString()) return type_error(json, path, errors, "a uuid");
  std::string_view text(json.GetString(), json.GetStringLength());
  if (!core::is_uuid(text)) {
    fail(errors, path, "must be a uuid");
    return false;
  }
  out.value.assign(text);
  return true;
}

bool read_date_time(const rapidjson::Value& json, const Path& path, Errors& errors, std::string& out) {
  if (!json.IsString()) return type_error(json, path, errors, "a date-time");
  std::string_view text(json.GetString(), json.GetStringLength());
  if (!is_date_time(text)) {
    fail(errors, path, "must be a date-time (RFC 3339, e.g. 2026-11-21T20:15:03.123Z)");
    return false;
  }
  out.assign(text);
  return true;
}

bool read_integer(const rapidjson::Value& json, const Path& path, Errors& errors, std::int64_t& out,
                  const IntegerRules& rules) {
  if (json.IsInt64()) {
    out = json.GetInt64();
  } else if (json.IsUint64()) {
    fail(errors, path, "is out of range");
    return false;
  } else if (json.IsDouble() && std::trunc(json.GetDouble()) == json.GetDouble()) {
    // JSON Schema counts 3.0 as an integer.
    double value = json.GetDouble();
    if (std::fabs(value) >= 9.2e18) {
      fail(errors, path, "is out of range");
      return false;
    }
    out = static_cast<std::int64_t>(value);
  } else {
    return type_error(json, path, errors, "an integer");
  }
  if (rules.const_value && out != *rules.const_value) {
    fail(errors, path, "must be " + std::to_string(*rules.const_value));
    return false;
  }
  if (rules.minimum && out < *rules.minimum) {
    fail(errors, path, "must be >= " + std::to_string(*rules.minimum));
    return false;
  }
  if (rules.maximum && out > *rules.maximum) {
    fail(errors, path, "must be <= " + std::to_string(*rules.maximum));
    return false;
  }
  return true;
}

bool read_number(const rapidjson::Value& json, const Path& path, Errors& errors, double& out,
                 const NumberRules& rules) {
  if (!json.IsNumber()) return type_error(json, path, errors, "a number");
  out = json.GetDouble();
  if (!std::isfinite(out)) {  // 1e999 parses as infinity, which JSON cannot carry on
    fail(errors, path, "is out of range");
    return false;
  }
  if (rules.minimum && out < *rules.minimum) {
    fail(errors, path, "must be >= " + number_text(*rules.minimum));
    return false;
  }
  if (rules.maximum && out > *rules.maximum) {
    fail(errors, path, "must be <= " + number_text(*rules.maximum));
    return false;
  }
  return true;
}

bool read_money(const rapidjson::Value& json, const Path& path, Errors& errors, core::Cents& out,
                const MoneyRules& rules) {
  if (!json.IsNumber()) return type_error(json, path, errors, "a number");
  if (json.IsInt64()) {
    std::int64_t units = json.GetInt64();
    if (units > kMaxMoneyUnits || units < -kMaxMoneyUnits) {
      fail(errors, path, "is out of range");
      return false;
    }
    out = core::Cents{units * 100};
  } else {
    double value = json.GetDouble();
    if (!std::isfinite(value) || std::fabs(value) > static_cast<double>(kMaxMoneyUnits)) {
      fail(errors, path, "is out of range");
      return false;
    }
    std::optional<core::Cents> cents = core::cents_from_double(value);
    if (!cents) {
      fail(errors, path, "must have at most 2 decimals");
      return false;
    }
    out = *cents;
  }
  if (rules.minimum && out < *rules.minimum) {
    fail(errors, path, "must be >= " + core::format_cents(*rules.minimum));
    return false;
  }
  if (rules.maximum && out > *rules.maximum) {
    fail(errors, path, "must be <= " + core::format_cents(*rules.maximum));
    return false;
  }
  return true;
}

bool read_bool(const rapidjson::Value& json, const Path& path, Errors& errors, bool& out) {
  if (!json.IsBool()) return type_error(json, path, errors, "a boolean");
  out = json.GetBool();
  return true;
}

void write_string(Writer& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_money(Writer& writer, core::Cents amount) {
  std::string text = core::format_cents(amount);
  writer.RawValue(text.data(), text.size(), rapidjson::kNumberType);
}

bool is_date_time(std::string_view t) {
  // full-date "T" partial-time time-offset, RFC 3339 §5.6.
  int year, month, day, hour, minute, second;
  if (!digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2, month) || t[7] != '-' ||
      !digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't') || !digits(t, 11, 2, hour) || t[13] != ':' ||
      !digits(t, 14, 2, minute) || t[16] != ':' || !digits(t, 17, 2, second))
    return false;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 60)
    return false;
  std::size_t i = 19;
  if (t[i] == '.') {
    std::size_t start = ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i == t.size()) return false;
  if (t[i] == 'Z' || t[i] == 'z') return i + 1 == t.size();
  int offset_hour, offset_minute;
  return (t[i] == '+' || t[i] == '-') && i + 6 == t.size() && digits(t, i + 1, 2, offset_hour) && t[i + 3] == ':' &&
         digits(t, i + 4, 2, offset_minute) && offset_hour <= 23 && offset_minute <= 59;
}

}  // namespace shopmesh::contracts::detail
