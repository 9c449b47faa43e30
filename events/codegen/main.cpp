// shopmesh-codegen: generates the C++ event contracts from contracts/events and checks that schema
// changes keep released readers working. See contracts/events/README.md.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "shopmesh/codegen/compat.hpp"
#include "shopmesh/codegen/emit.hpp"
#include "shopmesh/codegen/schema.hpp"

namespace {

constexpr const char* kUsage =
    "usage: shopmesh-codegen --out <dir> [--no-registry] <TYPE>.v<N>.json...\n"
    "       shopmesh-codegen --check-compat <released-dir> <current-dir>\n";

// Leaves unchanged files alone so the build recompiles only contracts whose code changed.
void write_if_changed(const std::filesystem::path& file, const std::string& content) {
  {
    std::ifstream in(file, std::ios::binary);
    std::stringstream existing;
    existing << in.rdbuf();
    if (in && existing.str() == content) return;
  }
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out.flush()) throw std::runtime_error(file.string() + ": cannot be written");
}

int check_compat(const std::string& released_dir, const std::string& current_dir) {
  std::vector<std::string> problems = shopmesh::codegen::check_compat(released_dir, current_dir);
  for (const std::string& problem : problems) std::cerr << "event schema compatibility: " << problem << "\n";
  if (problems.empty()) return 0;
  std::cerr << "A released event schema must stay readable: add a new version file (<TYPE>.v<N+1>.json) instead.\n";
  return 1;
}

int generate(const std::filesystem::path& out_dir, bool registry, const std::vector<std::string>& files) {
  std::vector<shopmesh::codegen::Schema> schemas;
  for (const std::string& file : files) schemas.push_back(shopmesh::codegen::load_schema(file));
  for (const auto& generated : shopmesh::codegen::generate(std::move(schemas), registry))
    write_if_changed(out_dir / generated.path, generated.content);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 3 && args[0] == "--check-compat") return check_compat(args[1], args[2]);
    if (args.size() >= 3 && args[0] == "--out") {
      bool registry = args[2] != "--no-registry";
      std::vector<std::string> files(args.begin() + (registry ? 2 : 3), args.end());
      if (!files.empty()) return generate(args[1], registry, files);
    }
  } catch (const std::exception& e) {
    std::cerr << "shopmesh-codegen: " << e.what() << "\n";
    return 1;
  }
  std::cerr << kUsage;
  return 2;
}
