#pragma once
// HTTP adapters of the users service. The caller is whoever the gateway says (X-User-Id,
// X-User-Role, X-User-Email: set from a verified token, client copies stripped; services listen
// on loopback only). /internal/* is for other services (auth) and is not routed by the gateway.
namespace shopmesh::core {
class Router;
}

namespace shopmesh::users {
class ProfileStore;

void register_routes(core::Router& router, ProfileStore& store);
}  // namespace shopmesh::users
