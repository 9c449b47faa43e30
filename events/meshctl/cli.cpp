#include "cli.hpp"

#include <charconv>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>

#include "kafka.hpp"
#include "shopmesh/events/topics.hpp"

namespace shopmesh::meshctl {
namespace {

TimePoint time_argument(const char* flag, const std::string& text) {
  std::string error;
  auto t = parse_time(text, now_ms(), error);
  if (!t) throw UsageError(std::string(flag) + ": " + error);
  return *t;
}

// Whole numbers with a readable complaint (CLI11's own ranges print doubles).
CLI::Validator whole_number(long long min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        long long v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size() || v < min)
          return "'" + text + "' is not a whole number >= " + std::to_string(min);
        return {};
      },
      min == 0 ? "N>=0" : "N>=" + std::to_string(min));
}

std::vector<Position> position_arguments(const std::vector<std::string>& texts) {
  std::vector<Position> out;
  for (const auto& t : texts) {
    auto p = parse_position(t);
    if (!p)
      throw UsageError("--offset '" + t + "': expected an offset N (partition 0) or PARTITION:OFFSET, e.g. 3 or 0:3");
    out.push_back(*p);
  }
  return out;
}

// The chain of subcommands the parser got into, for the "--help" hint: "meshctl dlq redrive".
std::string command_path(CLI::App& app) {
  std::string path = app.get_name();
  CLI::App* current = &app;
  while (true) {
    auto parsed = current->get_subcommands();
    if (parsed.empty()) break;
    current = parsed.front();
    path += " " + current->get_name();
  }
  return path;
}

std::string subcommand_names(CLI::App& app) {
  std::string out;
  for (const auto* s : app.get_subcommands({})) out += (out.empty() ? "" : ", ") + s->get_name();
  return out;
}

// A subcommand and what runs when it was given. Its options live in state owned by `action`.
struct Command {
  CLI::App* app;
  std::function<int(Context&)> action;
};

Command topics_command(CLI::App& parent, Command& ensure) {
  auto o = std::make_shared<TopicsOptions>();
  auto* topics =
      parent.add_subcommand("topics", "Topics with partitions and end offsets, and each consumer group's lag");
  topics->add_option("topic", o->topics, "Only these topics");
  topics->add_flag("--partitions", o->partitions, "One line per partition (offsets, committed, lag)");
  topics->add_flag("--json", o->json, "One JSON object per topic");

  // `topics ensure` is how the launcher creates the catalogue's topics (scripts/stack).
  auto catalogue_path = std::make_shared<std::string>("contracts/topics.json");
  auto replication = std::make_shared<Kafka::Replication>();
  auto* sub = topics->add_subcommand("ensure", "Create the topics and dead-letter topics a catalogue names");
  sub->add_option("catalogue", *catalogue_path, "Path of contracts/topics.json")->check(CLI::ExistingFile);
  sub->add_option("--replication-factor", replication->factor,
                  "Replicas of each new topic (default: the broker's default.replication.factor); an existing "
                  "topic with fewer fails")
      ->check(CLI::Range(1, 16));
  sub->add_option("--min-insync-replicas", replication->min_insync,
                  "min.insync.replicas of each new topic (default: the broker's)")
      ->check(CLI::Range(1, 16));
  ensure = {sub, [catalogue_path, replication](Context& ctx) {
              if (replication->factor > 0 && replication->min_insync > replication->factor)
                throw UsageError("--min-insync-replicas " + std::to_string(replication->min_insync) +
                                 " is more than --replication-factor " + std::to_string(replication->factor) +
                                 ": no write to those topics could ever be acknowledged");
              std::ifstream in(*catalogue_path);
              std::stringstream text;
              text << in.rdbuf();
              const auto catalogue = events::TopicCatalogue::parse(text.str());
              Kafka kafka(ctx.brokers, ctx.timeout);
              if (!kafka.wait_ready(ctx.timeout)) {
                ctx.err << "meshctl: broker " << ctx.brokers << " did not answer within " << ctx.timeout.count()
                        << " ms\n";
                return kExitFailure;
              }
              return kafka.ensure_topics(catalogue.all_topics(), *replication, ctx.out, ctx.err) ? kExitOk
                                                                                                   : kExitFailure;
            }};
  return {topics, [o](Context& ctx) { return run_topics(ctx, *o); }};
}

