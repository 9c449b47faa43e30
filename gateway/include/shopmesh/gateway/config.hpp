#pragma once
// Gateway configuration from environment variables, parsed once at start-up.
//
// Variables (default in brackets):
//   HTTP_HOST [0.0.0.0], HTTP_PORT [8080], HTTP_IO_THREADS [2]   where and how the gateway listens
//   GATEWAY_ADMIN_HOST [127.0.0.1], GATEWAY_ADMIN_PORT [9901]   the admin listener (Envoy's admin
//                                         interface is the model): /metrics and /health, never on the
//                                         public listener; port 0 picks a free one
//   LOG_LEVEL [info]                      debug | info | warn | error
//   LOG_FLUSH_MS [100]                    info lines (the access log) wait at most this long and go
//                                         out together; warn and error at once; 0: each at once
//   GATEWAY_ROUTES_FILE [built-in gateway/routes.json]   route table (JSON) to use instead
//   AUTH_URL … NOTIFICATION_URL [http://127.0.0.1:8081 … :8088]   upstream instances per service:
//                                         comma-separated http://host:port list (round robin)
//   HTTP_HEADER_TIMEOUT_MS [10000]        the whole request header must arrive within this
//                                         (also the first byte of a new connection), else closed
//   HTTP_BODY_TIMEOUT_MS [30000]          the request body must arrive within this
//   HTTP_IDLE_TIMEOUT_MS [60000]          idle keep-alive connections are closed after this
//   GATEWAY_MAX_CONNECTIONS [10000]       client connections beyond this are refused
//   SHUTDOWN_GRACE_MS [10000]             SIGTERM: in-flight requests get this long to finish
//   UPSTREAM_CONNECT_TIMEOUT_MS [1000]    connecting to an upstream instance (timeout -> 504)
//   UPSTREAM_EJECT_MS [5000]              an instance that refused a connection is skipped this long
//   UPSTREAM_MAX_IDLE [64]                idle keep-alive connections kept per upstream instance
//   UPSTREAM_IDLE_TIMEOUT_MS [30000]      pooled upstream connections idle longer are not reused
//   HEALTH_TIMEOUT_MS [2000]              per-service probe timeout of /api/health
//   JWT_ISSUER [shopmesh], JWT_AUDIENCE [shopmesh-api]   required iss / aud of access tokens
//   JWT_LEEWAY_S [30]                     clock skew allowed on exp / nbf
//   JWT_MAX_TOKEN_BYTES [8192]            longer bearer tokens are rejected unparsed
//   JWKS_URL [<first AUTH_URL>/api/auth/jwks.json]   where the verification keys come from
//   JWKS_REFRESH_MS [300000]              periodic JWKS refresh (key rotation)
//   JWKS_REFETCH_MIN_INTERVAL_MS [5000]   an unknown kid refetches the JWKS at most this often
//   JWKS_WAIT_MS [2000]                   how long a request with an unknown kid waits for that refetch
//   GATEWAY_TOKEN_CACHE_SIZE [20000]      verified tokens remembered (0 disables the cache)
//   GATEWAY_EVENTS [on]                   consume revocations and catalog events from Kafka
//   KAFKA_BROKERS [127.0.0.1:9092]
//   GATEWAY_CONSUMER_GROUP [gateway-<hostname>-<pid>]   must be unique per gateway instance
//   GATEWAY_IDENTITY_TOPIC [identity.events]            SESSION_REVOKED comes from here
//   GATEWAY_CACHE_TOPICS [catalog.events,stock.events]  events that invalidate the response cache
//   JWT_ACCESS_TTL_SECONDS [900]          auth's access-token lifetime (the same variable auth reads):
//                                         a revocation is remembered this long plus JWT_LEEWAY_S, the
//                                         gateway replays identity.events that far back before it is
//                                         ready, and refuses tokens that claim to live longer
//   GATEWAY_REVOCATION_MAX_LAG_MS [500]   the revocation feed counts as stale when it cannot vouch for
//                                         events published this long ago (broker down, consumer
//                                         behind); tokens are then checked with auth (session state)
//   GATEWAY_SESSION_CHECK_TTL_MS [1000]   how long an "active" answer from auth is reused
//   RATE_LIMIT_DEFAULT ["1000/s burst 2000"]  per client IP, routes of class "default"
//   RATE_LIMIT_AUTH ["100/s burst 200"]       per client IP, class "auth" (/api/auth/*)
//   RATE_LIMIT_LOGIN ["20/s burst 100"]       per client IP, class "login" (/api/auth/login)
//   RATE_LIMIT_REGISTER ["20/s burst 100"]    per client IP, class "register" (/api/auth/register)
//   RATE_LIMIT_USER ["1000/s burst 2000"]     per authenticated user, every route
//       format: "<n>/s|m|h [burst <b>]" or "off"; e.g. RATE_LIMIT_LOGIN="5/m burst 5" to show 429s
//       on password guessing; benchmarks of raw throughput from one address set RATE_LIMIT_DEFAULT=off
//       and RATE_LIMIT_USER=off. The defaults are meant never to trigger in tests or a Postman run.
//   RATE_LIMIT_MAX_KEYS [200000]          buckets tracked per class (bounded memory)
//   CACHE_TTL_MS [30000]                  response cache entry lifetime (0 disables the cache)
//   CACHE_MAX_ENTRIES [10000], CACHE_MAX_BYTES [67108864], CACHE_MAX_ENTRY_BYTES [1048576]
//   CORS_ALLOWED_ORIGINS [*]              "*", a comma-separated list of origins, or empty (off)
//   CORS_MAX_AGE_S [600]                  how long browsers may cache a preflight answer
//   SWAGGER_UI_DIR [$SHOPMESH_CACHE_DIR/swagger-ui/node_modules/swagger-ui-dist, SHOPMESH_CACHE_DIR
//                   defaulting to var/cache]   the swagger-ui-dist files behind /api/docs
//   OPENAPI_FILE [contracts/openapi.yaml] served at /api/openapi.yaml (relative to the CWD)
//   METRICS_TOKEN [empty]                 when set, /metrics and /mesh.json require "Authorization:
//                                         Bearer <it>" (the mesh page asks for it once per tab)
//   GATEWAY_MESH_SCRAPE_MS [2000]         how often the mesh view (admin listener: / and /mesh.json)
//                                         scrapes every instance's /metrics and the DLQs while it is
//                                         watched (a /mesh.json request in the last 60 s); 0: off
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "shopmesh/core/config.hpp"
#include "shopmesh/gateway/rate_limit.hpp"

