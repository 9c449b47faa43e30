// Every feature of the schema subset, through the golden sample (golden/CODEGEN_SAMPLE.v1.json)
// compiled from the generator's output.
#include <string>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "shopmesh/contracts/codegen_sample_v1.hpp"

namespace contracts = shopmesh::contracts;
using contracts::CodegenSampleV1;
using contracts::DecodeError;
using shopmesh::core::Cents;

namespace {

CodegenSampleV1 full_sample() {
  CodegenSampleV1 s;
  s.sample_id = {"0190f3a2-7c1e-7d4a-9b2f-3c4d5e6f7a8b"};
  s.occurred_at = "2026-02-28T23:59:60.5+01:00";
  s.amount = Cents{50};
  s.refund = Cents{0};
  s.label = "Ünï";
  s.count = -5;
  s.ratio = 1.5;
  s.enabled = true;
  s.kind = contracts::CodegenSampleV1Kind::kCompoundKind;
  s.priority = contracts::CodegenSampleV1Priority::kRedAlert;
  s.fallback_priority = contracts::CodegenSampleV1Priority::kLow;
  s.note = std::nullopt;
  s.comment = "hi";
  s.lines = {{1, Cents{1}, {contracts::CodegenSampleV1LineFlag::kFragile, contracts::CodegenSampleV1LineFlag::kGift}},
             {3, Cents{-250}, {}}};
  s.matrix = {{1, 2}, {}, {3}};
  s.tags = {"a", std::nullopt, "b"};
  s.sender = {{"0190f3a2-7c1e-7d4a-9b2f-000000000001"}, "Ann"};
  s.receivers = std::vector<contracts::CodegenSampleV1Party>{{{"0190f3a2-7c1e-7d4a-9b2f-000000000002"}, "Bob"}};
  s.address = contracts::CodegenSampleV1Address{"Paris", contracts::CodegenSampleV1AddressGeo{48.85, 2.35}};
  s.default_ = true;
  s.http_url = "https://example.com";
  s.extras = contracts::CodegenSampleV1Extras{};
  return s;
}

contracts::Decoded<CodegenSampleV1> decode_with(const std::string& member, const std::string& value_json) {
  rapidjson::Document document;
  document.Parse(contracts::to_json(full_sample()).c_str());
  rapidjson::Document value(&document.GetAllocator());
  value.Parse(value_json.c_str());
  REQUIRE_FALSE(value.HasParseError());
  document[member.c_str()] = value.Move();
  return contracts::from_json<CodegenSampleV1>(document);
}

std::vector<DecodeError> errors_with(const std::string& member, const std::string& value_json) {
  return decode_with(member, value_json).errors;
}

}  // namespace

TEST_CASE("codegen sample: every kind of field round-trips", "[codegen]") {
  CodegenSampleV1 sample = full_sample();
  std::string json = contracts::to_json(sample);
  CHECK(json.find(R"("note":null)") != std::string::npos);
  CHECK(json.find(R"("tags":["a",null,"b"])") != std::string::npos);
  CHECK(json.find(R"("matrix":[[1,2],[],[3]])") != std::string::npos);
  CHECK(json.find(R"("kind":"COMPOUND-KIND")") != std::string::npos);
  CHECK(json.find(R"("default":true)") != std::string::npos);
  CHECK(json.find(R"("unitPrice":-2.50)") != std::string::npos);
  auto decoded = contracts::from_json_text<CodegenSampleV1>(json);
  INFO(contracts::describe(decoded.errors));
  REQUIRE(decoded.ok());
  CHECK(*decoded.value == sample);
}

TEST_CASE("codegen sample: fields that are not required are omitted when empty and absent on read", "[codegen]") {
  CodegenSampleV1 sample = full_sample();
  sample.refund.reset();
  sample.comment.reset();
  sample.receivers.reset();
  sample.extras.reset();
  sample.address->geo.reset();
  std::string json = contracts::to_json(sample);
  for (const char* name : {"refund", "comment", "receivers", "extras", "geo"}) {
    INFO(name);
    CHECK(json.find("\"" + std::string(name) + "\"") == std::string::npos);
  }
  auto decoded = contracts::from_json_text<CodegenSampleV1>(json);
  REQUIRE(decoded.ok());
  CHECK(*decoded.value == sample);
  // A field that is not required but not nullable either still refuses null.
  CHECK(errors_with("comment", "null") == std::vector<DecodeError>{{"data.comment", "must not be null"}});
  CHECK(decode_with("refund", "null").ok());
}

