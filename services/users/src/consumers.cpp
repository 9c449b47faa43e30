#include "consumers.hpp"

#include "profile.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/consumer.hpp"
#include "store.hpp"

namespace shopmesh::users {
namespace {

std::string member(const rapidjson::Value& data, const char* name) {
  auto it = data.FindMember(name);
  if (it == data.MemberEnd() || !it->value.IsString())
    throw events::PermanentError(std::string("missing string member ") + name);
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string user_id_of(const rapidjson::Value& data) {
  if (!data.IsObject()) throw events::PermanentError("data is not an object");
  std::string id = member(data, "userId");
  if (!core::is_uuid(id)) throw events::PermanentError("userId is not a UUID");
  return id;
}

}  // namespace

NewProfile registered_profile(const rapidjson::Value& data) {
  NewProfile p;
  p.id = user_id_of(data);
  p.email = member(data, "email");
  p.name = member(data, "name");
  p.created_at = member(data, "registeredAt");
  if (p.email.empty() || name_problem(p.name)) throw events::PermanentError("email or name not usable");
  return p;
}

void register_consumers(events::ConsumerRunner& runner, ProfileStore& store) {
  runner.on("USER_REGISTERED", 1, [&store](pqxx::work& tx, const rapidjson::Value& data, const events::Consumed&) {
    store.upsert_registered(tx, registered_profile(data));
  });
  runner.on("USER_DELETED", 1, [&store](pqxx::work& tx, const rapidjson::Value& data, const events::Consumed&) {
    store.mark_deleted(tx, user_id_of(data));
  });
}

}  // namespace shopmesh::users