namespace shopmesh::gateway {

struct UpstreamAddress {
  std::string host;
  std::uint16_t port = 0;
};

struct GatewayConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;
  std::string admin_host = "127.0.0.1";
  std::uint16_t admin_port = 9901;
  int io_threads = 2;
  std::string kafka_brokers;
  std::string log_level = "info";
  std::chrono::milliseconds log_flush{100};
  std::string routes_file;                                        // empty: the built-in gateway/routes.json
  std::map<std::string, std::vector<UpstreamAddress>> upstreams;  // service -> instances

  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds connect_timeout{1'000};
  std::chrono::milliseconds eject_for{5'000};
  std::chrono::milliseconds upstream_idle_timeout{30'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  std::chrono::milliseconds health_timeout{2'000};
  std::size_t max_connections = 10'000;
  std::size_t max_connections_per_address = 512;  // IPv4 address or IPv6 /64, as the rate limits key
  std::size_t max_idle_upstream = 64;  // idle keep-alive connections kept per upstream instance
  std::size_t header_limit = 8 * 1024;

  // Authentication
  std::string jwt_issuer = "shopmesh";
  std::string jwt_audience = "shopmesh-api";
  std::chrono::seconds jwt_leeway{30};
  std::size_t jwt_max_token_bytes = 8 * 1024;
  std::vector<std::string> jwks_urls;  // tried in turn
  std::chrono::milliseconds jwks_refresh{300'000};
  std::chrono::milliseconds jwks_refetch_min_interval{5'000};
  std::chrono::milliseconds jwks_wait{2'000};
  std::size_t token_cache_size = 20'000;

  // Events
  bool events_enabled = true;
  std::string consumer_group;
  std::string identity_topic = "identity.events";
  std::vector<std::string> cache_topics{"catalog.events", "stock.events"};
  std::chrono::seconds access_ttl{900};
  std::chrono::seconds revocation_retention{930};  // access_ttl + jwt_leeway
  std::chrono::milliseconds revocation_max_lag{500};
  std::chrono::milliseconds session_check_ttl{1'000};

  // Rate limits: class name -> spec ("user" is the per-user class)
  std::vector<std::pair<std::string, RateSpec>> rate_classes;
  std::size_t rate_limit_max_keys = 200'000;

  // Response cache
  std::chrono::milliseconds cache_ttl{30'000};
  std::size_t cache_max_entries = 10'000;
  std::size_t cache_max_bytes = 64 * 1024 * 1024;
  std::size_t cache_max_entry_bytes = 1024 * 1024;

  // CORS, docs, metrics
  std::vector<std::string> cors_origins{"*"};
  std::chrono::seconds cors_max_age{600};
  std::string swagger_ui_dir;
  std::string openapi_file = "contracts/openapi.yaml";
  std::string metrics_token;
  std::chrono::milliseconds mesh_scrape_interval{2'000};  // 0: no mesh view
  std::vector<std::string> mesh_keys;  // MESH_KEY, MESH_KEY_PREVIOUS: signs what the gateway forwards

  static GatewayConfig from_env(core::EnvReader& env);
};

/// Parses "http://host:port" (comma-separated list allowed); appends to `out`, false on error.
bool parse_upstream_urls(const std::string& text, std::vector<UpstreamAddress>& out);

/// The services the gateway knows and the variable naming their URLs, e.g. {"auth", "AUTH_URL"}.
const std::vector<std::pair<std::string, std::string>>& known_services();

/// The rate-limit classes the gateway knows, with their variable and default.
struct RateClassDefault {
  const char* name;
  const char* variable;
  const char* fallback;
};
const std::vector<RateClassDefault>& rate_class_defaults();

}  // namespace shopmesh::gateway
