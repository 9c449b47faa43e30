#pragma once
// What users does with identity events: USER_REGISTERED creates the profile (idempotent upsert,
// the safety net behind auth's synchronous call); USER_DELETED marks it deleted (normally users
// itself published it, so this is a no-op).
#include <rapidjson/document.h>

namespace shopmesh::events {
class ConsumerRunner;
}

namespace shopmesh::users {
class ProfileStore;
struct NewProfile;

/// The profile a USER_REGISTERED payload describes; throws events::PermanentError when malformed.
NewProfile registered_profile(const rapidjson::Value& data);

void register_consumers(events::ConsumerRunner& runner, ProfileStore& store);
}  // namespace shopmesh::users
