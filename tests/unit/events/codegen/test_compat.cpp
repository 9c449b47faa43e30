// The schema compatibility check and the schema subset the generator accepts.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "shopmesh/codegen/compat.hpp"
#include "shopmesh/codegen/names.hpp"
#include "shopmesh/codegen/schema.hpp"

namespace fs = std::filesystem;
using namespace shopmesh::codegen;

namespace {

const fs::path kContracts = fs::path(SHOPMESH_SOURCE_DIR) / "contracts" / "events";

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void replace(std::string& text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
}

// A copy of the current schemas in a fresh temporary directory, removed afterwards.
class SchemaCopy {
 public:
  SchemaCopy() : dir_(fs::temp_directory_path() / ("shopmesh-codegen-" + std::to_string(std::random_device{}()))) {
    fs::create_directories(dir_);
    for (const fs::path& file : schema_files(kContracts)) fs::copy_file(file, dir_ / file.filename());
  }
  ~SchemaCopy() { fs::remove_all(dir_); }

  void edit(const std::string& file, const std::string& from, const std::string& to) {
    std::string text = read(dir_ / file);
    replace(text, from, to);
    std::ofstream(dir_ / file, std::ios::trunc) << text;
  }
  std::vector<std::string> check() const { return check_compat(kContracts / "released", dir_); }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

}  // namespace

TEST_CASE("codegen compat: the current schemas are compatible with the released snapshot", "[codegen]") {
  CHECK(check_compat(kContracts / "released", kContracts).empty());
  CHECK(schema_files(kContracts / "released").size() == 18);
}

TEST_CASE("codegen compat: breaking changes fail naming the schema and the field", "[codegen]") {
  SchemaCopy copy;
  SECTION("a removed field") {
    copy.edit("ORDER_CREATED.v1.json", R"("required": ["orderId", "userId", "items", "totalAmount",)",
              R"("required": ["orderId", "userId", "items",)");
    copy.edit("ORDER_CREATED.v1.json", R"("totalAmount": {)", R"("renamedTotal": {)");
    CHECK(copy.check() == std::vector<std::string>{"ORDER_CREATED.v1.json: data.totalAmount: field removed"});
  }
  SECTION("a narrowed enum") {
    copy.edit("ORDER_CANCELLED.v1.json", R"(["PENDING", "CONFIRMED"])", R"(["PENDING"])");
    CHECK(copy.check() ==
          std::vector<std::string>{"ORDER_CANCELLED.v1.json: data.previousStatus: enum lost value CONFIRMED"});
  }
  SECTION("a narrowed shared enum") {
    copy.edit("ORDER_STATUS_CHANGED.v1.json", R"("SHIPPED", )", "");
    auto problems = copy.check();
    CHECK(problems == std::vector<std::string>{
                          "ORDER_STATUS_CHANGED.v1.json: data.from: enum lost value SHIPPED",
                          "ORDER_STATUS_CHANGED.v1.json: data.to: enum lost value SHIPPED"});
  }
  SECTION("an added required field") {
    copy.edit("USER_DELETED.v1.json", R"("required": ["userId", "deletedAt"])",
              R"("required": ["userId", "deletedAt", "deletedBy"])");
    copy.edit("USER_DELETED.v1.json", R"("properties": {)",
              R"("properties": {"deletedBy": {"type": "string", "format": "uuid", "description": "Who."},)");
    CHECK(copy.check() == std::vector<std::string>{"USER_DELETED.v1.json: data.deletedBy: new field is required; "
                                                   "events of the released schema lack it"});
  }
  SECTION("an optional field that becomes required") {
    copy.edit("STOCK_CHANGED.v1.json", R"("reason", "changedAt"])", R"("reason", "orderId", "changedAt"])");
    CHECK(copy.check() == std::vector<std::string>{"STOCK_CHANGED.v1.json: data.orderId: became required"});
  }
  SECTION("a changed type, deep inside an array") {
    copy.edit("STOCK_RESERVED.v1.json", R"("type": "integer",)", R"("type": "number",)");
    CHECK(copy.check() == std::vector<std::string>{
                              "STOCK_RESERVED.v1.json: data.items[].quantity: type changed from integer to number"});
  }
  SECTION("a nullable field that becomes non-nullable") {
    copy.edit("PRODUCT_CREATED.v1.json", R"("type": ["string", "null"])", R"("type": "string")");
    CHECK(copy.check() == std::vector<std::string>{
                              "PRODUCT_CREATED.v1.json: data.category: type changed from string|null to string"});
  }
  SECTION("a changed format") {
    copy.edit("ORDER_REJECTED.v1.json", R"("format": "date-time")", R"("format": "uuid")");
    CHECK(copy.check() == std::vector<std::string>{"ORDER_REJECTED.v1.json: data.rejectedAt: type changed from "
                                                   "string(date-time) to string(uuid)"});
  }
  SECTION("a changed const") {
    copy.edit("ORDER_CREATED.v1.json", R"("const": "USD")", R"("const": "EUR")");
    CHECK(copy.check() == std::vector<std::string>{"ORDER_CREATED.v1.json: data.currency: const changed from \"USD\" "
                                                   "to \"EUR\""});
  }
  SECTION("tightened bounds") {
    copy.edit("STOCK_REJECTED.v1.json", R"("minimum": 0,)", R"("minimum": 1, "maximum": 100,)");
    copy.edit("USER_REGISTERED.v1.json", R"("minLength": 3,)", R"("minLength": 5, "maxLength": 100,)");
    CHECK(copy.check() == std::vector<std::string>{
                              "STOCK_REJECTED.v1.json: data.shortItems[].available: minimum tightened from 0 to 1",
                              "STOCK_REJECTED.v1.json: data.shortItems[].available: maximum tightened from none to 100",
                              "USER_REGISTERED.v1.json: data.email: minLength tightened from 3 to 5",
                              "USER_REGISTERED.v1.json: data.email: maxLength tightened from none to 100"});
  }
  SECTION("a deleted released file") {
    fs::remove(copy.dir() / "USER_DELETED.v1.json");
    auto problems = copy.check();
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].rfind("USER_DELETED.v1.json: released schema was deleted", 0) == 0);
  }
}

