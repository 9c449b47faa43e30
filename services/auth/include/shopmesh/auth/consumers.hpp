#pragma once
// What auth does with identity events: USER_DELETED (from users) marks the credential deleted
// and revokes every session of the account, so it can no longer log in or refresh.
namespace shopmesh::events {
class ConsumerRunner;
}  // namespace shopmesh::events

namespace shopmesh::auth {
class AuthStore;

/// Registers auth's handlers on its consumer (group "auth", topic identity.events).
void register_consumers(events::ConsumerRunner& runner, AuthStore& store);
}  // namespace shopmesh::auth
