#include "shopmesh/codegen/emit.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <variant>

#include "shopmesh/codegen/names.hpp"

namespace shopmesh::codegen {
namespace {

constexpr std::size_t kCommentWidth = 100;

/// A field of a generated struct.
struct Member {
  const Property* property;
  std::string cpp_name;
  std::string type;  // with std::optional<> when nullable or not required
  bool optional;
};

struct StructType {
  std::string name;
  std::string description;
  const Node* node;
  std::vector<Member> members;
};

struct EnumType {
  std::string name;
  std::string description;
  const Node* node;
};

/// The named C++ types of one schema, each after the types it uses.
class Plan {
 public:
  explicit Plan(const Schema& schema) : schema_(schema), root_name_(struct_name(schema.type, schema.version)) {
    names_.insert(root_name_);
    add_struct(schema.root, root_name_, schema.description);
  }

  const std::string& root_name() const { return root_name_; }
  const std::vector<std::variant<EnumType, StructType>>& types() const { return types_; }
  bool uses_money() const { return uses_money_; }
  /// Every struct and enum name the schema defines.
  const std::set<std::string>& names() const { return names_; }

 private:
  // The C++ type of `node` (without the optional wrapper of its slot). `proposed` names the
  // struct or enum that `node`, or for an array its element, becomes.
  std::string type_of(const Node& node, const std::string& proposed) {
    if (!node.ref.empty()) {
      if (auto it = ref_types_.find(node.ref); it != ref_types_.end()) return it->second;
      auto def = std::find_if(schema_.defs.begin(), schema_.defs.end(),
                              [&](const auto& d) { return d.first == node.ref; });
      std::string name = root_name_ + node.ref;
      const Node& def_node = def->second;
      std::string type = def_node.kind == Kind::kObject || !def_node.enum_values.empty()
                             ? define(def_node, name, def_node.description)
                             : type_of_unnamed(def_node, name);
      ref_types_[node.ref] = type;
      return type;
    }
    if (node.kind == Kind::kObject || !node.enum_values.empty()) return define(node, proposed, node.description);
    return type_of_unnamed(node, proposed);
  }

  std::string type_of_unnamed(const Node& node, const std::string& proposed) {
    switch (node.kind) {
      case Kind::kString: return node.format == Format::kUuid ? "Uuid" : "std::string";
      case Kind::kInteger: return "std::int64_t";
      case Kind::kNumber:
        if (node.format != Format::kMoney) return "double";
        uses_money_ = true;
        return "core::Cents";
      case Kind::kBoolean: return "bool";
      case Kind::kArray: {
        std::string element = type_of(*node.items, proposed);
        if (node.items->nullable) element = "std::optional<" + element + ">";
        return "std::vector<" + element + ">";
      }
      case Kind::kObject: break;
    }
    return define(node, proposed, node.description);
  }

  std::string define(const Node& node, const std::string& name, const std::string& description) {
    if (!names_.insert(name).second)
      throw SchemaError(schema_.file_name + ": two generated types are both named " + name +
                        "; rename a field or use $defs for a shared type");
    if (node.kind == Kind::kObject) add_struct(node, name, description);
    else types_.emplace_back(EnumType{name, description, &node});
    return name;
  }

  void add_struct(const Node& node, const std::string& name, const std::string& description) {
    StructType type{name, description, &node, {}};
    for (const Property& property : node.properties) {
      std::string proposed = name + (property.node.kind == Kind::kArray ? element_name(property.name)
                                                                        : pascal_case(property.name));
      std::string cpp_type = type_of(property.node, proposed);
      bool optional = property.node.nullable || !property.required;
      if (optional) cpp_type = "std::optional<" + cpp_type + ">";
      type.members.push_back({&property, member_name(property.name), cpp_type, optional});
    }
    types_.emplace_back(std::move(type));
  }