TEST_CASE("codegen compat: additions that readers tolerate pass", "[codegen]") {
  SchemaCopy copy;
  // An optional field, a wider enum, a looser bound, a field that stops being required, a new version.
  copy.edit("ORDER_CREATED.v1.json", R"("properties": {)",
            R"("properties": {"couponCode": {"type": "string", "description": "A coupon."},)");
  copy.edit("ORDER_CANCELLED.v1.json", R"(["PENDING", "CONFIRMED"])", R"(["PENDING", "CONFIRMED", "SHIPPED"])");
  copy.edit("USER_REGISTERED.v1.json", R"("minLength": 3,)", R"("minLength": 1,)");
  copy.edit("STOCK_RESERVED.v1.json", R"("required": ["orderId", "items", "reservedAt"])",
            R"("required": ["orderId", "items"])");
  std::string v2 = read(copy.dir() / "USER_DELETED.v1.json");
  replace(v2, "USER_DELETED:v1", "USER_DELETED:v2");
  replace(v2, R"("x-version": 1)", R"("x-version": 2)");
  std::ofstream(copy.dir() / "USER_DELETED.v2.json") << v2;
  CHECK(copy.check().empty());
}

TEST_CASE("codegen schema: files outside the subset are rejected with file and location", "[codegen]") {
  std::string base = read(kContracts / "USER_DELETED.v1.json");
  auto error_for = [&](const std::string& from, const std::string& to) -> std::string {
    std::string text = base;
    replace(text, from, to);
    try {
      parse_schema("USER_DELETED.v1.json", text);
    } catch (const SchemaError& e) {
      return e.what();
    }
    return "accepted";
  };
  CHECK(error_for(R"("format": "uuid",)", R"("format": "uuid", "pattern": "^x",)") ==
        "USER_DELETED.v1.json: /properties/userId/pattern: keyword outside the supported subset (see "
        "contracts/events/README.md)");
  CHECK(error_for(R"("description": "The deleted user's id.")", R"("title": "x")") ==
        "USER_DELETED.v1.json: /properties/userId/description: every schema, field and $defs entry needs a "
        "non-empty \"description\"");
  CHECK(error_for(R"("title": "USER_DELETED")", R"("title": "USER_REMOVED")") ==
        "USER_DELETED.v1.json: /title: must be the event type \"USER_DELETED\"");
  CHECK(error_for(R"("x-version": 1)", R"("x-version": 2)") ==
        "USER_DELETED.v1.json: /x-version: must be 1, the version in the file name");
  CHECK(error_for(R"("format": "date-time")", R"("format": "email")") ==
        "USER_DELETED.v1.json: /properties/deletedAt/format: supported formats: uuid and date-time on strings, money "
        "on numbers");
  CHECK(error_for(R"("required": ["userId", "deletedAt"])", R"("required": ["userId", "deletedOn"])") ==
        "USER_DELETED.v1.json: /required: names no field: deletedOn");
  CHECK_THROWS_AS(parse_schema("user_deleted.json", base), SchemaError);
}

TEST_CASE("codegen names: schema names map to C++ names by fixed rules", "[codegen]") {
  CHECK(struct_name("ORDER_CREATED", 1) == "OrderCreatedV1");
  CHECK(file_stem("ORDER_CREATED", 12) == "order_created_v12");
  CHECK(pascal_case("shippingAddress") == "ShippingAddress");
  CHECK(element_name("items") == "Item");
  CHECK(element_name("shortItems") == "ShortItem");
  CHECK(element_name("address") == "AddressItem");
  CHECK(element_name("data") == "DataItem");
  CHECK(member_name("postalCode") == "postal_code");
  CHECK(member_name("line1") == "line1");
  CHECK(member_name("httpURL") == "http_url");
  CHECK(member_name("userIDCard") == "user_id_card");
  CHECK(member_name("delete") == "delete_");
  CHECK(enumerator_name("OUT_OF_STOCK") == "kOutOfStock");
  CHECK(enumerator_name("IN_APP") == "kInApp");
  CHECK(split_file_name("ORDER_CREATED.v1.json") == std::pair<std::string, int>{"ORDER_CREATED", 1});
  CHECK_FALSE(split_file_name("envelope.json"));
  CHECK_FALSE(split_file_name("ORDER_CREATED.v01.json"));
}
