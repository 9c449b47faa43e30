#include "shopmesh/gateway/session_check.hpp"

#include <rapidjson/document.h>

#include <boost/beast/http.hpp>

#include "shopmesh/core/mesh_auth.hpp"
#include "shopmesh/gateway/upstream.hpp"

namespace shopmesh::gateway {

SessionChecker::SessionChecker(UpstreamPool* auth, const core::MeshAuth& mesh, std::chrono::milliseconds active_ttl,
                               std::chrono::milliseconds timeout)
    : auth_(auth), mesh_(mesh), active_ttl_(active_ttl), timeout_(timeout) {}

SessionChecker::State SessionChecker::parse_answer(int status, std::string_view body) {
  if (status == 404) return State::revoked;  // no such session
  if (status != 200) return State::unknown;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return State::unknown;
  auto it = doc.FindMember("active");
  if (it == doc.MemberEnd() || !it->value.IsBool()) return State::unknown;
  return it->value.GetBool() ? State::active : State::revoked;
}

std::optional<SessionChecker::State> SessionChecker::cached(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.until <= now) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.state;
}

void SessionChecker::remember(const std::string& key, State state, Clock::time_point until, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.until <= now; });
    if (entries_.size() >= kMaxEntries) entries_.clear();
  }
  entries_[key] = {state, until};
  if (state == State::revoked) any_revoked_.store(true, std::memory_order_relaxed);
}

bool SessionChecker::known_revoked(const Identity& id) {
  if (!any_revoked_.load(std::memory_order_relaxed)) return false;
  return cached(id.user_id + "/" + id.session_id, Clock::now()) == State::revoked;
}

boost::asio::awaitable<SessionChecker::State> SessionChecker::check(const Identity& id, std::string_view request_id) {
  if (id.session_id.empty()) co_return State::revoked;  // auth issues no token without a session
  const std::string key = id.user_id + "/" + id.session_id;
  auto now = Clock::now();
  if (auto hit = cached(key, now)) co_return *hit;
  if (auth_ == nullptr) co_return State::unknown;

  const std::string target = "/internal/sessions/" + id.session_id + "?userId=" + id.user_id;
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "auth");
  req.set("X-Request-Id", std::string(request_id));
  req.set(core::MeshAuth::kHeader.data(), mesh_.sign("GET", target, {}));
  req.keep_alive(true);
  req.prepare_payload();
  auto result = co_await auth_->send(req, timeout_);
  if (result.failure != UpstreamFailure::none) co_return State::unknown;
  const State state = parse_answer(static_cast<int>(result.response.result_int()), result.response.body());
  now = Clock::now();
  if (state == State::active) {
    remember(key, state, now + active_ttl_, now);
  } else if (state == State::revoked) {
    const auto left =
        std::chrono::seconds(std::max<std::int64_t>(1, id.exp - std::chrono::duration_cast<std::chrono::seconds>(
                                                                    std::chrono::system_clock::now().time_since_epoch())
                                                                    .count()));
    remember(key, state, now + left, now);
  }
  co_return state;
}

}  // namespace shopmesh::gateway
