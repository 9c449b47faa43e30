#pragma once
// meshctl's commands: each takes its parsed options and a Context, prints to the context's
// streams and returns the exit code (0 ok, 1 operational failure). Usage mistakes found after
// parsing throw UsageError (exit 2); refusals throw Refused (exit 1).
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "plan.hpp"
#include "postgres.hpp"
#include "render.hpp"
#include "time_format.hpp"

namespace shopmesh::meshctl {

/// A usage mistake: bad TIME, conflicting flags... (exit code 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A request meshctl will not carry out, e.g. resetting a live group (exit code 1).
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Reads an environment variable (injected so that tests need not touch the process environment).
using Environment = std::function<std::optional<std::string>(const char*)>;

/// What every command gets.
struct Context {
  std::ostream& out;
  std::ostream& err;
  Style style;                    // for `out`
  const std::atomic<bool>& stop;  // set on SIGINT/SIGTERM
  std::string brokers;
  std::chrono::milliseconds timeout{10'000};
  std::optional<std::string> pg_url;  // --pg
  Environment env;
  bool out_is_tty = false;  // `out` is a terminal (top redraws in place)
};

struct TopicsOptions {
  std::vector<std::string> topics;  // empty: all
  bool partitions = false;          // one row per partition
  bool json = false;
};
int run_topics(Context& ctx, const TopicsOptions& o);

struct TailOptions {
  enum class From { newest, beginning, offset, since };
  std::string topic;
  From from = From::newest;
  long long offset = 0;
  TimePoint since{};
  std::optional<long long> lines;  // newest: how many (default 20); otherwise: at most this many
  std::optional<int> partition;
  Filter filter;
  bool follow = false;
  bool json = false;
  bool headers = false;
};
int run_tail(Context& ctx, const TailOptions& o);

struct ReplayOptions {
  std::string topic;
  TimePoint since{};
  std::optional<TimePoint> until;
  std::optional<std::string> to_group;
  std::optional<std::string> to_topic;
  Filter filter;  // --to-topic only
  bool dry_run = false;
  bool force = false;  // --to-topic into the source topic itself
  bool verbose = false;
};
int run_replay(Context& ctx, const ReplayOptions& o);

struct DlqListOptions {
  bool json = false;
};
int run_dlq_list(Context& ctx, const DlqListOptions& o);

struct DlqShowOptions {
  std::string dlq;
  std::vector<Position> offsets;  // empty: the newest `limit`
  std::size_t limit = 50;
  bool json = false;
};
int run_dlq_show(Context& ctx, const DlqShowOptions& o);

struct DlqRedriveOptions {
  std::string dlq;
  std::vector<Position> offsets;
  bool all = false;
  bool dry_run = false;
  bool force = false;  // also send messages that are still invalid under this build's contracts
};
int run_dlq_redrive(Context& ctx, const DlqRedriveOptions& o);

struct OutboxOptions {
  std::vector<std::string> databases;  // empty: the service databases
  bool json = false;
};
int run_outbox_status(Context& ctx, const OutboxOptions& o);
/// One database's outbox slot as one JSON line: {database, slot, exists, active, walStatus,
/// retainedBytes, unconfirmedBytes, lagSeconds} (the last four null without a slot; lag null
/// unless a relay streams and PostgreSQL measured it).
std::string render_outbox_json(const OutboxStatus& s);
/// The table of `meshctl outbox status`: a row per database, then the databases not inspected.
std::string render_outbox_text(const std::vector<OutboxStatus>& rows, const std::vector<Skipped>& skipped,
                               const Style& style);

struct OrderOptions {
  std::string order_id;
  std::vector<std::string> topics;     // empty: order, stock, shipping and notification events
  std::vector<std::string> databases;  // inboxes to ask; empty: the service databases
  bool no_db = false;
  bool json = false;
};
int run_order(Context& ctx, const OrderOptions& o);

struct TopOptions {
  std::string admin_url;  // the gateway's admin listener
  std::chrono::milliseconds interval{2'000};
  bool once = false;
  bool json = false;  // the /mesh.json documents, one per line
};
int run_top(Context& ctx, const TopOptions& o);
/// The text `meshctl top` prints for one /mesh.json document; throws std::runtime_error when it is
/// not one.
std::string render_top(std::string_view mesh_json, const Style& style);

}  // namespace shopmesh::meshctl
