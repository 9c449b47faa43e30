#pragma once
// What users does with identity events: USER_REGISTERED creates the profile (idempotent upsert,
// the safety net behind auth's synchronous call); USER_DELETED marks it deleted (normally users
// itself published it, so this is a no-op).

namespace shopmesh::events {
class ConsumerRunner;
}

namespace shopmesh::contracts {
struct UserRegisteredV1;
}

namespace shopmesh::users {
class ProfileStore;
struct NewProfile;

/// The profile a USER_REGISTERED event describes; throws events::PermanentError when not usable.
NewProfile registered_profile(const contracts::UserRegisteredV1& event);

void register_consumers(events::ConsumerRunner& runner, ProfileStore& store);
}  // namespace shopmesh::users
