#pragma once
// A bounded PostgreSQL connection pool. Callers are worker threads (never I/O threads): a checkout
// blocks until a connection is free. Broken connections are dropped and reopened on next use;
// idle ones the server closed (a restart) are dropped at checkout, before a request can fail on them.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shopmesh::core {

class Logger;

/// A constant SQL statement run as a prepared statement: parsed and planned once per connection
/// (on its first use there) instead of at every call. Only for fixed text: every distinct text
/// becomes a statement kept by the server for the connection's lifetime.
class Sql {
 public:
  explicit Sql(std::string text);
  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::string name_;  // derived from the text, so one text is one statement on a connection
};

/// Runs `sql` with `args` in `tx` as a prepared statement. libpqxx prepares it on the connection
/// at its first use there (a prepared statement outlives the transaction that prepared it);
/// declaring the same text again is a lookup.
/// The one timestamp format of the API and the events (RFC 3339, UTC, milliseconds), written by
/// PostgreSQL. A string literal, so it composes into constant SQL:
///   SHOPMESH_SQL("SELECT id, " SHOPMESH_SQL_TIMESTAMP("created_at") " FROM orders")
#define SHOPMESH_SQL_TIMESTAMP(column) "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

template <class... Args>
pqxx::result exec(pqxx::transaction_base& tx, const Sql& sql, Args&&... args) {
  tx.conn().prepare(sql.name(), sql.text());
  return tx.exec_prepared(sql.name(), std::forward<Args>(args)...);
}

/// The Sql of a constant text written at the call site, built once:
///   core::exec(tx, SHOPMESH_SQL("SELECT ... WHERE id = $1"), id)
#define SHOPMESH_SQL(text)                        \
  ([]() -> const ::shopmesh::core::Sql& {         \
    static const ::shopmesh::core::Sql sql{text}; \
    return sql;                                   \
  }())

template <class... Args>
pqxx::row exec1(pqxx::transaction_base& tx, const Sql& sql, Args&&... args) {
  auto r = exec(tx, sql, std::forward<Args>(args)...);
  if (r.size() != 1)
    throw pqxx::unexpected_rows("expected 1 row from " + sql.name() + ", got " + std::to_string(r.size()));
  return r[0];
}

/// A PostgreSQL array literal built element by element, for one array parameter ($1::text[]):
/// text elements are quoted and escaped, so any text goes.
class ArrayLiteral {
 public:
  ArrayLiteral& add(std::string_view text);
  ArrayLiteral& add(long long number);
  ArrayLiteral& add_null();
  std::string str() const { return text_ + '}'; }

 private:
  void separate() {
    if (text_.size() > 1) text_ += ',';
  }
  std::string text_ = "{";
};

/// The array literal of element(item) for each item; element gives text or an integer.
template <class Range, class F>
std::string array_literal(const Range& items, F&& element) {
  ArrayLiteral a;
  for (const auto& item : items) a.add(element(item));
  return a.str();
}

class PgPool {
 public:
  PgPool(std::string url, std::size_t size, std::chrono::milliseconds statement_timeout, Logger& log);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

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
};

}  // namespace shopmesh::core
