#include "admin/admin_api.hpp"

#include <array>
#include <charconv>
#include <tuple>
#include <ctime>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "observability/transaction_recorder.hpp"
#include "policy/policy.hpp"

namespace warden::admin {

namespace asio = boost::asio;
namespace json = boost::json;
namespace urls = boost::urls;

namespace {

constexpr std::string_view kTransactions = "/admin/transactions";
constexpr std::int64_t kHourUs = 3600LL * 1000 * 1000;
// storage::Store::list refuses longer search texts; checked here to name the parameter.
constexpr std::size_t kMaxSearchBytes = 4096;

// A query parameter that did not parse, named for the message.
struct BadParameter {
  std::string message;
};

std::optional<std::int64_t> integer(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Unix milliseconds, or RFC 3339 UTC ("2026-11-25T10:00:00Z", fraction ignored) → µs.
std::optional<std::int64_t> time_us(std::string_view text) {
  if (auto ms = integer(text)) {
    constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 1000;
    if (*ms > kLimit || *ms < -kLimit) return std::nullopt;  // µs would overflow
    return *ms * 1000;
  }
  std::tm tm{};
  int consumed = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(static_cast<std::size_t>(consumed));
  if (rest.starts_with('.')) {
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  }
  if (rest != "Z" && rest != "z" && rest != "+00:00") return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::tm given = tm;
  const std::time_t seconds = timegm(&tm);
  if (seconds == -1) return std::nullopt;
  // timegm normalizes month 13 or February 30 into a real date; such a date is a typo.
  if (tm.tm_year != given.tm_year || tm.tm_mon != given.tm_mon || tm.tm_mday != given.tm_mday ||
      tm.tm_hour != given.tm_hour || tm.tm_min != given.tm_min || tm.tm_sec != given.tm_sec) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(seconds) * 1'000'000;
}

// Typed readers of one parameter; each throws BadParameter naming it.
struct Param {
  const std::string& key;
  const std::string& value;

  template <class T>
  T need(std::optional<T> parsed, std::string_view what) const {
    if (!parsed) throw BadParameter{"'" + key + "' must be " + std::string(what) + ", got '" + value + "'"};
    return *parsed;
  }
  std::int64_t time() const { return need(time_us(value), "Unix milliseconds or an RFC 3339 UTC time"); }
  std::size_t limit() const {
    const auto limit = need(integer(value), "a number");
    if (limit < 1 || limit > 1000) throw BadParameter{"'limit' must be 1-1000"};
    return static_cast<std::size_t>(limit);
  }
  std::string search() const {
    if (value.size() > kMaxSearchBytes) {
      throw BadParameter{"'" + key + "' must be at most " + std::to_string(kMaxSearchBytes) + " bytes"};
    }
    return value;
  }
  // "<µs>.<id>", as next_cursor() made it.
  std::pair<std::int64_t, std::string> cursor() const {
    const auto dot = value.find('.');
    const auto at = dot == std::string::npos ? std::nullopt : integer(std::string_view(value).substr(0, dot));
    if (!at || dot + 1 >= value.size()) throw BadParameter{"'cursor' is not one this API gave out"};
    return {*at, value.substr(dot + 1)};
  }
  [[noreturn]] void unknown(std::string_view known) const {
    throw BadParameter{"unknown parameter '" + key + "'; known: " + std::string(known)};
  }
};

std::string next_cursor(std::int64_t at_us, std::string_view id) {
  return std::to_string(at_us) + "." + std::string(id);
}

storage::TransactionQuery parse_query(const urls::params_view& params) {
  storage::TransactionQuery q;
  for (const auto& param : params) {
    const Param p{param.key, param.value};
    const std::string& key = param.key;
    if (key == "from") {
      q.from_us = p.time();
    } else if (key == "to") {
      q.to_us = p.time();
    } else if (key == "model") {
      q.model = p.value;
    } else if (key == "status") {
      const auto status = p.need(integer(p.value), "an HTTP status");
      if (status < 100 || status > 599) throw BadParameter{"'status' must be 100-599"};
      q.status = static_cast<int>(status);
    } else if (key == "outcome") {
      q.outcome = p.value;
    } else if (key == "action") {
      if (p.value.find_first_of(" \t\r\n") != std::string::npos) {
        throw BadParameter{"'action' is one word, like tool_filter:blocked_tool_call"};
      }
      q.action = p.value;
    } else if (key == "session") {
      q.session_id = p.value;
    } else if (key == "caller") {
      q.caller = p.value;
    } else if (key == "q") {
      q.text = p.search();
    } else if (key == "limit") {
      q.limit = p.limit();
    } else if (key == "cursor") {
      std::tie(q.before_started_at_us, q.before_id) = p.cursor();
    } else {
      p.unknown("from, to, model, status, outcome, action, session, caller, q, limit, cursor");
    }
  }
  return q;
}

storage::SessionQuery parse_session_query(const urls::params_view& params) {
  storage::SessionQuery q;
  for (const auto& param : params) {
    const Param p{param.key, param.value};
    if (param.key == "from") {
      q.from_us = p.time();
    } else if (param.key == "to") {
      q.to_us = p.time();
    } else if (param.key == "q") {
      q.text = p.search();
    } else if (param.key == "limit") {
      q.limit = p.limit();
    } else if (param.key == "cursor") {
      std::tie(q.before_last_at_us, q.before_session_id) = p.cursor();
    } else {
      p.unknown("from, to, q, limit, cursor");
    }
  }
  return q;
}

// A stored body as JSON when it is JSON, else as a string; null when empty.
json::value body_value(std::string_view text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec) return json::string(text);
  return parsed;
}

json::value text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return json::string(text);
}

Reply ok(const json::value& body) { return {200, json::serialize(body)}; }

Reply store_failed(const core::Error& error) {
  if (error.kind == core::ErrorKind::kInvalidRequest) {
    return error_reply(400, "invalid_request_error", error.message);
  }
  return error_reply(503, "storage_error", "The transaction store failed: " + error.message);
}

}  // namespace

