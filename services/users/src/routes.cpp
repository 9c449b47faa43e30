#include "shopmesh/users/routes.hpp"

#include "shopmesh/core/caller.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/users/store.hpp"

namespace shopmesh::users {
namespace {

using core::Request;
using core::Response;

Caller caller(const Request& req) {
  const core::Caller who = core::require_caller(req);
  Caller c;
  c.user_id = who.user_id;
  c.email = who.email;
  c.admin = who.admin();
  return c;
}

void require_admin(const Caller& c) {
  if (!c.admin) throw core::forbidden("Only administrators can do this.");
}

// The target of /api/users/{id}: the caller's own profile or, for an admin, anyone's. Others get
// the same 404 as a missing profile, so ids of other users cannot be probed.
std::string target_of(const Request& req, const Caller& c) {
  const std::string id = core::ascii_lower(req.param("id"));
  if (!core::is_uuid(id) || (id != c.user_id && !c.admin)) throw core::not_found("No user with this id.");
  return id;
}

events::EventContext context_of(const Request& req) {
  return {req.request_id, "", req.traceparent};
}

Response profile_response(const std::optional<Profile>& p) {
  if (!p) throw core::not_found("No user with this id.");
  return Response::json(200, profile_json(*p));
}

}  // namespace

void register_routes(core::Router& router, ProfileStore& store) {
  router.add("GET", "/api/users/me", [&store](Request& req) {
    const Caller c = caller(req);
    return profile_response(store.find_or_create(c.user_id, c.email));
  });
  router.add("PATCH", "/api/users/me", [&store](Request& req) {
    const Caller c = caller(req);
    const auto changes = parse_patch(req.body);
    if (!store.find_or_create(c.user_id, c.email)) throw core::not_found("No user with this id.");
    return profile_response(store.update(c.user_id, changes));
  });
  router.add("GET", "/api/users", [&store](Request& req) {
    const Caller c = caller(req);
    require_admin(c);
    auto query = parse_list_query([&](std::string_view name) { return req.query_param(name); });
    return Response::json(200, page_json(store.list(query)));
  });
  router.add("GET", "/api/users/{id}", [&store](Request& req) {
    const Caller c = caller(req);
    const std::string id = target_of(req, c);
    return profile_response(id == c.user_id ? store.find_or_create(id, c.email) : store.find(id));
  });
  router.add("PUT", "/api/users/{id}", [&store](Request& req) {
    const Caller c = caller(req);
    const std::string id = target_of(req, c);
    const auto changes = parse_put(req.body);
    if (id == c.user_id) store.find_or_create(id, c.email);
    return profile_response(store.update(id, changes));
  });
  router.add("PATCH", "/api/users/{id}", [&store](Request& req) {
    const Caller c = caller(req);
    const std::string id = target_of(req, c);
    const auto changes = parse_patch(req.body);
    if (id == c.user_id) store.find_or_create(id, c.email);
    return profile_response(store.update(id, changes));
  });
  router.add("DELETE", "/api/users/{id}", [&store](Request& req) {
    const Caller c = caller(req);
    require_admin(c);
    const std::string id = target_of(req, c);
    if (id == c.user_id) throw core::conflict("Administrators cannot delete their own account.");
    if (!store.remove(id, context_of(req))) throw core::not_found("No user with this id.");
    return Response::no_content();
  });
  router.add("POST", "/internal/users", [&store](Request& req) {
    const NewProfile fresh = parse_new_profile(req.body);
    const bool created = store.upsert_registered(fresh);
    auto profile = store.find(fresh.id);
    if (!profile) throw core::not_found("The user was deleted.");
    return Response::json(created ? 201 : 200, profile_json(*profile));
  });
}

}  // namespace shopmesh::users
