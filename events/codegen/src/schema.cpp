#include "shopmesh/codegen/schema.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "shopmesh/codegen/names.hpp"

namespace shopmesh::codegen {
namespace {

using Json = rapidjson::Value;

constexpr std::string_view kAnnotations[] = {"description", "title", "$comment", "examples"};
constexpr std::string_view kNodeKeywords[] = {"type",     "format",   "enum",       "const",    "minimum",
                                              "maximum",  "minLength", "maxLength", "items",    "minItems",
                                              "maxItems", "properties", "required", "additionalProperties"};
constexpr std::string_view kRootKeywords[] = {"$schema", "$id", "x-version", "$defs"};
constexpr std::pair<std::string_view, Kind> kKinds[] = {{"string", Kind::kString},   {"integer", Kind::kInteger},
                                                        {"number", Kind::kNumber},   {"boolean", Kind::kBoolean},
                                                        {"object", Kind::kObject},   {"array", Kind::kArray}};

template <std::size_t N>
bool contains(const std::string_view (&list)[N], std::string_view key) {
  return std::find(std::begin(list), std::end(list), key) != std::end(list);
}

bool is_camel_identifier(std::string_view name) {
  if (name.empty() || !std::islower(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

bool is_enum_value(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

class Parser {
 public:
  explicit Parser(std::string file_name) : file_name_(std::move(file_name)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw SchemaError(file_name_ + ": " + (where.empty() ? "/" : where) + ": " + what);
  }

  Schema parse(std::string_view text) {
    Schema schema;
    schema.file_name = file_name_;
    auto split = split_file_name(file_name_);
    if (!split) fail("", "file name must be <TYPE>.v<N>.json, e.g. ORDER_CREATED.v1.json");
    schema.type = split->first;
    schema.version = split->second;

    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
    if (doc.HasParseError())
      fail("", std::string("invalid JSON at offset ") + std::to_string(doc.GetErrorOffset()) + ": " +
                   rapidjson::GetParseError_En(doc.GetParseError()));
    if (!doc.IsObject()) fail("", "a schema must be a JSON object");

    constexpr std::string_view kDraft = "https://json-schema.org/draft/2020-12/schema";
    if (const Json* s = member(doc, "$schema"); s && !(s->IsString() && s->GetString() == kDraft))
      fail("/$schema", "must be \"" + std::string(kDraft) + "\"");
    std::string id = "urn:shopmesh:events:" + schema.type + ":v" + std::to_string(schema.version);
    const Json* id_value = member(doc, "$id");
    if (!id_value || !id_value->IsString() || id_value->GetString() != id) fail("/$id", "must be \"" + id + "\"");
    const Json* title = member(doc, "title");
    if (!title || !title->IsString() || title->GetString() != schema.type)
      fail("/title", "must be the event type \"" + schema.type + "\"");
    if (const Json* v = member(doc, "x-version"); v && !(v->IsInt() && v->GetInt() == schema.version))
      fail("/x-version", "must be " + std::to_string(schema.version) + ", the version in the file name");

    if (const Json* defs = member(doc, "$defs")) {
      if (!defs->IsObject()) fail("/$defs", "must be an object");
      for (const auto& def : defs->GetObject()) {
        std::string name = def.name.GetString();
        std::string where = "/$defs/" + name;
        if (name.empty() || !std::isupper(static_cast<unsigned char>(name[0])) ||
            !std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }))
          fail(where, "a $defs name must be PascalCase, e.g. OrderStatus");
        Node node = parse_node(def.value, where, false);
        node.ref = name;
        schema.defs.emplace_back(name, std::move(node));
      }
    }
    defs_ = &schema.defs;
    schema.root = parse_node(doc, "", true);
    if (schema.root.kind != Kind::kObject || schema.root.nullable) fail("/type", "the event data must be \"object\"");
    schema.description = schema.root.description;
    return schema;
  }

 private:
  static const Json* member(const Json& object, const char* name) {
    auto it = object.FindMember(name);
    return it == object.MemberEnd() ? nullptr : &it->value;
  }

  std::int64_t count(const Json& object, const char* name, const std::string& where) const {
    const Json& v = object[name];
    if (!v.IsInt64() || v.GetInt64() < 0) fail(where + "/" + name, "must be a non-negative integer");
    return v.GetInt64();
  }

  double bound(const Json& object, const char* name, const std::string& where, const Node& node) const {
    const Json& v = object[name];
    if (!v.IsNumber()) fail(where + "/" + name, "must be a number");
    double value = v.GetDouble();
    if (node.kind == Kind::kInteger && (std::trunc(value) != value || std::fabs(value) > 9e18))
      fail(where + "/" + name, "must be an integer on an integer field");
    if (node.format == Format::kMoney) {
      double cents = value * 100;
      if (std::fabs(cents - std::round(cents)) > 1e-6 || std::fabs(value) > 1e13)
        fail(where + "/" + name, "must have at most 2 decimals on a money field");
    }
    return value;
  }

  Node parse_ref(const Json& json, const std::string& where) {
    for (const auto& m : json.GetObject()) {
      std::string_view key = m.name.GetString();
      if (key != "$ref" && !contains(kAnnotations, key)) fail(where + "/" + std::string(key), "not allowed next to $ref");
    }
    const Json& ref = json["$ref"];
    std::string_view prefix = "#/$defs/";
    if (!ref.IsString() || std::string_view(ref.GetString()).substr(0, prefix.size()) != prefix)
      fail(where + "/$ref", "only local references \"#/$defs/<Name>\" are supported");
    std::string name = std::string(ref.GetString()).substr(prefix.size());
    if (defs_ == nullptr) fail(where + "/$ref", "$defs may not use $ref");
    auto it = std::find_if(defs_->begin(), defs_->end(), [&](const auto& def) { return def.first == name; });
    if (it == defs_->end()) fail(where + "/$ref", "no $defs entry named \"" + name + "\"");
    Node node = it->second;
    node.description = description(json, where);
    return node;
  }

  std::string description(const Json& json, const std::string& where) const {
    const Json* d = member(json, "description");
    if (!d || !d->IsString() || d->GetStringLength() == 0)
      fail(where.empty() ? "/description" : where + "/description",
           "every schema, field and $defs entry needs a non-empty \"description\"");
    return d->GetString();
  }

  Node parse_node(const Json& json, const std::string& where, bool root) {
    if (!json.IsObject()) fail(where, "a schema node must be an object");
    if (json.HasMember("$ref")) return parse_ref(json, where);
    for (const auto& m : json.GetObject()) {
      std::string_view key = m.name.GetString();
      if (!contains(kNodeKeywords, key) && !contains(kAnnotations, key) && !(root && contains(kRootKeywords, key)))
        fail(where + "/" + std::string(key), "keyword outside the supported subset (see contracts/events/README.md)");
    }
    Node node;
    node.description = description(json, where);
    parse_type(json, where, node);

    if (const Json* format = member(json, "format")) {
      std::string_view f = format->IsString() ? format->GetString() : "";
      if (f == "uuid" && node.kind == Kind::kString) node.format = Format::kUuid;
      else if (f == "date-time" && node.kind == Kind::kString) node.format = Format::kDateTime;
      else if (f == "money" && node.kind == Kind::kNumber) node.format = Format::kMoney;
      else fail(where + "/format", "supported formats: uuid and date-time on strings, money on numbers");
    }
    if (const Json* values = member(json, "enum")) {
      if (node.kind != Kind::kString || node.format != Format::kNone)
        fail(where + "/enum", "enum is supported on plain strings only");
      if (!values->IsArray() || values->Empty()) fail(where + "/enum", "must be a non-empty array of strings");
      std::set<std::string> enumerators;
      for (const Json& v : values->GetArray()) {
        if (!v.IsString() || !is_enum_value(v.GetString()))
          fail(where + "/enum", "values must be strings of letters, digits, '_' and '-'");
        if (!enumerators.insert(enumerator_name(v.GetString())).second)
          fail(where + "/enum", std::string("duplicate value ") + v.GetString());
        node.enum_values.emplace_back(v.GetString());
      }
    }
    if (const Json* c = member(json, "const")) {
      if (node.kind == Kind::kString && node.format == Format::kNone && c->IsString())
        node.const_string = c->GetString();
      else if (node.kind == Kind::kInteger && c->IsInt64()) node.const_integer = c->GetInt64();
      else fail(where + "/const", "const is supported on plain strings and integers, with a value of that type");
      if (!node.enum_values.empty()) fail(where + "/const", "use either const or enum");
    }
    bool numeric = node.kind == Kind::kInteger || node.kind == Kind::kNumber;
    bool plain_string = node.kind == Kind::kString && node.format == Format::kNone && node.enum_values.empty() &&
                        !node.const_string;
    for (const char* key : {"minimum", "maximum"}) {
      if (!json.HasMember(key)) continue;
      if (!numeric) fail(where + "/" + key, "allowed on integers and numbers only");
      (std::string_view(key) == "minimum" ? node.minimum : node.maximum) = bound(json, key, where, node);
    }
    for (const char* key : {"minLength", "maxLength"}) {
      if (!json.HasMember(key)) continue;
      if (!plain_string) fail(where + "/" + key, "allowed on strings without format, enum or const only");
      (std::string_view(key) == "minLength" ? node.min_length : node.max_length) = count(json, key, where);
    }
    for (const char* key : {"minItems", "maxItems"}) {
      if (!json.HasMember(key)) continue;
      if (node.kind != Kind::kArray) fail(where + "/" + key, "allowed on arrays only");
      (std::string_view(key) == "minItems" ? node.min_items : node.max_items) = count(json, key, where);
    }
    if (node.kind == Kind::kArray) {
      const Json* items = member(json, "items");
      if (!items) fail(where, "an array needs \"items\"");
      node.items = std::make_shared<const Node>(parse_node(*items, where + "/items", false));
    } else if (json.HasMember("items")) {
      fail(where + "/items", "allowed on arrays only");
    }
    if (node.kind == Kind::kObject) {
      parse_properties(json, where, node);
    } else if (json.HasMember("properties") || json.HasMember("required")) {
      fail(where, "properties and required are allowed on objects only");
    }
    return node;
  }

  void parse_type(const Json& json, const std::string& where, Node& node) const {
    const Json* type = member(json, "type");
    std::vector<std::string_view> names;
    if (type && type->IsString()) {
      names.emplace_back(type->GetString());
    } else if (type && type->IsArray()) {
      for (const Json& t : type->GetArray())
        names.emplace_back(t.IsString() ? t.GetString() : "");
    }
    auto null_at = std::find(names.begin(), names.end(), "null");
    if (names.size() == 2 && null_at != names.end()) {
      node.nullable = true;
      names.erase(null_at);
    }
    auto kind = std::find_if(std::begin(kKinds), std::end(kKinds),
                             [&](const auto& k) { return names.size() == 1 && k.first == names[0]; });
    if (kind == std::end(kKinds))
      fail(where + "/type",
           "must be one of string, integer, number, boolean, object, array, or [<one of them>, \"null\"]");
    node.kind = kind->second;
  }

  void parse_properties(const Json& json, const std::string& where, Node& node) {
    std::set<std::string> members;
    if (const Json* props = member(json, "properties")) {
      if (!props->IsObject()) fail(where + "/properties", "must be an object");
      for (const auto& p : props->GetObject()) {
        std::string name = p.name.GetString();
        std::string at = where + "/properties/" + name;
        if (!is_camel_identifier(name)) fail(at, "field names must be camelCase letters and digits");
        if (!members.insert(member_name(name)).second)
          fail(at, "two fields map to the C++ member " + member_name(name));
        node.properties.push_back({name, false, parse_node(p.value, at, false)});
      }
    }
    if (const Json* required = member(json, "required")) {
      if (!required->IsArray()) fail(where + "/required", "must be an array of field names");
      for (const Json& r : required->GetArray()) {
        auto it = std::find_if(node.properties.begin(), node.properties.end(),
                               [&](const Property& p) { return r.IsString() && p.name == r.GetString(); });
        if (it == node.properties.end())
          fail(where + "/required", std::string("names no field: ") + (r.IsString() ? r.GetString() : "?"));
        if (it->required) fail(where + "/required", "lists " + it->name + " twice");
        it->required = true;
      }
    }
  }

  std::string file_name_;
  const std::vector<std::pair<std::string, Node>>* defs_ = nullptr;
};

}  // namespace

std::optional<std::pair<std::string, int>> split_file_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".json";
  if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix) return std::nullopt;
  name.remove_suffix(kSuffix.size());
  auto dot = name.rfind(".v");
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  std::string_view type = name.substr(0, dot), digits = name.substr(dot + 2);
  auto upper_snake = [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  };
  if (!std::isupper(static_cast<unsigned char>(type[0])) || !std::all_of(type.begin(), type.end(), upper_snake))
    return std::nullopt;
  if (digits.empty() || digits.size() > 4 || digits[0] == '0' ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  return std::pair{std::string(type), std::stoi(std::string(digits))};
}

Schema parse_schema(std::string_view file_name, std::string_view text) {
  return Parser(std::string(file_name)).parse(text);
}

Schema load_schema(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw SchemaError(file.string() + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return parse_schema(file.filename().string(), text.str());
}

std::vector<std::filesystem::path> schema_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file() && split_file_name(entry.path().filename().string())) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string type_name(const Node& node) {
  std::string name;
  switch (node.kind) {
    case Kind::kString: name = "string"; break;
    case Kind::kInteger: name = "integer"; break;
    case Kind::kNumber: name = "number"; break;
    case Kind::kBoolean: name = "boolean"; break;
    case Kind::kObject: name = "object"; break;
    case Kind::kArray: name = "array"; break;
  }
  switch (node.format) {
    case Format::kNone: break;
    case Format::kUuid: name += "(uuid)"; break;
    case Format::kDateTime: name += "(date-time)"; break;
    case Format::kMoney: name += "(money)"; break;
  }
  return node.nullable ? name + "|null" : name;
}

}  // namespace shopmesh::codegen