Command tail_command(CLI::App& parent) {
  struct State {
    TailOptions o;
    std::string since;
    long long lines = 0;
    int partition = -1;
    bool from_beginning = false;
  };
  auto s = std::make_shared<State>();
  auto* tail = parent.add_subcommand("tail", "Print a topic's events, decoded and validated against their contracts");
  tail->add_option("topic", s->o.topic, "Topic to read")->required();
  auto* from_beginning = tail->add_flag("--from-beginning", s->from_beginning, "Start at the oldest message");
  auto* offset =
      tail->add_option("--offset", s->o.offset, "Start at this offset in every partition")->check(whole_number(0));
  auto* since = tail->add_option("--since", s->since, "Start at the first message at or after TIME")->type_name("TIME");
  from_beginning->excludes(offset)->excludes(since);
  offset->excludes(since);
  auto* lines = tail->add_option("-n,--lines", s->lines,
                                 "Without a start position: the newest N events (default 20); with one: at most N")
                    ->check(whole_number(1));
  auto* partition = tail->add_option("-p,--partition", s->partition, "Only this partition")->check(whole_number(0));
  tail->add_option("-t,--type", s->o.filter.types, "Only events of this type (repeatable)");
  tail->add_option("-k,--key", s->o.filter.keys, "Only messages with this key (repeatable)");
  tail->add_flag("--invalid", s->o.filter.invalid_only, "Only messages that break their contract or do not decode");
  tail->add_flag("-f,--follow", s->o.follow, "Keep printing new events until Ctrl-C");
  tail->add_flag(
      "--json", s->o.json,
      "One JSON object per line: topic, partition, offset, timestamp, key, headers, valid, errors, envelope|raw");
  tail->add_flag("--headers", s->o.headers, "Also print the headers (text output)");
  return {tail, [=](Context& ctx) {
            TailOptions o = s->o;
            if (from_beginning->count() > 0) {
              o.from = TailOptions::From::beginning;
            } else if (offset->count() > 0) {
              o.from = TailOptions::From::offset;
            } else if (since->count() > 0) {
              o.from = TailOptions::From::since;
              o.since = time_argument("--since", s->since);
            }
            if (lines->count() > 0) o.lines = s->lines;
            if (partition->count() > 0) o.partition = s->partition;
            return run_tail(ctx, o);
          }};
}

Command replay_command(CLI::App& parent) {
  struct State {
    ReplayOptions o;
    std::string since, until;
  };
  auto s = std::make_shared<State>();
  auto* replay = parent.add_subcommand(
      "replay", "Re-deliver a time window of a topic to a stopped consumer group, or re-publish it to another topic");
  replay->add_option("topic", s->o.topic, "Topic whose events to replay")->required();
  replay->add_option("--since", s->since, "Start of the window (RFC 3339, or 10m / 2h / 1d ago)")
      ->type_name("TIME")
      ->required();
  auto* until =
      replay->add_option("--until", s->until, "End of the window (--to-topic only; default: now)")->type_name("TIME");
  auto* to_group = replay
                       ->add_option("--to-group", s->o.to_group,
                                    "Reset this group's offsets on the topic to the window's start (group stopped)")
                       ->type_name("GROUP");
  auto* to_topic = replay
                       ->add_option("--to-topic", s->o.to_topic,
                                    "Re-publish the window's events to this topic, with a replay-of header")
                       ->type_name("TOPIC");
  to_group->excludes(to_topic);
  replay->add_flag("--dry-run", s->o.dry_run, "Print what would happen, change nothing");
  auto* force = replay->add_flag("--force", s->o.force, "--to-topic: allow replaying a topic into itself");
  auto* types = replay->add_option("-t,--type", s->o.filter.types, "--to-topic: only events of this type");
  auto* keys = replay->add_option("-k,--key", s->o.filter.keys, "--to-topic: only messages with this key");
  replay->add_flag("-v,--verbose", s->o.verbose, "--to-topic: print every event replayed");
  return {
      replay, [=](Context& ctx) {
        ReplayOptions o = s->o;
        if (!o.to_group && !o.to_topic)
          throw UsageError(
              "replay needs a destination: --to-group GROUP (reset a stopped group's offsets) or "
              "--to-topic TOPIC (re-publish the events)");
        if (o.to_group && until->count() > 0)
          throw UsageError("--until only applies to --to-topic: a group replays from --since to the end of the topic");
        if (o.to_group && (types->count() > 0 || keys->count() > 0))
          throw UsageError("--type/--key only apply to --to-topic: a group reset moves offsets, it cannot skip events");
        if (o.to_group && force->count() > 0)
          throw UsageError("--force only applies to --to-topic: a live group is never reset");
        o.since = time_argument("--since", s->since);
        if (until->count() > 0) {
          o.until = time_argument("--until", s->until);
          if (*o.until <= o.since)
            throw UsageError("--until (" + format_time(*o.until) + ") must be after --since (" + format_time(o.since) +
                             ")");
        }
        return run_replay(ctx, o);
      }};
}

