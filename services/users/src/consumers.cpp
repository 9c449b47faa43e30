#include "shopmesh/users/consumers.hpp"

#include "shopmesh/contracts/user_deleted_v1.hpp"
#include "shopmesh/contracts/user_registered_v1.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/users/profile.hpp"
#include "shopmesh/users/store.hpp"

namespace shopmesh::users {

NewProfile registered_profile(const contracts::UserRegisteredV1& e) {
  NewProfile p;
  p.id = e.user_id.value;
  p.email = e.email;
  p.name = e.name;
  p.created_at = e.registered_at;
  if (p.email.empty() || name_problem(p.name)) throw events::PermanentError("email or name not usable");
  return p;
}

void register_consumers(events::ConsumerRunner& runner, ProfileStore& store) {
  runner.on<contracts::UserRegisteredV1>([&store](pqxx::work& tx, const auto& e, const events::Consumed&) {
    store.upsert_registered(tx, registered_profile(e));
  });
  runner.on<contracts::UserDeletedV1>(
      [&store](pqxx::work& tx, const auto& e, const events::Consumed&) { store.mark_deleted(tx, e.user_id.value); });
}

}  // namespace shopmesh::users
