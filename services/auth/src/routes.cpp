#include "shopmesh/auth/routes.hpp"

#include <strings.h>

#include "shopmesh/auth/auth_service.hpp"
#include "shopmesh/auth/passwords.hpp"
#include "shopmesh/auth/requests.hpp"
#include "shopmesh/auth/throttle.hpp"
#include "shopmesh/core/caller.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::auth {
namespace {

using core::Request;
using core::Response;

std::string header(const Request& req, std::string_view name) {
  auto v = req.headers.get(name);
  return v ? std::string(*v) : std::string();
}

CallContext context_of(const Request& req) {
  // The client's address: X-Forwarded-For as the gateway set it (it replaces clients' copies),
  // else whoever called (another service, a test).
  std::string client = req.remote_address;
  if (req.caller == "gateway")
    if (auto forwarded = req.headers.get("X-Forwarded-For"); forwarded && !forwarded->empty())
      client = std::string(forwarded->substr(0, forwarded->find(',')));
  return {req.request_id, req.traceparent, std::move(client)};
}

Identity caller(const Request& req, AuthService& service) {
  if (auto who = core::caller_of(req)) {
    Identity id;
    id.user_id = std::move(who->user_id);
    id.role = parse_role(who->role).value_or(Role::user);
    id.email = std::move(who->email);
    if (!who->session_id.empty()) id.session_id = std::move(who->session_id);
    return id;
  }
  const std::string authorization = header(req, "Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() &&
      strncasecmp(authorization.c_str(), kBearer.data(), kBearer.size()) == 0) {
    if (auto id = service.identify(trim(std::string_view(authorization).substr(kBearer.size())))) return *id;
    throw core::unauthenticated("The access token is not valid.");
  }
  throw core::unauthenticated("Authentication is required.");
}

Response problem(const Request& req, int status, std::string_view title, std::string_view detail,
                 const std::vector<core::FieldError>& errors = {}) {
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = core::problem_json(status, title, detail, req.path, req.request_id, errors);
  return r;
}

// Errors this service answers with extra headers; everything else is left to the server.
core::Handler guarded(core::Handler handler) {
  return [handler = std::move(handler)](Request& req) -> Response {
    try {
      return handler(req);
    } catch (const TooManyAttempts& e) {
      Response r = problem(req, 429, "Too Many Requests", e.what());
      r.headers.set("Retry-After", std::to_string(e.retry_after.count()));
      return r;
    } catch (const HashingOverloaded&) {
      Response r = problem(req, 503, "Service Unavailable", "Too many sign-ins at once; retry in a moment.");
      r.headers.set("Retry-After", "1");
      return r;
    } catch (const core::DomainError& e) {
      if (e.fault() != core::Fault::unauthenticated) throw;
      Response r = problem(req, 401, "Unauthorized", e.what(), e.errors());
      r.headers.set("WWW-Authenticate", "Bearer realm=\"shopmesh\"");
      return r;
    }
  };
}

Response tokens(const TokenPair& pair) {
  Response r = Response::json(200, token_pair_json(pair));
  r.headers.set("Cache-Control", "no-store");
  r.headers.set("Pragma", "no-cache");
  return r;
}

}  // namespace

void register_routes(core::Router& router, AuthService& service, const TokenIssuer& issuer) {
  router.add("POST", "/api/auth/register", guarded([&service](Request& req) {
               auto account = service.register_account(parse_register(req.body), context_of(req));
               Response r = Response::json(201, account_json(account));
               r.headers.set("Location", "/api/users/" + account.id);
               return r;
             }));
  router.add("POST", "/api/auth/login", guarded([&service](Request& req) {
               return tokens(service.login(parse_login(header(req, "Content-Type"), req.body), context_of(req)));
             }));
  router.add("POST", "/api/auth/refresh", guarded([&service](Request& req) {
               return tokens(service.refresh(parse_refresh(header(req, "Content-Type"), req.body), context_of(req)));
             }));
  router.add("POST", "/api/auth/logout", guarded([&service](Request& req) {
               const Identity who = caller(req, service);
               service.logout(who, parse_logout(header(req, "Content-Type"), req.body), context_of(req));
               return Response::no_content();
             }));
  router.add("POST", "/api/auth/verify", guarded([&service](Request& req) {
               auto outcome = service.verify(parse_verify(req.body));
               rapidjson::StringBuffer buf;
               core::json::Writer w(buf);
               w.StartObject();
               w.Key("valid");
               w.Bool(outcome.valid);
               if (outcome.valid) {
                 w.Key("claims");
                 const std::string claims = claims_json(outcome.claims);
                 w.RawValue(claims.data(), claims.size(), rapidjson::kObjectType);
               } else {
                 core::json::kv(w, "reason", outcome.reason);
               }
               w.EndObject();
               Response r = Response::json(200, {buf.GetString(), buf.GetSize()});
               r.headers.set("Cache-Control", "no-store");
               return r;
             }));
  router.add("GET", "/api/auth/me", guarded([&service](Request& req) {
               return Response::json(200, account_json(service.me(caller(req, service))));
             }));
  router.add(
      "GET", "/api/auth/jwks.json",
      [&issuer](Request&) {
        Response r = Response::json(200, issuer.keys().jwks());
        r.headers.set("Cache-Control", "public, max-age=300");
        return r;
      },
      core::Dispatch::inline_io);
  router.add("PUT", "/api/auth/password", guarded([&service](Request& req) {
               const Identity who = caller(req, service);
               service.change_password(who, parse_password_change(req.body), context_of(req));
               return Response::no_content();
             }));
  // For the gateway when its revocation feed is stale (mesh credential required, like all of /internal).
  router.add("GET", "/internal/sessions/{sessionId}", [&service](Request& req) {
    const bool active = service.session_active(req.query_param("userId").value_or(""), req.param("sessionId"));
    Response r = Response::json(200, active ? R"({"active":true})" : R"({"active":false})");
    r.headers.set("Cache-Control", "no-store");
    return r;
  });
  router.add("PATCH", "/api/auth/users/{id}/role", guarded([&service](Request& req) {
               const Identity who = caller(req, service);
               if (!who.is_admin()) throw core::forbidden("Only administrators can change roles.");
               const Role role = parse_role_change(req.body);
               return Response::json(200,
                                     account_json(service.change_role(who, req.param("id"), role, context_of(req))));
             }));
}

}  // namespace shopmesh::auth
