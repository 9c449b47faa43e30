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

/// A named SQL statement. A service's statements live in its queries.sql, from which the build
/// generates shopmesh/<service>/queries.hpp (scripts/cmake/EmbedQueries.cmake): one function per
/// query, returning its Sql named `<service>.<query>`. The name is the prepared statement's name on
/// the connection (server logs, pg_prepared_statements), so one name must mean one text.
class Sql {
 public:
  /// prepared: parsed and planned once per connection, on its first use there.
  /// unprepared: sent with its text at every call, so planned for the parameters at hand (optional
  /// filters whose best plan depends on which are NULL) or not kept for a connection that runs it once.
  enum class Mode { prepared, unprepared };

  Sql(std::string name, std::string text, Mode mode = Mode::prepared)
      : name_(std::move(name)), text_(std::move(text)), mode_(mode) {}
  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  Mode mode() const { return mode_; }

 private:
  std::string name_;
  std::string text_;
  Mode mode_;
};

/// The one timestamp format of the API and the events (RFC 3339, UTC, milliseconds), written by
/// PostgreSQL. queries.sql files write it `{{timestamp(column)}}`, which the generated header
/// expands to this macro. A string literal, so it composes into the query's literal text.
#define SHOPMESH_SQL_TIMESTAMP(column) "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/// Runs `sql` with `args` in `tx`. A prepared one is prepared on the connection at its first use
/// there (a prepared statement outlives the transaction that prepared it); declaring it again is a
/// lookup.
template <class... Args>
pqxx::result exec(pqxx::transaction_base& tx, const Sql& sql, Args&&... args) {
  if (sql.mode() == Sql::Mode::unprepared) return tx.exec_params(sql.text(), std::forward<Args>(args)...);
  tx.conn().prepare(sql.name(), sql.text());
  return tx.exec_prepared(sql.name(), std::forward<Args>(args)...);
}

/// exec, for a statement that returns exactly one row.
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

  /// Runs `f(pqxx::nontransaction&)` on a pooled connection, outside a transaction: each statement
  /// commits on its own. For a read of one statement, one round trip where transact takes three
  /// (BEGIN, the statement, COMMIT). Statements that must see one snapshot or commit together go
  /// through transact.
  template <class F>
  auto read(F&& f) -> decltype(f(std::declval<pqxx::nontransaction&>())) {
    return with_connection([&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      return f(tx);
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