Reply error_reply(unsigned status, std::string_view type, std::string_view message) {
  const json::object body{{"error", {{"type", type}, {"message", message}}}};
  return {status, json::serialize(body)};
}

AdminApi::AdminApi(RecordReader& reader, json::value policy, std::vector<std::string> chain)
    : reader_(reader), policy_(std::move(policy)), chain_(std::move(chain)) {}

asio::awaitable<Reply> AdminApi::handle(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == kTransactions) co_return co_await list(target);
  if (path.starts_with(kTransactions) && path[kTransactions.size()] == '/') {
    const std::string_view id = path.substr(kTransactions.size() + 1);
    if (!id.empty() && id.find('/') == std::string_view::npos) {
      co_return co_await one(std::string(id), target);
    }
  }
  if (path == "/admin/policy") co_return co_await policy();
  if (path == "/admin/sessions") co_return co_await sessions(target);
  co_return error_reply(404, "not_found_error",
                        "Not found: " + std::string(path) +
                            "; the admin API has /admin/transactions, /admin/transactions/{id}, "
                            "/admin/sessions, /admin/policy and /admin/events");
}

asio::awaitable<Reply> AdminApi::list(std::string_view target) {
  auto url = urls::parse_origin_form(target);
  if (!url) co_return error_reply(400, "invalid_request_error", "The request target is not a valid URL");
  storage::TransactionQuery query;
  try {
    query = parse_query(url->params());
  } catch (const BadParameter& bad) {
    co_return error_reply(400, "invalid_request_error", bad.message);
  }
  auto page = co_await reader_.list(query);
  if (!page) co_return store_failed(page.error());
  json::array items;
  for (const auto& record : *page) items.push_back(observability::record_summary(record));
  json::value next = nullptr;
  if (page->size() == query.limit) {
    next = next_cursor(page->back().started_at_us, page->back().id);
  }
  co_return ok(json::object{{"transactions", std::move(items)}, {"next_cursor", next}});
}

