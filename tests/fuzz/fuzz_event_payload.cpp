// Every generated event decoder (events/codegen, one per contracts/events schema): the first input
// byte picks the contract from AllContracts, the rest is the `data` JSON text. A payload a decoder
// accepts must survive the round trip: encoded and decoded again it is equal, and encodes the same.
#include <cstdint>
#include <cstdlib>

#include "fuzz_support.hpp"
#include "shopmesh/contracts/all.hpp"

namespace {

using namespace shopmesh;
namespace contracts = shopmesh::contracts;

template <class Event>
void decode(std::string_view text, const contracts::SchemaInfo& schema) {
  const auto decoded = contracts::from_json_text<Event>(text);
  if (!decoded.ok()) {
    FUZZ_CHECK(!decoded.errors.empty());
    FUZZ_CHECK(!contracts::describe(decoded.errors).empty());
    return;
  }
  FUZZ_CHECK(decoded.errors.empty());
  const std::string json = to_json(*decoded.value);
  const auto again = contracts::from_json_text<Event>(json);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again.value == *decoded.value);
  FUZZ_CHECK(to_json(*again.value) == json);
  // The registry's validator (what consumers and meshctl call) agrees with the typed decoder.
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  FUZZ_CHECK(!doc.HasParseError() && schema.validate(doc).empty());
}

template <class... Events>
void decode_nth(contracts::ContractList<Events...>, std::size_t n, std::string_view text) {
  const auto& schemas = contracts::all_schemas();
  std::size_t i = 0;
  ((i++ == n ? decode<Events>(text, schemas[n]) : void()), ...);
}

template <class... Events>
bool registry_matches(contracts::ContractList<Events...>) {
  const auto& schemas = contracts::all_schemas();
  std::size_t i = 0;
  return schemas.size() == sizeof...(Events) &&
         ((schemas[i].type == Events::kType && schemas[i++].version == Events::kVersion) && ...);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The selector byte means the same contract as in all_schemas() (and in the seed file names).
  if (!registry_matches(contracts::AllContracts{})) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  decode_nth(contracts::AllContracts{}, data[0] % contracts::AllContracts::size, fuzz::as_text(data + 1, size - 1));
  return 0;
}
