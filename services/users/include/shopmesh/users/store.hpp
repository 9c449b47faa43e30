#pragma once
// PostgreSQL access for profiles: parameterised SQL only; deletions write USER_DELETED into the
// outbox in the same transaction.
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "shopmesh/events/outbox.hpp"
#include "shopmesh/users/profile.hpp"

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::users {

class ProfileStore {
 public:
  ProfileStore(core::PgPool& db, events::Outbox outbox) : db_(db), outbox_(std::move(outbox)) {}

  /// Creates the profile of a new account, or completes a provisional one; a deleted profile is
  /// never resurrected. True when a row was inserted.
  bool upsert_registered(const NewProfile& profile);
  bool upsert_registered(pqxx::work& tx, const NewProfile& profile);

  /// A live profile.
  std::optional<Profile> find(const std::string& id);
  /// The caller's profile, created provisionally from the identity headers when missing (e.g.
  /// the registration event has not arrived yet); nullopt when deleted.
  std::optional<Profile> find_or_create(const std::string& id, const std::string& email);

  /// Applies changes to a live profile; nullopt when there is none.
  std::optional<Profile> update(const std::string& id, const ProfileChanges& changes);

  Page list(const ListQuery& query);

  /// Soft-deletes a live profile and writes USER_DELETED; false when there is none.
  bool remove(const std::string& id, const events::EventContext& ctx);
  /// Marks deleted without an event (applying USER_DELETED); false when already deleted or unknown.
  bool mark_deleted(pqxx::work& tx, const std::string& id);

 private:
  core::PgPool& db_;
  events::Outbox outbox_;
};

}  // namespace shopmesh::users
