#include "postgres.hpp"

#include <cstdio>
#include <stdexcept>

#include <pqxx/pqxx>

#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/relay.hpp"
#include "shopmesh/meshctl/queries.hpp"

namespace shopmesh::meshctl {
namespace {

std::string percent_encode(std::string_view s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

bool is_url(std::string_view s) {
  return s.find("://") != std::string_view::npos;
}

}  // namespace

const std::vector<std::string>& service_databases() {
  static const std::vector<std::string> names{"auth",   "users", "products", "cart",
                                              "orders", "stock", "shipping", "notification"};
  return names;
}

std::string resolve_pg_url(const std::optional<std::string>& flag,
                           const std::function<std::optional<std::string>(const char*)>& env) {
  if (flag && !flag->empty()) return *flag;
  if (auto url = env("PG_SUPERUSER_URL"); url && !url->empty()) return *url;
  auto value = [&](const char* name, const char* fallback) {
    auto v = env(name);
    return v && !v->empty() ? *v : std::string(fallback);
  };
  std::string host = value("PG_HOST", "127.0.0.1");
  if (host == "0.0.0.0" || host == "*") host = "127.0.0.1";  // a wildcard listen address is reached on loopback
  if (host == "::" || host == "[::]") host = "[::1]";
  return "postgresql://" + percent_encode(value("PG_SUPERUSER", "shopmesh")) + ":" +
         percent_encode(value("PG_PASSWORD", "shopmesh-dev")) + "@" + host + ":" + value("PG_PORT", "55432") +
         "/postgres";
}

std::string database_url(std::string_view url, std::string_view database) {
  if (!is_url(url)) {
    std::string out(url);
    out += " dbname=" + std::string(database);
    if (out.find("connect_timeout") == std::string::npos) out += " connect_timeout=5";
    return out;
  }
  const auto authority = url.find("://") + 3;
  const auto query = url.find('?', authority);
  const auto path = url.find('/', authority);
  std::string out(url.substr(0, path != std::string_view::npos && path < query ? path : std::min(query, url.size())));
  out += "/" + percent_encode(database);
  std::string params = query == std::string_view::npos ? "" : std::string(url.substr(query + 1));
  if (params.find("connect_timeout=") == std::string::npos)
    params += (params.empty() ? "" : "&") + std::string("connect_timeout=5");
  return out + "?" + params;
}

std::string redact_url(std::string_view url) {
  if (!is_url(url)) {
    std::string out(url);
    const auto p = out.find("password=");
    if (p != std::string::npos) out.replace(p + 9, out.find(' ', p) - (p + 9), "***");
    return out;
  }
  const auto authority = url.find("://") + 3;
  const auto at = url.find('@', authority);
  if (at == std::string_view::npos) return std::string(url);
  const auto colon = url.find(':', authority);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

std::vector<std::string> Postgres::databases() const {
  try {
    pqxx::connection c(database_url(base_url_, "postgres"));
    pqxx::nontransaction tx(c);
    std::vector<std::string> out;
    for (const auto& row : core::exec(tx, queries::databases()))
      out.push_back(row[0].as<std::string>());
    return out;
  } catch (const pqxx::broken_connection& e) {
    std::string why = e.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    throw std::runtime_error("cannot connect to PostgreSQL at " + redact_url(base_url_) + ": " + why);
  }
}

std::optional<OutboxStatus> Postgres::outbox_status(const std::string& database, Skipped& skipped) const {
  pqxx::connection c(database_url(base_url_, database));
  pqxx::nontransaction tx(c);
  OutboxStatus s;
  s.database = database;
  s.slot = events::outbox_slot_name(c.dbname());
  const auto row = core::exec1(tx, queries::outbox_slot(), s.slot);
  s.exists = row[0].as<bool>();
  if (!s.exists && !row[6].as<bool>()) {
    skipped = {database, "no outbox"};
    return std::nullopt;
  }
  s.active = row[1].as<bool>();
  s.wal_status = row[2].as<std::string>();
  s.retained_bytes = row[3].as<long long>();
  s.unconfirmed_bytes = row[4].as<long long>();
  if (!row[5].is_null()) s.lag_s = row[5].as<double>();
  return s;
}

std::vector<InboxEntry> Postgres::inbox_entries(const std::string& database,
                                                const std::vector<std::string>& event_ids) const {
  std::string array;
  for (const auto& id : event_ids)
    if (core::is_uuid(id)) array += (array.empty() ? "" : ",") + id;
  if (array.empty()) return {};
  pqxx::connection c(database_url(base_url_, database));
  pqxx::nontransaction tx(c);
  if (!core::exec1(tx, queries::inbox_exists())[0].as<bool>()) return {};
  std::vector<InboxEntry> out;
  const auto rows = core::exec(tx, queries::inbox_entries(), "{" + array + "}");
  for (const auto& r : rows)
    out.push_back({database, r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<long long>(), r[4].as<std::string>(), r[5].as<int>(), r[6].as<long long>()});
  return out;
}

}  // namespace shopmesh::meshctl
