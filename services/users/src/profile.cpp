#include "shopmesh/users/profile.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/text.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::users {
namespace {

using core::FieldError;
using core::trim;
using core::utf8_length;
using Errors = std::vector<FieldError>;

constexpr std::size_t kNameMax = 100;
constexpr std::size_t kLineMax = 200;
constexpr std::size_t kCityMax = 100;

// Officially assigned ISO 3166-1 alpha-2 codes, sorted.
constexpr std::array<std::string_view, 249> kCountries = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB",
    "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY",
    "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX",
    "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK",
    "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
    "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR",
    "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA",
    "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE",
    "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG",
    "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF",
    "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY",
    "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW"};

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

std::optional<std::string> text_problem(std::string_view text, std::size_t max) {
  const auto length = utf8_length(text);
  if (!length) return "must be valid UTF-8";
  if (*length == 0) return "must not be empty";
  if (*length > max) return "must be at most " + std::to_string(max) + " characters";
  if (has_control(text)) return "must not contain control characters";
  return std::nullopt;
}

// Reads a required trimmed text member of `obj` into `out`; records problems under `path`.
bool read_text(const rapidjson::Value& obj, const char* key, const std::string& path, std::size_t max, std::string& out,
               Errors& errors) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) {
    errors.push_back({path, "is required"});
    return false;
  }
  if (!it->value.IsString()) {
    errors.push_back({path, "must be a string"});
    return false;
  }
  out = trim(std::string_view(it->value.GetString(), it->value.GetStringLength()));
  if (auto problem = text_problem(out, max)) {
    errors.push_back({path, *problem});
    return false;
  }
  return true;
}

std::optional<Address> parse_address(const rapidjson::Value& v, Errors& errors) {
  if (!v.IsObject()) {
    errors.push_back({"address", "must be an object or null"});
    return std::nullopt;
  }
  for (const auto& m : v.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key != "line1" && key != "line2" && key != "city" && key != "postalCode" && key != "country")
      errors.push_back({"address." + std::string(key), "is not a known field"});
  }
  Address a;
  bool ok = read_text(v, "line1", "address.line1", kLineMax, a.line1, errors);
  if (auto it = v.FindMember("line2"); it != v.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsString()) {
      errors.push_back({"address.line2", "must be a string or null"});
      ok = false;
    } else {
      std::string line2 = trim(std::string_view(it->value.GetString(), it->value.GetStringLength()));
      if (!line2.empty()) {
        if (auto problem = text_problem(line2, kLineMax)) {
          errors.push_back({"address.line2", *problem});
          ok = false;
        }
        a.line2 = std::move(line2);
      }
    }
  }
  ok = read_text(v, "city", "address.city", kCityMax, a.city, errors) && ok;
  if (read_text(v, "postalCode", "address.postalCode", 10, a.postal_code, errors)) {
    std::transform(a.postal_code.begin(), a.postal_code.end(), a.postal_code.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (auto problem = postal_code_problem(a.postal_code)) {
      errors.push_back({"address.postalCode", *problem});
      ok = false;
    }
  } else {
    ok = false;
  }
  if (read_text(v, "country", "address.country", 2, a.country, errors)) {
    std::transform(a.country.begin(), a.country.end(), a.country.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (!is_country_code(a.country)) {
      errors.push_back({"address.country", "must be an ISO 3166-1 alpha-2 country code, like US or DE"});
      ok = false;
    }
  } else {
    ok = false;
  }
  if (!ok) return std::nullopt;
  return a;
}

// Shared by PATCH and PUT: which members exist, and their values.
ProfileChanges parse_changes(std::string_view body, bool replace) {
  auto doc = core::json::parse_object(body);
  Errors errors;
  for (const auto& m : doc.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key == "name" || key == "phone" || key == "address") continue;
    if (key == "id" || key == "email" || key == "role" || key == "createdAt" || key == "updatedAt")
      errors.push_back({std::string(key), "is read-only"});
    else
      errors.push_back({std::string(key), "is not a known field"});
  }
  ProfileChanges changes;
  if (doc.HasMember("name") || replace) {
    std::string name;
    if (read_text(doc, "name", "name", kNameMax, name, errors)) changes.name = std::move(name);
  }
  if (auto it = doc.FindMember("phone"); it != doc.MemberEnd()) {
    if (it->value.IsNull()) {
      changes.phone = std::optional<std::string>{};
    } else if (!it->value.IsString()) {
      errors.push_back({"phone", "must be a string or null"});
    } else {
      std::string phone = trim(std::string_view(it->value.GetString(), it->value.GetStringLength()));
      if (phone.empty())
        changes.phone = std::optional<std::string>{};
      else if (auto problem = phone_problem(phone))
        errors.push_back({"phone", *problem});
      else
        changes.phone = std::optional<std::string>(std::move(phone));
    }
  } else if (replace) {
    changes.phone = std::optional<std::string>{};
  }
  if (auto it = doc.FindMember("address"); it != doc.MemberEnd()) {
    if (it->value.IsNull()) {
      changes.address = std::optional<Address>{};
    } else if (auto address = parse_address(it->value, errors)) {
      changes.address = std::optional<Address>(std::move(*address));
    }
  } else if (replace) {
    changes.address = std::optional<Address>{};
  }
  if (!errors.empty()) throw core::invalid("The request has invalid fields.", errors);
  return changes;
}

void write_optional(core::json::Writer& w, const char* key, const std::optional<std::string>& value) {
  w.Key(key);
  if (value)
    w.String(value->data(), static_cast<rapidjson::SizeType>(value->size()));
  else
    w.Null();
}

