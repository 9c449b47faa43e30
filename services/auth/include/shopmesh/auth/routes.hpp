#pragma once
// HTTP adapters of the auth service: parse the request, call AuthService, render the response.
//
// Identity of the caller (logout, me, password, role): the gateway's X-User-Id / X-User-Role /
// X-User-Email / X-Session-Id headers when present (the gateway verified the token, strips
// client copies and signs the ones it sets: the service's HttpServer refuses identity headers
// without a valid mesh credential), else auth verifies the Authorization bearer
// token itself against its own keys and the revocation state.
//
// GET /internal/sessions/{sessionId}?userId= -> {"active": bool}: the gateway's session check when
// its revocation feed is stale.
namespace shopmesh::core {
class Router;
}

namespace shopmesh::auth {
class AuthService;
class TokenIssuer;

void register_routes(core::Router& router, AuthService& service, const TokenIssuer& issuer);
}  // namespace shopmesh::auth