asio::awaitable<Reply> AdminApi::sessions(std::string_view target) {
  auto url = urls::parse_origin_form(target);
  if (!url) co_return error_reply(400, "invalid_request_error", "The request target is not a valid URL");
  storage::SessionQuery query;
  try {
    query = parse_session_query(url->params());
  } catch (const BadParameter& bad) {
    co_return error_reply(400, "invalid_request_error", bad.message);
  }
  auto page = co_await reader_.sessions(query);
  if (!page) co_return store_failed(page.error());
  json::array items;
  for (const auto& s : *page) {
    json::array models;
    for (const auto& m : s.models) models.emplace_back(m);
    items.push_back({{"session_id", s.session_id},
                     {"first_at_us", s.first_at_us},
                     {"last_at_us", s.last_at_us},
                     {"transactions", s.transactions},
                     {"input_tokens", s.input_tokens},
                     {"output_tokens", s.output_tokens},
                     {"models", std::move(models)},
                     {"acted", s.acted},
                     {"errors", s.errors}});
  }
  json::value next = nullptr;
  if (page->size() == query.limit) next = next_cursor(page->back().last_at_us, page->back().session_id);
  co_return ok(json::object{{"sessions", std::move(items)}, {"next_cursor", next}});
}

asio::awaitable<Reply> AdminApi::one(std::string id, std::string_view target) {
  auto url = urls::parse_origin_form(target);
  if (!url) co_return error_reply(400, "invalid_request_error", "The request target is not a valid URL");
  bool with_bodies = true;  // ?bodies=false: the summary and policy events only (the live view)
  for (const auto& param : url->params()) {
    if (param.key != "bodies" || (param.value != "true" && param.value != "false")) {
      co_return error_reply(400, "invalid_request_error",
                            "the only parameter here is 'bodies' (true or false)");
    }
    with_bodies = param.value == "true";
  }
  auto found = co_await reader_.get(id);
  if (!found) co_return store_failed(found.error());
  if (!*found) co_return error_reply(404, "not_found_error", "No transaction with id '" + id + "'");
  const auto& r = **found;
  json::object out = observability::record_summary(r);
  out["policy_events"] = body_value(r.policy_events);
  if (!with_bodies) co_return ok(out);
  const bool bodies = !r.original_request.empty();
  out["request_headers"] = body_value(r.request_headers);
  out["request"] = {{"original", body_value(r.original_request)},
                    {"final", bodies && r.final_request.empty() ? body_value(r.original_request)
                                                                : body_value(r.final_request)},
                    {"changed", !r.final_request.empty()}};
  out["response"] = {{"original", body_value(r.original_response)},
                     {"final", body_value(r.final_response)}};
  out["ingress"] = text_or_null(r.ingress);
  out["egress"] = text_or_null(r.egress);
  co_return ok(out);
}

asio::awaitable<Reply> AdminApi::policy() {
  const std::int64_t now = policy::now_us();
  json::object acted;
  const std::array<std::pair<const char*, std::int64_t>, 2> windows = {
      std::pair{"last_hour", now - kHourUs}, std::pair{"last_day", now - 24 * kHourUs}};
  for (const auto& [name, since] : windows) {
    auto counts = co_await reader_.action_counts(since);
    if (!counts) co_return store_failed(counts.error());
    json::object by_action;
    for (const auto& [word, n] : *counts) by_action[word] = n;
    acted[name] = std::move(by_action);
  }
  json::array chain;
  for (const auto& name : chain_) chain.emplace_back(name);
  co_return ok(json::object{{"policy", policy_}, {"chain", std::move(chain)}, {"actions", std::move(acted)}});
}

}  // namespace warden::admin