void write_profile(core::json::Writer& w, const Profile& p) {
  w.StartObject();
  core::json::kv(w, "id", p.id);
  core::json::kv(w, "email", p.email);
  core::json::kv(w, "name", p.name);
  write_optional(w, "phone", p.phone);
  w.Key("address");
  if (p.address) {
    w.StartObject();
    core::json::kv(w, "line1", p.address->line1);
    write_optional(w, "line2", p.address->line2);
    core::json::kv(w, "city", p.address->city);
    core::json::kv(w, "postalCode", p.address->postal_code);
    core::json::kv(w, "country", p.address->country);
    w.EndObject();
  } else {
    w.Null();
  }
  core::json::kv(w, "createdAt", p.created_at);
  core::json::kv(w, "updatedAt", p.updated_at);
  w.EndObject();
}

std::optional<int> parse_int(const std::string& text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> name_problem(std::string_view name) {
  return text_problem(name, kNameMax);
}

std::optional<std::string> phone_problem(std::string_view phone) {
  // E.164 at heart (7–15 digits, optional leading +), with the separators people type.
  constexpr const char* kMessage = "must be a phone number like +14155550123 (7 to 15 digits)";
  if (phone.size() > 32) return kMessage;
  std::size_t digits = 0;
  for (std::size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    if (c >= '0' && c <= '9')
      ++digits;
    else if (c == '+' && i == 0)
      continue;
    else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.')
      return kMessage;
  }
  if (digits < 7 || digits > 15) return kMessage;
  return std::nullopt;
}

std::optional<std::string> postal_code_problem(std::string_view code) {
  constexpr const char* kMessage = "must be 2 to 10 letters, digits, spaces or dashes, like 94105 or SW1A 1AA";
  if (code.size() < 2 || code.size() > 10) return kMessage;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(code.front()) || !alnum(code.back())) return kMessage;
  for (char c : code)
    if (!alnum(c) && c != ' ' && c != '-') return kMessage;
  return std::nullopt;
}

bool is_country_code(std::string_view code) {
  return std::binary_search(kCountries.begin(), kCountries.end(), code);
}

std::string provisional_name(std::string_view email) {
  auto at = email.find('@');
  std::string local(email.substr(0, at));
  if (local.empty()) local = "user";
  if (utf8_length(local).value_or(kNameMax + 1) > kNameMax) local = "user";
  return local;
}

ProfileChanges parse_patch(std::string_view body) {
  return parse_changes(body, false);
}
ProfileChanges parse_put(std::string_view body) {
  return parse_changes(body, true);
}

NewProfile parse_new_profile(std::string_view body) {
  auto doc = core::json::parse_object(body);
  Errors errors;
  NewProfile p;
  if (read_text(doc, "id", "id", 36, p.id, errors) && !core::is_uuid(p.id)) errors.push_back({"id", "must be a UUID"});
  if (read_text(doc, "email", "email", 254, p.email, errors) && p.email.find('@') == std::string::npos)
    errors.push_back({"email", "must be an e-mail address"});
  read_text(doc, "name", "name", kNameMax, p.name, errors);
  if (auto it = doc.FindMember("createdAt"); it != doc.MemberEnd() && it->value.IsString()) {
    const std::string_view at(it->value.GetString(), it->value.GetStringLength());
    // Only an RFC 3339 UTC time is kept (as written by auth); anything else means "now".
    auto digit = [&](std::size_t i) { return std::isdigit(static_cast<unsigned char>(at[i])) != 0; };
    const bool shaped = at.size() >= 20 && at.size() <= 30 && digit(0) && digit(1) && digit(2) && digit(3) &&
                        at[4] == '-' && at[7] == '-' && at[10] == 'T' && at.back() == 'Z';
    if (shaped) p.created_at = std::string(at);
  }
  if (!errors.empty()) throw core::invalid("The request has invalid fields.", errors);
  std::transform(p.id.begin(), p.id.end(), p.id.begin(), [](unsigned char c) { return std::tolower(c); });
  return p;
}

ListQuery parse_list_query(const ParamLookup& param) {
  ListQuery q;
  Errors errors;
  if (auto page = param("page"); page && !page->empty()) {
    auto v = parse_int(*page);
    if (!v || *v < 1)
      errors.push_back({"page", "must be an integer of at least 1"});
    else
      q.page = *v;
  }
  if (auto limit = param("limit"); limit && !limit->empty()) {
    auto v = parse_int(*limit);
    if (!v || *v < 1 || *v > 100)
      errors.push_back({"limit", "must be an integer between 1 and 100"});
    else
      q.limit = *v;
  }
  if (auto text = param("q")) {
    std::string t = trim(*text);
    if (t.size() > 100)
      errors.push_back({"q", "must be at most 100 characters"});
    else if (!utf8_length(t))
      errors.push_back({"q", "must be valid UTF-8"});
    else if (!t.empty())
      q.text = std::move(t);
  }
  if (q.page > 1'000'000) errors.push_back({"page", "is too large"});
  if (!errors.empty()) throw core::invalid("The query has invalid parameters.", errors);
  return q;
}

std::string profile_json(const Profile& profile) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  write_profile(w, profile);
  return {buf.GetString(), buf.GetSize()};
}

std::string page_json(const Page& page) {
  return core::json::page_json(page.items, page.page, page.limit, page.total,
                               [](core::json::Writer& w, const auto& p) { write_profile(w, p); });
}

}  // namespace shopmesh::users