std::vector<Command> dlq_commands(CLI::App& parent) {
  auto* dlq = parent.add_subcommand("dlq", "Dead-letter topics (<topic>.<group>.dlq): list, show, redrive");
  dlq->require_subcommand(1);

  auto list_o = std::make_shared<DlqListOptions>();
  auto* list = dlq->add_subcommand("list", "Every dead-letter topic with its message count and newest failure");
  list->add_flag("--json", list_o->json, "One JSON object per dead-letter topic");

  struct ShowState {
    DlqShowOptions o;
    std::vector<std::string> offsets;
  };
  auto show_s = std::make_shared<ShowState>();
  auto* show = dlq->add_subcommand("show", "Each dead letter with its error headers and the decoded event");
  show->add_option("dlq", show_s->o.dlq, "Dead-letter topic")->required();
  auto* limit = show->add_option("--limit", show_s->o.limit, "Show the newest N (default 50)")->check(whole_number(1));
  show->add_option("--offset", show_s->offsets, "Only these messages: N (partition 0) or P:N (repeatable)")
      ->excludes(limit);
  show->add_flag("--json", show_s->o.json, "One JSON object per dead letter (the tail fields + deadLetter)");

  struct RedriveState {
    DlqRedriveOptions o;
    std::vector<std::string> offsets;
  };
  auto redrive_s = std::make_shared<RedriveState>();
  auto* redrive = dlq->add_subcommand(
      "redrive", "Send dead letters back to their original topic (once the cause is fixed), minus the dlq-* headers");
  redrive->add_option("dlq", redrive_s->o.dlq, "Dead-letter topic")->required();
  auto* offset =
      redrive->add_option("--offset", redrive_s->offsets, "A message to redrive: N (partition 0) or P:N (repeatable)");
  auto* all = redrive->add_flag("--all", redrive_s->o.all, "Redrive every message of the dead-letter topic");
  offset->excludes(all);
  redrive->add_flag("--dry-run", redrive_s->o.dry_run, "Print what would be sent, send nothing");
  redrive->add_flag("--force", redrive_s->o.force, "Also send messages that still break their contract");

  return {{list, [list_o](Context& ctx) { return run_dlq_list(ctx, *list_o); }},
          {show,
           [show_s](Context& ctx) {
             DlqShowOptions o = show_s->o;
             o.offsets = position_arguments(show_s->offsets);
             return run_dlq_show(ctx, o);
           }},
          {redrive, [redrive_s](Context& ctx) {
             DlqRedriveOptions o = redrive_s->o;
             o.offsets = position_arguments(redrive_s->offsets);
             if (!o.all && o.offsets.empty())
               throw UsageError("redrive needs the messages to send: --offset N (repeatable, or P:N) or --all");
             return run_dlq_redrive(ctx, o);
           }}};
}

Command outbox_command(CLI::App& parent) {
  auto* outbox = parent.add_subcommand("outbox", "The services' transactional outboxes");
  outbox->require_subcommand(1);
  auto o = std::make_shared<OutboxOptions>();
  auto* status = outbox->add_subcommand(
      "status",
      "Per service database: the outbox's replication slot, whether a relay streams from it, WAL retained and not "
      "yet confirmed published, the relay's lag");
  status->add_option("--database", o->databases,
                     "Inspect this database (repeatable; default: auth users products cart orders stock shipping "
                     "notification)");
  status->add_flag("--json", o->json, "One JSON object per database");
  return {status, [o](Context& ctx) { return run_outbox_status(ctx, *o); }};
}

Command order_command(CLI::App& parent) {
  auto o = std::make_shared<OrderOptions>();
  auto* order = parent.add_subcommand(
      "order", "The timeline of one order's events across topics, with the consumer groups that handled each");
  order->add_option("order_id", o->order_id, "The order id (the events' key)")->required();
  order->add_option(
      "--topic", o->topics,
      "Scan this topic (repeatable; default: order.events stock.events shipping.events notification.events)");
  order->add_option("--database", o->databases,
                    "Look for inbox rows in this database (repeatable; default: the service databases)");
  order->add_flag("--no-db", o->no_db, "Do not ask PostgreSQL who handled the events");
  order->add_flag("--json", o->json, "One JSON object per event, with handledBy and deadLettered");
  return {order, [o](Context& ctx) {
            if (o->order_id.empty()) throw UsageError("ORDER_ID is empty");
            return run_order(ctx, *o);
          }};
}

