// The executables allocate through mimalloc (scripts/cmake/ShopmeshDeps.cmake links it first):
// malloc, and operator new on top of it, hand out mimalloc's memory, not glibc's.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <string>

#ifdef SHOPMESH_MIMALLOC
#include <mimalloc.h>

TEST_CASE("allocator: malloc and operator new are mimalloc's") {
  void* raw = std::malloc(100);
  CHECK(mi_is_in_heap_region(raw));
  CHECK(mi_usable_size(raw) >= 100);
  std::free(raw);
  auto text = std::make_unique<std::string>(1000, 'x');
  CHECK(mi_is_in_heap_region(text.get()));
  CHECK(mi_is_in_heap_region(text->data()));
}
#endif
