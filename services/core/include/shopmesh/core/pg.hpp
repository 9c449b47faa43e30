#pragma once
// A bounded PostgreSQL connection pool. Callers are worker threads (never I/O threads): a checkout
// blocks until a connection is free. Broken connections are dropped and reopened on next use.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

namespace shopmesh::core {

class Logger;

/// A named, prepared statement registered on every pooled connection.
struct PreparedStatement {
  std::string name;
  std::string sql;
};

class PgPool {
 public:
  PgPool(std::string url, std::size_t size, std::chrono::milliseconds statement_timeout, Logger& log);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  /// Registers statements prepared on each connection (call before first use).
  void prepare(std::vector<PreparedStatement> statements);

  /// Runs `f(pqxx::connection&)` on a pooled connection.
  template <class F>
  auto with_connection(F&& f) -> decltype(f(std::declval<pqxx::connection&>())) {
    Lease lease(*this);
    try {
      return f(*lease.conn);
    } catch (const pqxx::broken_connection&) {
      lease.broken = true;
      throw_unavailable();
    }
  }

  /// Runs `f(pqxx::work&)` in a transaction committed when `f` returns normally.
  template <class F>
  auto transact(F&& f) -> decltype(f(std::declval<pqxx::work&>())) {
    return with_connection([&](pqxx::connection& c) {
      pqxx::work tx(c);
      if constexpr (std::is_void_v<decltype(f(tx))>) {
        f(tx);
        tx.commit();
      } else {
        auto result = f(tx);
        tx.commit();
        return result;
      }
    });
  }

  /// True when a trivial query succeeds within the statement timeout.
  bool ping();
  const std::string& url() const { return url_; }
  std::size_t size() const { return size_; }

 private:
  struct Lease {
    explicit Lease(PgPool& p);
    ~Lease();
    PgPool& pool;
    std::unique_ptr<pqxx::connection> conn;
    bool broken = false;
  };
  std::unique_ptr<pqxx::connection> acquire();
  void release(std::unique_ptr<pqxx::connection> conn, bool broken);
  std::unique_ptr<pqxx::connection> open();
  [[noreturn]] static void throw_unavailable();

  std::string url_;
  std::size_t size_;
  std::chrono::milliseconds statement_timeout_;
  Logger& log_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t open_count_ = 0;
  std::vector<PreparedStatement> statements_;
};

}  // namespace shopmesh::core
