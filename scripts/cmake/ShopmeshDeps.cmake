# System dependencies (Debian 12 packages, installed by scripts/bootstrap).
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED CONFIG)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)
# Catch2: the tests only (CMakeLists.txt leaves them out without it, unless SHOPMESH_REQUIRE_TESTS).
if(SHOPMESH_REQUIRE_TESTS)
  find_package(Catch2 2 REQUIRED)
else()
  find_package(Catch2 2 QUIET)
  if(NOT Catch2_FOUND)
    message(STATUS "Catch2 not found: the tests are left out (scripts/bootstrap --test installs it)")
  endif()
endif()
find_package(CLI11 CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka++ rdkafka)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
# mimalloc replaces glibc's malloc in the gateway and the services: a proxied request allocates a few
# dozen small blocks (coroutine frames, header fields, strings), and glibc's malloc and free were an
# eighth of the gateway's user-space instructions (callgrind), mimalloc's a third of that; a service
# copies each request's headers into core::Request likewise. Not under the sanitizers, which bring
# their own allocator.
if(NOT SHOPMESH_SANITIZE AND NOT SHOPMESH_FUZZ)
  find_package(mimalloc 2 CONFIG REQUIRED)
endif()
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(shopmesh_rapidjson INTERFACE)
target_include_directories(shopmesh_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
# RapidJSON: std::string support, and SSE4.2-free build so binaries run on any x86-64.
target_compile_definitions(shopmesh_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
# RapidJSON 1.1's member iterators declare operator== for a const peer only, which C++20's reversed
# candidates make ambiguous; clang warns at every comparison in our code (fixed upstream after 1.1).
target_compile_options(shopmesh_rapidjson INTERFACE $<$<CXX_COMPILER_ID:Clang>:-Wno-ambiguous-reversed-operator>)