TEST_CASE("codegen sample: constraints are enforced with the schema's wording", "[codegen]") {
  using Errors = std::vector<DecodeError>;
  CHECK(errors_with("amount", "0.49") == Errors{{"data.amount", "must be >= 0.50"}});
  CHECK(errors_with("amount", "1000.01") == Errors{{"data.amount", "must be <= 1000.00"}});
  CHECK(errors_with("amount", "1e300") == Errors{{"data.amount", "is out of range"}});
  CHECK(errors_with("amount", "\"5\"") == Errors{{"data.amount", "must be a number"}});
  CHECK(decode_with("amount", "1000").ok());
  CHECK(errors_with("label", "\"a\"") == Errors{{"data.label", "must have at least 2 characters"}});
  CHECK(errors_with("label", "\"123456789\"") == Errors{{"data.label", "must have at most 8 characters"}});
  CHECK(decode_with("label", "\"ÅÅÅÅÅÅÅÅ\"").ok());  // 8 characters, 16 bytes
  CHECK(errors_with("schemaRevision", "4") == Errors{{"data.schemaRevision", "must be 3"}});
  CHECK(errors_with("count", "6") == Errors{{"data.count", "must be <= 5"}});
  CHECK(errors_with("count", "1.5") == Errors{{"data.count", "must be an integer"}});
  CHECK(errors_with("count", "18446744073709551615") == Errors{{"data.count", "is out of range"}});
  CHECK(decode_with("count", "2.0").ok());
  CHECK(errors_with("ratio", "1.51") == Errors{{"data.ratio", "must be <= 1.5"}});
  CHECK(errors_with("enabled", "1") == Errors{{"data.enabled", "must be a boolean"}});
  CHECK(errors_with("priority", "\"MEDIUM\"") == Errors{{"data.priority", "must be one of LOW, HIGH, RED_ALERT"}});
  CHECK(errors_with("lines", "[]") == Errors{{"data.lines", "must have at least 1 item"}});
  CHECK(errors_with("lines", "{}") == Errors{{"data.lines", "must be an array"}});
  CHECK(errors_with("tags", R"(["a", 5])") == Errors{{"data.tags[1]", "must be a string"}});
  CHECK(errors_with("matrix", "[[1], [2, true]]") == Errors{{"data.matrix[1][1]", "must be an integer"}});
  CHECK(errors_with("sender", R"({"partyId": "x"})") ==
        Errors{{"data.sender.partyId", "must be a uuid"}, {"data.sender.displayName", "is required"}});
  CHECK(errors_with("address", R"({"city": "Rome", "geo": {"lat": 91, "lon": 0}})") ==
        Errors{{"data.address.geo.lat", "must be <= 90"}});
  CHECK(errors_with("lines", R"([{"quantity": 1, "unitPrice": 1, "flags": ["GIFT", "WRAPPED"]}])") ==
        Errors{{"data.lines[0].flags[1]", "must be one of GIFT, FRAGILE"}});
}

TEST_CASE("codegen sample: date-times follow RFC 3339", "[codegen]") {
  for (const char* ok : {"2026-11-21T20:15:03Z", "2026-11-21T20:15:03.123456Z", "2024-02-29T00:00:00+05:30",
                         "2026-11-21t20:15:03z"}) {
    INFO(ok);
    CHECK(decode_with("occurredAt", "\"" + std::string(ok) + "\"").ok());
  }
  for (const char* bad : {"2026-11-21", "2026-11-21 20:15:03Z", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
                          "2026-11-21T24:00:00Z", "2026-11-21T20:15:03", "2026-11-21T20:15:03.Z",
                          "2026-11-21T20:15:03+0100"}) {
    INFO(bad);
    CHECK_FALSE(decode_with("occurredAt", "\"" + std::string(bad) + "\"").ok());
  }
}