  const Schema& schema_;
  std::string root_name_;
  std::vector<std::variant<EnumType, StructType>> types_;
  std::set<std::string> names_;
  std::map<std::string, std::string> ref_types_;
  bool uses_money_ = false;
};

std::string cpp_string_literal(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string double_literal(double value) {
  char buffer[32];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  std::string text(buffer, end);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string integer_literal(double value) { return std::to_string(static_cast<std::int64_t>(value)); }

std::string cents_literal(double value) {
  return "core::Cents{" + std::to_string(static_cast<std::int64_t>(std::llround(value * 100))) + "}";
}

/// `/// text` lines wrapped to the comment width.
void doc_comment(std::ostringstream& out, const std::string& indent, const std::string& text) {
  std::istringstream words(text);
  std::string word, line;
  auto flush = [&] {
    out << indent << "///" << (line.empty() ? "" : " ") << line << "\n";
    line.clear();
  };
  while (words >> word) {
    if (!line.empty() && indent.size() + 4 + line.size() + 1 + word.size() > kCommentWidth) flush();
    line += (line.empty() ? "" : " ") + word;
  }
  flush();
}

std::string enum_values_text(const Node& node) {
  std::string text;
  for (const std::string& value : node.enum_values) text += (text.empty() ? "" : ", ") + value;
  return text;
}

/// `{.minimum = 1, ...}` for the reader's rules argument, or "" when the node has none.
std::string rules_argument(const Node& node) {
  std::vector<std::string> rules;
  auto add = [&](const char* field, const std::string& value) {
    rules.push_back(std::string(".") + field + " = " + value);
  };
  switch (node.kind) {
    case Kind::kString:
      if (node.min_length) add("min_length", std::to_string(*node.min_length));
      if (node.max_length) add("max_length", std::to_string(*node.max_length));
      if (node.const_string) add("const_value", cpp_string_literal(*node.const_string));
      break;
    case Kind::kInteger:
      if (node.minimum) add("minimum", integer_literal(*node.minimum));
      if (node.maximum) add("maximum", integer_literal(*node.maximum));
      if (node.const_integer) add("const_value", std::to_string(*node.const_integer));
      break;
    case Kind::kNumber: {
      auto literal = node.format == Format::kMoney ? cents_literal : double_literal;
      if (node.minimum) add("minimum", literal(*node.minimum));
      if (node.maximum) add("maximum", literal(*node.maximum));
      break;
    }
    case Kind::kArray:
      if (node.min_items) add("min_items", std::to_string(*node.min_items));
      if (node.max_items) add("max_items", std::to_string(*node.max_items));
      break;
    case Kind::kBoolean:
    case Kind::kObject: break;
  }
  if (rules.empty()) return "";
  std::string text = ", {";
  for (std::size_t i = 0; i < rules.size(); ++i) text += (i ? ", " : "") + rules[i];
  return text + "}";
}

/// `expr.value`, or `ptr->value` when expr is `*ptr`.
std::string member_of(const std::string& expr, const std::string& member) {
  if (!expr.empty() && expr[0] == '*') return expr.substr(1) + "->" + member;
  return expr + "." + member;
}

class Emitter {
 public:
  explicit Emitter(const Schema& schema)
      : schema_(schema), plan_(schema), stem_(file_stem(schema.type, schema.version)) {}

  std::string header() {
    std::ostringstream out;
    out << "// Generated by shopmesh-codegen from " << schema_.file_name << "; do not edit.\n"
        << "#pragma once\n\n"
        << "#include <cstdint>\n#include <optional>\n#include <string>\n#include <string_view>\n#include <vector>\n\n"
        << "#include \"shopmesh/contracts/common.hpp\"\n";
    if (plan_.uses_money()) out << "#include \"shopmesh/core/money.hpp\"\n";
    out << "\nnamespace shopmesh::contracts {\n";
    for (const auto& type : plan_.types()) {
      out << "\n";
      if (const auto* e = std::get_if<EnumType>(&type)) declare_enum(out, *e);
      else declare_struct(out, std::get<StructType>(type));
    }
    const std::string& root = plan_.root_name();
    std::string event = schema_.type + " v" + std::to_string(schema_.version);
    out << "\n/// The `data` object of " << event << " as JSON text.\n"
        << "std::string to_json(const " << root << "& event);\n"
        << "/// Writes the `data` object of " << event << ".\n"
        << "void write_json(rapidjson::Writer<rapidjson::StringBuffer>& writer, const " << root << "& event);\n"
        << "/// Decodes and validates the `data` object of " << event << "; errors name paths under \"data\".\n"
        << "template <>\nDecoded<" << root << "> from_json<" << root << ">(const rapidjson::Value& data);\n"
        << "\n}  // namespace shopmesh::contracts\n";
    return out.str();
  }

  std::string source() {
    std::ostringstream out;
    out << "// Generated by shopmesh-codegen from " << schema_.file_name << "; do not edit.\n"
        << "#include \"shopmesh/contracts/" << stem_ << ".hpp\"\n\n"
        << "#include \"shopmesh/contracts/detail/codec.hpp\"\n\n"
        << "namespace shopmesh::contracts {\n";
    for (const auto& type : plan_.types())
      if (const auto* e = std::get_if<EnumType>(&type)) define_enum(out, *e);
    out << "\nnamespace {\n\nusing detail::Writer;\n";
    for (const auto& type : plan_.types())
      if (const auto* s = std::get_if<StructType>(&type)) define_codec(out, *s);
    const std::string& root = plan_.root_name();
    out << "\n}  // namespace\n\n"
        << "void write_json(Writer& writer, const " << root << "& event) { write_object(writer, event); }\n\n"
        << "std::string to_json(const " << root << "& event) {\n"
        << "  rapidjson::StringBuffer buffer;\n"
        << "  Writer writer(buffer);\n"
        << "  write_object(writer, event);\n"
        << "  return {buffer.GetString(), buffer.GetSize()};\n"
        << "}\n\n"
        << "template <>\nDecoded<" << root << "> from_json<" << root << ">(const rapidjson::Value& data) {\n"
        << "  Decoded<" << root << "> result;\n"
        << "  " << root << " event;\n"
        << "  if (read_object(data, detail::Path(\"data\"), result.errors, event)) result.value = std::move(event);\n"
        << "  return result;\n"
        << "}\n\n"
        << "}  // namespace shopmesh::contracts\n";
    return out.str();
  }

  const std::string& stem() const { return stem_; }
  const std::set<std::string>& type_names() const { return plan_.names(); }
  const std::string& root_name() const { return plan_.root_name(); }

 private:
  void declare_enum(std::ostringstream& out, const EnumType& e) {
    doc_comment(out, "", e.description);
    out << "enum class " << e.name << " {";
    const auto& values = e.node->enum_values;
    for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : " ") << enumerator_name(values[i]);
    out << " };\n"
        << "/// The schema text of a " << e.name << " (" << enumerator_name(values.front()) << " -> \""
        << values.front() << "\").\n"
        << "std::string_view to_string(" << e.name << " value);\n"
        << "template <>\nstd::optional<" << e.name << "> parse_enum<" << e.name << ">(std::string_view text);\n";
  }

  void declare_struct(std::ostringstream& out, const StructType& s) {
    bool root = s.node == &schema_.root;
    if (root) doc_comment(out, "", schema_.type + " v" + std::to_string(schema_.version) + ": " + s.description);
    else doc_comment(out, "", s.description);
    out << "struct " << s.name << " {\n";
    if (root)
      out << "  static constexpr std::string_view kType = " << cpp_string_literal(schema_.type) << ";\n"
          << "  static constexpr int kVersion = " << schema_.version << ";\n\n";
    for (const Member& m : s.members) {
      const Node& node = m.property->node;
      std::string text = node.description;
      if (!m.property->required) text += " (Optional: omitted when empty.)";
      doc_comment(out, "  ", text);
      out << "  " << m.type << " " << m.cpp_name << initializer(m) << ";\n";
    }
    out << (s.members.empty() ? "" : "\n") << "  bool operator==(const " << s.name << "&) const = default;\n};\n";
  }

  std::string initializer(const Member& m) const {
    const Node& node = m.property->node;
    if (m.optional) return "";
    if (node.const_string) return " = " + cpp_string_literal(*node.const_string);
    if (node.const_integer) return " = " + std::to_string(*node.const_integer);
    if (!node.enum_values.empty()) return " = " + m.type + "::" + enumerator_name(node.enum_values.front());
    switch (node.kind) {
      case Kind::kInteger: return " = 0";
      case Kind::kNumber: return node.format == Format::kMoney ? "" : " = 0.0";
      case Kind::kBoolean: return " = false";
      default: return "";
    }
  }

  void define_enum(std::ostringstream& out, const EnumType& e) {
    out << "\nstd::string_view to_string(" << e.name << " value) {\n  switch (value) {\n";
    for (const std::string& v : e.node->enum_values)
      out << "    case " << e.name << "::" << enumerator_name(v) << ":\n"
          << "      return " << cpp_string_literal(v) << ";\n";
    out << "  }\n  return {};\n}\n\n"
        << "template <>\nstd::optional<" << e.name << "> parse_enum<" << e.name << ">(std::string_view text) {\n";
    for (const std::string& v : e.node->enum_values)
      out << "  if (text == " << cpp_string_literal(v) << ") return " << e.name << "::" << enumerator_name(v) << ";\n";
    out << "  return std::nullopt;\n}\n";
  }

  void define_codec(std::ostringstream& out, const StructType& s) {
    out << "\nvoid write_object(Writer& writer, const " << s.name << "& value) {\n";
    if (s.members.empty()) out << "  (void)value;\n";
    out << "  writer.StartObject();\n";
    for (const Member& m : s.members) {
      const Property& p = *m.property;
      std::string field = "value." + m.cpp_name;
      if (p.required) {
        out << "  writer.Key(" << cpp_string_literal(p.name) << ");\n";
        write_slot(out, 1, p.node, field, p.node.nullable, 0);
      } else {
        out << "  if (" << field << ") {\n    writer.Key(" << cpp_string_literal(p.name) << ");\n";
        write_value(out, 2, p.node, "*" + field, 0);
        out << "  }\n";
      }
    }
    out << "  writer.EndObject();\n}\n";

    out << "\nbool read_object(const rapidjson::Value& json, const detail::Path& path, detail::Errors& errors,\n"
        << "                 " << s.name << "& out) {\n"
        << "  if (!detail::expect_object(json, path, errors)) return false;\n";
    if (s.members.empty()) {
      out << "  (void)out;\n  return true;\n}\n";
      return;
    }
    out << "  bool ok = true;\n";
    for (const Member& m : s.members) {
      const Property& p = *m.property;
      std::string name = cpp_string_literal(p.name);
      out << "  if (const rapidjson::Value* field = detail::find_member(json, " << name << ")) {\n"
          << "    const detail::Path field_path(path, " << name << ");\n";
      read_slot(out, 2, p.node, "*field", "field_path", "out." + m.cpp_name, m.optional, 0);
      out << "  }";
      if (p.required) out << " else {\n    detail::missing(errors, path, " << name << ");\n    ok = false;\n  }";
      out << "\n";
    }
    out << "  return ok;\n}\n";
  }

  static std::string pad(int depth) { return std::string(static_cast<std::size_t>(depth) * 2, ' '); }

  // Writes a slot that holds std::optional<T> when `optional` (null when empty), else T.
  void write_slot(std::ostringstream& out, int depth, const Node& node, const std::string& expr, bool optional,
                  int level) {
    if (!optional) return write_value(out, depth, node, expr, level);
    out << pad(depth) << "if (" << expr << ") {\n";
    write_value(out, depth + 1, node, "*" + expr, level);
    out << pad(depth) << "} else {\n" << pad(depth + 1) << "writer.Null();\n" << pad(depth) << "}\n";
  }

  void write_value(std::ostringstream& out, int depth, const Node& node, const std::string& expr, int level) {
    std::string at = pad(depth);
    if (!node.enum_values.empty()) {
      out << at << "detail::write_string(writer, to_string(" << expr << "));\n";
      return;
    }
    switch (node.kind) {
      case Kind::kString:
        out << at << "detail::write_string(writer, " << (node.format == Format::kUuid ? member_of(expr, "value") : expr)
            << ");\n";
        return;
      case Kind::kInteger: out << at << "writer.Int64(" << expr << ");\n"; return;
      case Kind::kNumber:
        out << at << (node.format == Format::kMoney ? "detail::write_money(writer, " : "writer.Double(") << expr
            << ");\n";
        return;
      case Kind::kBoolean: out << at << "writer.Bool(" << expr << ");\n"; return;
      case Kind::kObject: out << at << "write_object(writer, " << expr << ");\n"; return;
      case Kind::kArray: {
        std::string item = "item" + std::to_string(level);
        out << at << "writer.StartArray();\n" << at << "for (const auto& " << item << " : " << expr << ") {\n";
        write_slot(out, depth + 1, *node.items, item, node.items->nullable, level + 1);
        out << at << "}\n" << at << "writer.EndArray();\n";
        return;
      }
    }
  }

  // Reads `json` into a slot; an optional slot stays empty for null when the node is nullable.
  void read_slot(std::ostringstream& out, int depth, const Node& node, const std::string& json,
                 const std::string& path, const std::string& target, bool optional, int level) {
    if (!optional) return read_value(out, depth, node, json, path, target, level);
    std::string slot = "slot" + std::to_string(level);
    std::string access = json[0] == '*' ? json.substr(1) + "->" : json + ".";
    int inner = depth;
    if (node.nullable) {
      out << pad(depth) << "if (!" << access << "IsNull()) {\n";
      inner = depth + 1;
    }
    out << pad(inner) << "auto& " << slot << " = " << target << ".emplace();\n";
    read_value(out, inner, node, json, path, slot, level);
    if (node.nullable) out << pad(depth) << "}\n";
  }

  void read_value(std::ostringstream& out, int depth, const Node& node, const std::string& json,
                  const std::string& path, const std::string& target, int level) {
    std::string at = pad(depth);
    std::string args = "(" + json + ", " + path + ", errors, " + target;
    auto call = [&](const std::string& reader, const std::string& extra) {
      out << at << "if (!" << reader << args << extra << ")) ok = false;\n";
    };
    if (!node.enum_values.empty()) return call("detail::read_enum", ", " + cpp_string_literal(enum_values_text(node)));
    switch (node.kind) {
      case Kind::kString:
        if (node.format == Format::kUuid) return call("detail::read_uuid", "");
        if (node.format == Format::kDateTime) return call("detail::read_date_time", "");
        return call("detail::read_string", rules_argument(node));
      case Kind::kInteger: return call("detail::read_integer", rules_argument(node));
      case Kind::kNumber:
        return call(node.format == Format::kMoney ? "detail::read_money" : "detail::read_number", rules_argument(node));
      case Kind::kBoolean: return call("detail::read_bool", "");
      case Kind::kObject: return call("read_object", "");
      case Kind::kArray: {
        std::string array = "array" + std::to_string(level), index = "i" + std::to_string(level),
                    item_path = "item_path" + std::to_string(level);
        out << at << "if (!detail::expect_array(" << json << ", " << path << ", errors" << rules_argument(node)
            << ")) {\n"
            << at << "  ok = false;\n"
            << at << "} else {\n"
            << at << "  const rapidjson::Value& " << array << " = " << json << ";\n"
            << at << "  " << target << ".resize(" << array << ".Size());\n"
            << at << "  for (rapidjson::SizeType " << index << " = 0; " << index << " < " << array << ".Size(); ++"
            << index << ") {\n"
            << at << "    const detail::Path " << item_path << "(" << path << ", " << index << ");\n";
        read_slot(out, depth + 2, *node.items, array + "[" + index + "]", item_path, target + "[" + index + "]",
                  node.items->nullable, level + 1);
        out << at << "  }\n" << at << "}\n";
        return;
      }
    }
  }

  const Schema& schema_;
  Plan plan_;
  std::string stem_;
};

std::string all_header(const std::vector<std::string>& stems, const std::vector<std::string>& roots) {
  std::ostringstream out;
  out << "// Generated by shopmesh-codegen; do not edit.\n"
      << "// Every event contract of contracts/events; all_schemas() and find_schema() list them at run time,\n"
      << "// AllContracts at compile time.\n"
      << "#pragma once\n\n"
      << "#include \"shopmesh/contracts/common.hpp\"\n";
  for (const std::string& stem : stems) out << "#include \"shopmesh/contracts/" << stem << ".hpp\"\n";
  out << "\nnamespace shopmesh::contracts {\n\n"
      << "/// Every contract of this build, in all_schemas() order.\n"
      << "using AllContracts = ContractList<";
  for (std::size_t i = 0; i < roots.size(); ++i) out << (i == 0 ? "" : ", ") << roots[i];
  out << ">;\n\n"
      << "}  // namespace shopmesh::contracts\n";
  return out.str();
}

std::string registry_source(const std::vector<std::string>& roots) {
  std::ostringstream out;
  out << "// Generated by shopmesh-codegen; do not edit.\n"
      << "#include \"shopmesh/contracts/all.hpp\"\n\n"
      << "namespace shopmesh::contracts {\n"
      << "namespace {\n\n"
      << "template <class Event>\n"
      << "std::vector<DecodeError> validate(const rapidjson::Value& data) {\n"
      << "  return from_json<Event>(data).errors;\n"
      << "}\n\n"
      << "}  // namespace\n\n"
      << "const std::vector<SchemaInfo>& all_schemas() {\n"
      << "  static const std::vector<SchemaInfo> schemas = {\n";
  for (const std::string& root : roots)
    out << "      {" << root << "::kType, " << root << "::kVersion, &validate<" << root << ">},\n";
  out << "  };\n"
      << "  return schemas;\n"
      << "}\n\n"
      << "}  // namespace shopmesh::contracts\n";
  return out.str();
}

}  // namespace

std::vector<GeneratedFile> generate(std::vector<Schema> schemas, bool registry) {
  std::sort(schemas.begin(), schemas.end(),
            [](const Schema& a, const Schema& b) { return std::tie(a.type, a.version) < std::tie(b.type, b.version); });
  std::vector<GeneratedFile> files;
  std::vector<std::string> stems, roots;
  std::map<std::string, std::string> owners;  // generated type name -> schema file
  for (const Schema& schema : schemas) {
    Emitter emitter(schema);
    if (!stems.empty() && stems.back() == emitter.stem())
      throw SchemaError(schema.file_name + ": the same type and version appears twice");
    for (const std::string& name : emitter.type_names()) {
      auto [owner, added] = owners.emplace(name, schema.file_name);
      if (!added)
        throw SchemaError(schema.file_name + ": generates type " + name + ", which " + owner->second +
                          " generates too");
    }
    std::string header = emitter.header();
    files.push_back({"include/shopmesh/contracts/" + emitter.stem() + ".hpp", header});
    files.push_back({"src/" + emitter.stem() + ".cpp", emitter.source()});
    stems.push_back(emitter.stem());
    roots.push_back(emitter.root_name());
  }
  if (registry) {
    files.push_back({"include/shopmesh/contracts/all.hpp", all_header(stems, roots)});
    files.push_back({"src/registry.cpp", registry_source(roots)});
  }
  return files;
}

}  // namespace shopmesh::codegen
