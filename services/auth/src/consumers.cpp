#include "shopmesh/auth/consumers.hpp"

#include "shopmesh/auth/store.hpp"
#include "shopmesh/contracts/user_deleted_v1.hpp"
#include "shopmesh/events/consumer.hpp"

namespace shopmesh::auth {

void register_consumers(events::ConsumerRunner& runner, AuthStore& store) {
  runner.on<contracts::UserDeletedV1>([&store](pqxx::work& tx, const auto& e, const events::Consumed& c) {
    store.delete_account(tx, e.user_id.value, c.reaction());
  });
}

}  // namespace shopmesh::auth
