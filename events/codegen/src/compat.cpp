#include "shopmesh/codegen/compat.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace shopmesh::codegen {
namespace {

std::string number_text(double value) {
  char buffer[32];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

std::string bound_text(const std::optional<double>& value) { return value ? number_text(*value) : "none"; }
std::string bound_text(const std::optional<std::int64_t>& value) { return value ? std::to_string(*value) : "none"; }

// Readers built from `current` must accept what `released` accepted: flags every narrowing.
class Comparison {
 public:
  explicit Comparison(std::string file_name) : file_name_(std::move(file_name)) {}

  void compare(const Node& released, const Node& current, const std::string& path) {
    if (released.kind != current.kind || released.format != current.format ||
        (released.nullable && !current.nullable)) {
      problem(path, "type changed from " + type_name(released) + " to " + type_name(current));
      return;
    }
    for (const std::string& value : released.enum_values)
      if (!current.enum_values.empty() &&
          std::find(current.enum_values.begin(), current.enum_values.end(), value) == current.enum_values.end())
        problem(path, "enum lost value " + value);
    if (released.enum_values.empty() && !current.enum_values.empty())
      problem(path, "enum added; the field accepted any string");
    if (current.const_string && released.const_string != current.const_string)
      problem(path, "const changed from " + (released.const_string ? "\"" + *released.const_string + "\"" : "none") +
                        " to \"" + *current.const_string + "\"");
    if (current.const_integer && released.const_integer != current.const_integer)
      problem(path, "const changed from " + bound_text(released.const_integer) + " to " +
                        std::to_string(*current.const_integer));
    lower_bound(path, "minimum", released.minimum, current.minimum);
    upper_bound(path, "maximum", released.maximum, current.maximum);
    lower_bound(path, "minLength", released.min_length, current.min_length);
    upper_bound(path, "maxLength", released.max_length, current.max_length);
    lower_bound(path, "minItems", released.min_items, current.min_items);
    upper_bound(path, "maxItems", released.max_items, current.max_items);

    if (current.kind == Kind::kArray) compare(*released.items, *current.items, path + "[]");
    if (current.kind == Kind::kObject) compare_properties(released, current, path);
  }

  std::vector<std::string> problems() && { return std::move(problems_); }

 private:
  void compare_properties(const Node& released, const Node& current, const std::string& path) {
    auto find = [](const Node& node, const std::string& name) -> const Property* {
      for (const Property& p : node.properties)
        if (p.name == name) return &p;
      return nullptr;
    };
    for (const Property& before : released.properties) {
      std::string field = path + "." + before.name;
      const Property* after = find(current, before.name);
      if (!after) {
        problem(field, "field removed");
        continue;
      }
      if (!before.required && after->required) problem(field, "became required");
      compare(before.node, after->node, field);
    }
    for (const Property& after : current.properties)
      if (after.required && !find(released, after.name))
        problem(path + "." + after.name, "new field is required; events of the released schema lack it");
  }

  template <class T>
  void lower_bound(const std::string& path, const char* keyword, const std::optional<T>& released,
                   const std::optional<T>& current) {
    if (current && (!released || *current > *released))
      problem(path, std::string(keyword) + " tightened from " + bound_text(released) + " to " + bound_text(current));
  }

  template <class T>
  void upper_bound(const std::string& path, const char* keyword, const std::optional<T>& released,
                   const std::optional<T>& current) {
    if (current && (!released || *current < *released))
      problem(path, std::string(keyword) + " tightened from " + bound_text(released) + " to " + bound_text(current));
  }

  void problem(const std::string& path, const std::string& what) {
    problems_.push_back(file_name_ + ": " + path + ": " + what);
  }

  std::string file_name_;
  std::vector<std::string> problems_;
};

}  // namespace

std::vector<std::string> compare_schemas(const Schema& released, const Schema& current) {
  Comparison comparison(released.file_name);
  comparison.compare(released.root, current.root, "data");
  return std::move(comparison).problems();
}

std::vector<std::string> check_compat(const std::filesystem::path& released_dir,
                                      const std::filesystem::path& current_dir) {
  std::vector<std::string> problems;
  for (const auto& dir : {released_dir, current_dir})
    if (!std::filesystem::is_directory(dir)) problems.push_back(dir.string() + ": not a directory");
  if (!problems.empty()) return problems;
  for (const std::filesystem::path& released_file : schema_files(released_dir)) {
    std::string name = released_file.filename().string();
    std::filesystem::path current_file = current_dir / name;
    if (!std::filesystem::exists(current_file)) {
      problems.push_back(name + ": released schema was deleted; keep it while readers may see its events");
      continue;
    }
    try {
      std::vector<std::string> found = compare_schemas(load_schema(released_file), load_schema(current_file));
      problems.insert(problems.end(), found.begin(), found.end());
    } catch (const SchemaError& e) {
      problems.emplace_back(e.what());
    }
  }
  return problems;
}

}  // namespace shopmesh::codegen
