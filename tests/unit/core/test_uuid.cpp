#include <set>

#include <catch2/catch.hpp>

#include "shopmesh/core/uuid.hpp"

TEST_CASE("uuid: v7 ids are canonical, versioned and time-ordered", "[uuid]") {
  std::string previous;
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    auto id = shopmesh::core::uuid_v7();
    REQUIRE(shopmesh::core::is_uuid(id));
    CHECK(id[14] == '7');
    CHECK((id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b'));
    CHECK(id > previous);
    previous = id;
    seen.insert(id);
  }
  CHECK(seen.size() == 5000);
}

TEST_CASE("uuid: validation rejects malformed ids", "[uuid]") {
  CHECK(shopmesh::core::is_uuid("0190a3c2-7b1e-7c3d-8e4f-123456789abc"));
  CHECK(shopmesh::core::is_uuid("0190A3C2-7B1E-7C3D-8E4F-123456789ABC"));
  CHECK_FALSE(shopmesh::core::is_uuid("0190a3c2-7b1e-7c3d-8e4f-123456789ab"));
  CHECK_FALSE(shopmesh::core::is_uuid("0190a3c2x7b1e-7c3d-8e4f-123456789abc"));
  CHECK_FALSE(shopmesh::core::is_uuid("' OR 1=1 --"));
}
