#include "shopmesh/core/pg.hpp"

#include <poll.h>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/log.hpp"

namespace shopmesh::core {

PgPool::PgPool(std::string url, std::size_t size, std::chrono::milliseconds statement_timeout, Logger& log)
    : url_(std::move(url)), size_(size), statement_timeout_(statement_timeout), log_(log) {}

PgPool::~PgPool() = default;

ArrayLiteral& ArrayLiteral::add(std::string_view text) {
  separate();
  text_ += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
  return *this;
}

ArrayLiteral& ArrayLiteral::add(long long number) {
  separate();
  text_ += std::to_string(number);
  return *this;
}

ArrayLiteral& ArrayLiteral::add_null() {
  separate();
  text_ += "NULL";
  return *this;
}

namespace {

// An idle connection has nothing to read: readable means the server has gone away (a restart
// sends FATAL then closes). Such a connection would fail the request it was handed to.
bool alive(pqxx::connection& c) {
  if (!c.is_open()) return false;
  pollfd p{c.sock(), POLLIN, 0};
  return p.fd >= 0 && ::poll(&p, 1, 0) == 0;
}

}  // namespace

PgPool::Lease::Lease(PgPool& p) : pool(p), conn(p.acquire()) {}

PgPool::Lease::~Lease() { pool.release(std::move(conn), broken); }

std::unique_ptr<pqxx::connection> PgPool::acquire() {
  {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_count_ < size_; });
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (alive(*conn)) return conn;
      --open_count_;  // closed by the server while idle: drop it, try the next or open one
    }
    ++open_count_;
  }
  try {
    return open();
  } catch (...) {
    std::lock_guard lock(mutex_);
    --open_count_;
    available_.notify_one();
    throw_unavailable();
  }
}

void PgPool::release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  std::lock_guard lock(mutex_);
  if (broken || !conn || !conn->is_open()) {
    --open_count_;
  } else {
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

std::unique_ptr<pqxx::connection> PgPool::open() {
  auto conn = std::make_unique<pqxx::connection>(url_);
  {
    pqxx::nontransaction tx(*conn);
    tx.exec_params("SELECT set_config('statement_timeout', $1, false), set_config('application_name', $2, false)",
                   std::to_string(statement_timeout_.count()), log_.service());
  }
  return conn;
}

void PgPool::throw_unavailable() { throw Unavailable("database unavailable"); }

bool PgPool::ping() {
  try {
    return with_connection([](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      return tx.exec1("SELECT 1")[0].as<int>() == 1;
    });
  } catch (const std::exception& e) {
    log_.warn("postgres ping failed", {{"error", e.what()}});
    return false;
  }
}

}  // namespace shopmesh::core