Command top_command(CLI::App& parent, const Environment& env) {
  auto o = std::make_shared<TopOptions>();
  o->admin_url = env("GATEWAY_ADMIN_URL").value_or("http://127.0.0.1:9901");
  auto interval_ms = std::make_shared<int>(2'000);
  auto* top = parent.add_subcommand(
      "top",
      "The gateway's live mesh view (its admin listener's /mesh.json, what its page at / draws): edges with rate, "
      "5xx ratio and p99, outboxes, consumer lag and applied/s, dead-letter queues; refreshed every 2 s "
      "(METRICS_TOKEN is sent when set)");
  top->add_option("--admin", o->admin_url, "The gateway's admin listener (env GATEWAY_ADMIN_URL)")
      ->capture_default_str();
  top->add_flag("--once", o->once, "Print one round and exit");
  top->add_flag("--json", o->json, "Print the /mesh.json documents themselves, one per line");
  top->add_option("--interval-ms", *interval_ms, "Time between refreshes")
      ->check(CLI::Range(200, 3'600'000))
      ->capture_default_str();
  return {top, [o, interval_ms](Context& ctx) {
            o->interval = std::chrono::milliseconds(*interval_ms);
            return run_top(ctx, *o);
          }};
}

Command wait_command(CLI::App& parent) {
  auto* wait = parent.add_subcommand("wait", "Wait until the broker answers a metadata request");
  return {wait, [](Context& ctx) {
            Kafka kafka(ctx.brokers, ctx.timeout);
            if (kafka.wait_ready(ctx.timeout)) return kExitOk;
            ctx.err << "meshctl: broker " << ctx.brokers << " did not answer within " << ctx.timeout.count() << " ms\n";
            return kExitFailure;
          }};
}

// CLI11's parse errors, said the way meshctl says things (unknown commands named as such).
void report_parse_error(CLI::App& app, const CLI::ParseError& e, std::ostream& err) {
  const std::string path = command_path(app);
  CLI::App* deepest = &app;
  while (!deepest->get_subcommands().empty()) deepest = deepest->get_subcommands().front();
  const bool needs_command = deepest->get_require_subcommand_min() > 0 && deepest->get_subcommands().empty();
  const auto left = app.remaining(true);
  if (needs_command && !left.empty() && left.front().rfind('-', 0) != 0)
    err << "meshctl: unknown command '" << left.front() << "' for '" << path
        << "' (commands: " << subcommand_names(*deepest) << ")\n";
  else if (needs_command)
    err << "meshctl: '" << path << "' needs a command: " << subcommand_names(*deepest) << '\n';
  else
    err << "meshctl: " << e.what() << '\n';
  err << "Run '" << path << " --help' for usage.\n";
}

}  // namespace

int run(int argc, const char* const* argv, Terminal& t) {
  CLI::App app{
      "meshctl: see and operate what flows through Shopmesh's Kafka topics, decoded and validated\n"
      "against the event contracts (contracts/events). Exit codes: 0 ok, 1 operational failure, 2 usage error."};
  app.name("meshctl");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  std::string brokers = t.env("KAFKA_BROKERS").value_or("127.0.0.1:9092");
  app.add_option("--brokers", brokers, "Kafka bootstrap servers (env KAFKA_BROKERS)")->capture_default_str();
  int timeout_ms = 10'000;
  app.add_option("--timeout-ms", timeout_ms, "How long to wait for the broker and for progress while reading")
      ->check(CLI::Range(100, 600'000))
      ->capture_default_str();
  std::string pg_url;
  app.add_option("--pg", pg_url,
                 "PostgreSQL superuser URL (else env PG_SUPERUSER_URL, else PG_HOST/PG_PORT/PG_SUPERUSER/PG_PASSWORD)");
  std::string color = "auto";
  app.add_option("--color", color, "Colours: auto (when stdout is a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  Command ensure{};
  std::vector<Command> commands{topics_command(app, ensure), tail_command(app), replay_command(app)};
  for (auto& c : dlq_commands(app)) commands.push_back(std::move(c));
  commands.push_back(outbox_command(app));
  commands.push_back(order_command(app));
  commands.push_back(top_command(app, t.env));
  commands.push_back(wait_command(app));
  commands.insert(commands.begin(), ensure);  // before `topics`: both are "parsed" for `topics ensure`

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, t.out, t.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, t.out, t.err);
  } catch (const CLI::ParseError& e) {
    report_parse_error(app, e, t.err);
    return kExitUsage;
  }

  Context ctx{t.out,
              t.err,
              Style{},
              t.stop,
              brokers,
              std::chrono::milliseconds(timeout_ms),
              pg_url.empty() ? std::nullopt : std::optional(pg_url),
              t.env,
              t.out_is_tty};
  ctx.style.color = color == "always" ||
                    (color == "auto" && t.out_is_tty && !t.env("NO_COLOR") && t.env("TERM").value_or("") != "dumb");
  try {
    for (auto& c : commands)
      if (c.app->parsed()) return c.action(ctx);
  } catch (const UsageError& e) {
    t.err << "meshctl: " << e.what() << '\n' << "Run '" << command_path(app) << " --help' for usage.\n";
    return kExitUsage;
  } catch (const Refused& e) {
    t.err << "meshctl: refused: " << e.what() << '\n';
    return kExitFailure;
  } catch (const std::exception& e) {
    t.err << "meshctl: " << e.what() << '\n';
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace shopmesh::meshctl
