#include "outbox_tap.hpp"

#include <algorithm>
#include <cstdio>
#include <pqxx/pqxx>
#include <rapidjson/document.h>
#include <stdexcept>

#include "bus_fixture.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/envelope.hpp"

namespace shopmesh::testing {
namespace {

// test_decoding writes a logical decoding message as this header, then its content as is.
std::string message_header() {
  return "message: transactional: 1 prefix: " + std::string(events::kOutboxPrefix) + ", sz: ";
}

// The envelope's data object, parsed into `doc`; nullptr when the message holds none.
const rapidjson::Value* data_member(const events::OutboxMessage& message, const char* member,
                                    rapidjson::Document& doc) {
  std::string error;
  const auto envelope = events::decode(message.value, error);
  if (!envelope) return nullptr;
  doc.Parse(envelope->data.c_str());
  if (doc.HasParseError() || !doc.IsObject()) return nullptr;
  const auto it = doc.FindMember(member);
  return it == doc.MemberEnd() ? nullptr : &it->value;
}

}  // namespace

OutboxTap::OutboxTap(const TestDatabase& db) : url_(db.url), slot_("it_tap_" + core::uuid_v7().substr(24)) {
  pqxx::connection c(url_);
  pqxx::nontransaction tx(c);
  tx.exec_params("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", slot_);
}

OutboxTap::~OutboxTap() {
  try {
    pqxx::connection c(url_);
    pqxx::nontransaction tx(c);
    tx.exec_params("SELECT pg_drop_replication_slot($1)", slot_);
  } catch (const std::exception& e) {  // TestDatabase drops the slot with the database anyway
    std::fprintf(stderr, "OutboxTap: slot %s not dropped: %s\n", slot_.c_str(), e.what());
  }
}

std::vector<events::OutboxMessage> OutboxTap::take() {
  pqxx::connection c(url_);
  pqxx::nontransaction tx(c);
  const std::string header = message_header();
  std::vector<events::OutboxMessage> out;
  for (const auto& row : tx.exec_params("SELECT data FROM pg_logical_slot_get_changes($1, NULL, NULL)", slot_)) {
    const std::string data = row[0].as<std::string>();
    if (data.rfind(header, 0) != 0) continue;  // BEGIN, COMMIT, table changes
    const auto content = data.find(" content:", header.size());
    if (content == std::string::npos) throw std::runtime_error("OutboxTap: unexpected message line: " + data);
    auto message = events::OutboxMessage::decode(std::string_view(data).substr(content + 9));
    if (!message) throw std::runtime_error("OutboxTap: not an outbox message: " + data);
    out.push_back(std::move(*message));
  }
  return out;
}

std::size_t count_of(const std::vector<events::OutboxMessage>& messages, std::string_view type,
                     std::string_view key) {
  return static_cast<std::size_t>(std::count_if(messages.begin(), messages.end(), [&](const auto& m) {
    return m.type == type && (key.empty() || m.key == key);
  }));
}

std::optional<std::string> data_text(const events::OutboxMessage& message, const char* member) {
  rapidjson::Document doc;
  const auto* v = data_member(message, member, doc);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<std::int64_t> data_int(const events::OutboxMessage& message, const char* member) {
  rapidjson::Document doc;
  const auto* v = data_member(message, member, doc);
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

}  // namespace shopmesh::testing
