#include "consumers.hpp"

#include "identity_events.hpp"
#include "shopmesh/events/consumer.hpp"
#include "store.hpp"

namespace shopmesh::auth {

void register_consumers(events::ConsumerRunner& runner, AuthStore& store) {
  runner.on("USER_DELETED", 1, [&store](pqxx::work& tx, const rapidjson::Value& data, const events::Consumed& c) {
    store.delete_account(tx, deleted_user_id(data), c.reaction());
  });
}

}  // namespace shopmesh::auth
