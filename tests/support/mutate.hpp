#pragma once
// Mutated HTTP heads for property tests of the fast-path parsers against Beast's.
#include <cstddef>
#include <random>
#include <string>

namespace shopmesh::test {

/// `sample` with one to three bytes changed, inserted or removed, from bytes that matter to a parser.
inline std::string mutated(const std::string& sample, std::mt19937& rng) {
  static const std::string kBytes = std::string("\r\n :\t\x7f\x80\x00,;0123456789aZ/-", 24) + '"';
  std::string s = sample;
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    const std::size_t at = rng() % s.size();
    const char c = kBytes[rng() % kBytes.size()];
    switch (rng() % 3) {
      case 0: s[at] = c; break;
      case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
      default: s.erase(at, 1); break;
    }
  }
  return s;
}

}  // namespace shopmesh::test
