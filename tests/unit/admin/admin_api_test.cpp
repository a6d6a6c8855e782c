// AdminApi over a RecordReader over a real SQLite store holding known records:
// list filters, parameter errors (400, naming the parameter), cursor paging,
// the detail view's shape, 404s and the policy view's counts.

#include "support/temp_store_dir.hpp"
#include "admin/admin_api.hpp"

#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "policy/policy.hpp"
#include "storage/store.hpp"

namespace warden::admin::test {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using storage::TransactionRecord;

constexpr std::int64_t kMinuteUs = 60LL * 1000 * 1000;
constexpr std::int64_t kHourUs = 60 * kMinuteUs;
constexpr std::int64_t kDayUs = 24 * kHourUs;

using TempDir = warden::testing::TempStoreDir;

TransactionRecord record(std::string id, std::int64_t started_at_us) {
  TransactionRecord r;
  r.id = std::move(id);
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  r.started_at_us = started_at_us;
  r.duration_us = 1500;
  r.endpoint = "/v1/messages";
  r.dialect = "anthropic";
  r.provider = "anthropic";
  r.model = "claude-a";
  r.upstream_model = "claude-a-upstream";
  r.status = 200;
  r.outcome = "completed";
  r.input_tokens = 10;
  r.output_tokens = 20;
  return r;
}

// Times are relative to now, for the policy view's last hour and last day.
struct Records {
  std::int64_t now = policy::now_us();
  std::vector<TransactionRecord> all;

  Records() {
    auto a = record("txn_a", now - 30 * kMinuteUs);
    a.session_id = "s1";
    a.policy_actions = "tool_filter:blocked_tool_call";
    a.caller = "k_0123456789abcdef";
    a.request_headers = R"({"x-api-key":"[redacted]","content-type":"application/json"})";
    a.original_request = R"({"model":"claude-a","messages":[{"role":"user","content":"find the Needle"}]})";
    a.original_response = R"({"type":"message","content":[{"type":"text","text":"hi"}]})";
    a.final_response = R"({"type":"message","content":[{"type":"text","text":"HI"}]})";
    a.ingress = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    a.egress = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    a.policy_events = R"([{"policy":"tool_filter","action":"blocked_tool_call","at_us":1,"detail":{"tool":"Bash"}}])";
    a.stream = true;

    auto b = record("txn_b", now - 5 * kHourUs);
    b.model = "gpt-b";
    b.dialect = "openai";
    b.endpoint = "/v1/chat/completions";
    b.status = 429;
    b.outcome = "error";
    b.error = "rate limited";
    b.session_id = "s2";
    b.policy_actions = "string_replacement:replaced_text tool_filter:blocked_tool_call";
    b.original_request = R"({"model":"gpt-b","messages":[]})";
    b.final_request =
        R"({"model":"claude-b","max_tokens":1024,"messages":[{"role":"user","content":"translated turn"}]})";

    auto c = record("txn_c", now - 3 * kDayUs);
    c.outcome = "blocked";
    c.policy_actions = "blocked_content:blocked";
    c.original_request = R"({"model":"claude-a","messages":[]})";
    c.original_response = "not JSON at all";

    all = {a, b, c};
    // Five of one model for paging; two share a start time (ordered by id then).
    const std::int64_t base = now - 10 * kDayUs;
    for (const auto& [id, offset] : std::vector<std::pair<std::string, std::int64_t>>{
             {"txn_p1", 1}, {"txn_p2", 2}, {"txn_p3", 3}, {"txn_p4a", 4}, {"txn_p4b", 4}}) {
      auto p = record(id, base + offset);
      p.model = "pager";
      all.push_back(p);
    }
  }
};

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::open_store(dir_.store_url());
    ASSERT_TRUE(store) << store.error().message;
    auto wrote = (*store)->write(records_.all);
    ASSERT_TRUE(wrote) << wrote.error().message;
    auto reader_store = storage::open_store(dir_.store_url());
    ASSERT_TRUE(reader_store) << reader_store.error().message;
    reader_ = std::make_unique<RecordReader>(std::move(*reader_store));
    json::value policy = json::parse(R"({"chain":[{"type":"tool_filter","deny":["Bash"]}]})");
    api_ = std::make_unique<AdminApi>(*reader_, std::move(policy),
                                      std::vector<std::string>{"tool_filter", "string_replacement"});
  }

  // Runs handle(target) to completion on an io_context of its own.
  Reply get(const std::string& target) {
    asio::io_context io;
    std::optional<Reply> reply;
    std::exception_ptr error;
    asio::co_spawn(io, api_->handle(target), [&](std::exception_ptr e, Reply r) {
      error = e;
      reply = std::move(r);
    });
    io.run();
    if (error) std::rethrow_exception(error);
    return reply.value_or(Reply{0, ""});
  }

  json::object get_json(const std::string& target, unsigned status = 200) {
    const Reply reply = get(target);
    EXPECT_EQ(reply.status, status) << target << " → " << reply.body;
    boost::system::error_code ec;
    json::value body = json::parse(reply.body, ec);
    EXPECT_FALSE(ec) << reply.body;
    return body.is_object() ? body.as_object() : json::object{};
  }

  // The ids a list target returns, in order.
  std::vector<std::string> ids(const std::string& target) {
    std::vector<std::string> out;
    const json::object body = get_json(target);
    if (!body.contains("transactions")) return out;
    for (const auto& t : body.at("transactions").as_array()) out.emplace_back(t.at("id").as_string());
    return out;
  }

  // The error message of a 400.
  std::string bad_request(const std::string& target) {
    const json::object body = get_json(target, 400);
    if (!body.contains("error")) return "<no error object>";
    EXPECT_EQ(body.at("error").at("type"), "invalid_request_error") << target;
    return std::string(body.at("error").at("message").as_string());
  }

  TempDir dir_;
  Records records_;
  std::unique_ptr<RecordReader> reader_;
  std::unique_ptr<AdminApi> api_;
};

using Ids = std::vector<std::string>;

std::string rfc3339(std::int64_t us) {
  const std::time_t seconds = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// --- list ----------------------------------------------------------------------------------

TEST_F(AdminApiTest, ListsNewestFirst) {
  EXPECT_EQ(ids("/admin/transactions"),
            (Ids{"txn_a", "txn_b", "txn_c", "txn_p4b", "txn_p4a", "txn_p3", "txn_p2", "txn_p1"}));
}

TEST_F(AdminApiTest, FiltersMapToTheirFields) {
  EXPECT_EQ(ids("/admin/transactions?model=claude-a"), (Ids{"txn_a", "txn_c"}));
  EXPECT_EQ(ids("/admin/transactions?model=gpt-b"), (Ids{"txn_b"}));
  EXPECT_EQ(ids("/admin/transactions?model=nobody"), Ids{});
  EXPECT_EQ(ids("/admin/transactions?status=429"), (Ids{"txn_b"}));
  EXPECT_EQ(ids("/admin/transactions?outcome=blocked"), (Ids{"txn_c"}));
  EXPECT_EQ(ids("/admin/transactions?session=s1"), (Ids{"txn_a"}));
  EXPECT_EQ(ids("/admin/transactions?action=blocked_tool_call"), (Ids{"txn_a", "txn_b"}));
  EXPECT_EQ(ids("/admin/transactions?action=tool_filter:blocked_tool_call"), (Ids{"txn_a", "txn_b"}));
  EXPECT_EQ(ids("/admin/transactions?action=string_replacement:replaced_text"), (Ids{"txn_b"}));
  EXPECT_EQ(ids("/admin/transactions?action=blocked"), (Ids{"txn_c"}));
  EXPECT_EQ(ids("/admin/transactions?q=needle"), (Ids{"txn_a"}));  // ASCII case ignored
  EXPECT_EQ(ids("/admin/transactions?q=translated"), (Ids{"txn_b"}));  // the final request too
  EXPECT_EQ(ids("/admin/transactions?q=max_tokens"), Ids{});  // the user's words, not the JSON
  EXPECT_EQ(ids("/admin/transactions?q=the%20NEEDLE"), (Ids{"txn_a"}));  // percent-decoded
  EXPECT_EQ(ids("/admin/transactions?model=claude-a&outcome=blocked"), (Ids{"txn_c"}));
  EXPECT_EQ(ids("/admin/transactions?model=claude-a&status=429"), Ids{});
  EXPECT_EQ(ids("/admin/transactions?limit=2"), (Ids{"txn_a", "txn_b"}));
}

TEST_F(AdminApiTest, TimeFiltersTakeMillisecondsOrRfc3339) {
  const std::int64_t six_hours_ago = records_.now - 6 * kHourUs;
  const std::int64_t one_hour_ago = records_.now - kHourUs;
  const std::string from_ms = std::to_string(six_hours_ago / 1000);
  const std::string to_ms = std::to_string(one_hour_ago / 1000);
  EXPECT_EQ(ids("/admin/transactions?from=" + from_ms), (Ids{"txn_a", "txn_b"}));
  EXPECT_EQ(ids("/admin/transactions?to=" + to_ms + "&limit=3"), (Ids{"txn_b", "txn_c", "txn_p4b"}));
  EXPECT_EQ(ids("/admin/transactions?from=" + from_ms + "&to=" + to_ms), (Ids{"txn_b"}));
  EXPECT_EQ(ids("/admin/transactions?from=" + rfc3339(six_hours_ago)), (Ids{"txn_a", "txn_b"}));
  EXPECT_EQ(ids("/admin/transactions?from=" + rfc3339(six_hours_ago) + "&to=" + rfc3339(one_hour_ago)),
            (Ids{"txn_b"}));
  // A fraction is ignored; +00:00 is UTC too.
  EXPECT_EQ(ids("/admin/transactions?to=2000-01-01T00:00:00.123Z"), Ids{});
  EXPECT_EQ(ids("/admin/transactions?from=2000-01-01T00:00:00%2B00:00&model=gpt-b"), (Ids{"txn_b"}));
}

TEST_F(AdminApiTest, SummariesHoldTheListFieldsAndNoBodies) {
  const json::object body = get_json("/admin/transactions?session=s1");
  const auto& t = body.at("transactions").as_array().at(0).as_object();
  EXPECT_EQ(t.at("id"), "txn_a");
  EXPECT_EQ(t.at("model"), "claude-a");
  EXPECT_EQ(t.at("status").to_number<int>(), 200);
  EXPECT_EQ(t.at("stream"), true);
  EXPECT_EQ(t.at("caller"), "k_0123456789abcdef");
  EXPECT_EQ(t.at("policy_actions"), json::array{"tool_filter:blocked_tool_call"});
  EXPECT_FALSE(t.contains("original_request"));
  EXPECT_FALSE(t.contains("ingress"));
  EXPECT_TRUE(body.at("next_cursor").is_null());
}

TEST_F(AdminApiTest, CursorWalksEveryPageOnce) {
  Ids seen;
  std::string target = "/admin/transactions?model=pager&limit=2";
  std::vector<std::size_t> sizes;
  for (int page = 0; page < 10; ++page) {
    const json::object body = get_json(target);
    const auto& items = body.at("transactions").as_array();
    sizes.push_back(items.size());
    for (const auto& t : items) seen.emplace_back(t.at("id").as_string());
    const auto& next = body.at("next_cursor");
    if (next.is_null()) break;
    ASSERT_TRUE(next.is_string());
    target = "/admin/transactions?model=pager&limit=2&cursor=" + std::string(next.as_string());
  }
  EXPECT_EQ(seen, (Ids{"txn_p4b", "txn_p4a", "txn_p3", "txn_p2", "txn_p1"}));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1}));
}

TEST_F(AdminApiTest, CursorIsStartTimeDotId) {
  const json::object body = get_json("/admin/transactions?limit=1");
  EXPECT_EQ(std::string(body.at("next_cursor").as_string()),
            std::to_string(records_.now - 30 * kMinuteUs) + ".txn_a");
}

TEST_F(AdminApiTest, EveryBadParameterIsA400NamingIt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"from=yesterday", "'from'"},
      {"from=", "'from'"},
      {"from=2026-11-25", "'from'"},
      {"from=2026-11-25T10:00:00", "'from'"},       // no zone
      {"from=2026-11-25T10:00:00%2B02:00", "'from'"},  // not UTC
      {"to=2026-13-01T00:00:00Z", "'to'"},            // no month 13
      {"to=2026-02-30T00:00:00Z", "'to'"},
      {"to=2026-11-25T24:00:00Z", "'to'"},
      {"from=99999999999999999", "'from'"},            // µs would overflow
      {"to=-99999999999999999", "'to'"},
      {"status=abc", "'status'"},
      {"status=99", "'status'"},
      {"status=600", "'status'"},
      {"status=", "'status'"},
      {"limit=0", "'limit'"},
      {"limit=1001", "'limit'"},
      {"limit=ten", "'limit'"},
      {"limit=-1", "'limit'"},
      {"cursor=garbage", "'cursor'"},
      {"cursor=123.", "'cursor'"},
      {"cursor=.txn_a", "'cursor'"},
      {"cursor=12x.txn_a", "'cursor'"},
      {"action=a%20b", "'action'"},
      {"q=" + std::string(4097, 'x'), "'q'"},
      {"bogus=1", "'bogus'"},
      {"model=a&Model=b", "'Model'"},
  };
  for (const auto& [query, name] : cases) {
    const std::string message = bad_request("/admin/transactions?" + query);
    EXPECT_NE(message.find(name), std::string::npos) << query.substr(0, 60) << " → " << message;
  }
  // The longest search text is fine.
  EXPECT_EQ(ids("/admin/transactions?q=" + std::string(4096, 'x')), Ids{});
}

TEST_F(AdminApiTest, UnparsableTargetIsA400) {
  const Reply reply = get("/admin/transactions?q=%zz");
  EXPECT_EQ(reply.status, 400u) << reply.body;
}

// --- one transaction -----------------------------------------------------------------------

TEST_F(AdminApiTest, DetailParsesBodiesAndShowsBothSides) {
  const json::object t = get_json("/admin/transactions/txn_a");
  EXPECT_EQ(t.at("id"), "txn_a");
  EXPECT_EQ(t.at("session_id"), "s1");
  EXPECT_EQ(t.at("request_headers").at("x-api-key"), "[redacted]");
  const auto& request = t.at("request").as_object();
  EXPECT_EQ(request.at("original").at("messages").as_array()[0].at("content"), "find the Needle");
  // Nothing changed the request: final is the original, `changed` false.
  EXPECT_EQ(request.at("final"), request.at("original"));
  EXPECT_EQ(request.at("changed"), false);
  const auto& response = t.at("response").as_object();
  EXPECT_EQ(response.at("original").at("content").as_array()[0].at("text"), "hi");
  EXPECT_EQ(response.at("final").at("content").as_array()[0].at("text"), "HI");
  EXPECT_EQ(std::string(t.at("ingress").as_string()), records_.all[0].ingress);
  EXPECT_EQ(std::string(t.at("egress").as_string()), records_.all[0].egress);
  const auto& events = t.at("policy_events").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("detail").at("tool"), "Bash");
  EXPECT_EQ(t.at("policy_actions"), json::array{"tool_filter:blocked_tool_call"});
}

TEST_F(AdminApiTest, DetailOfAChangedRequest) {
  const json::object t = get_json("/admin/transactions/txn_b");
  const auto& request = t.at("request").as_object();
  EXPECT_EQ(request.at("original").at("model"), "gpt-b");
  EXPECT_EQ(request.at("final").at("model"), "claude-b");
  EXPECT_EQ(request.at("changed"), true);
  // Absent bodies are null, not "".
  EXPECT_TRUE(t.at("request_headers").is_null());
  EXPECT_TRUE(t.at("response").at("original").is_null());
  EXPECT_TRUE(t.at("response").at("final").is_null());
  EXPECT_TRUE(t.at("ingress").is_null());
  EXPECT_TRUE(t.at("egress").is_null());
  EXPECT_TRUE(t.at("policy_events").is_null());
  EXPECT_EQ(t.at("error"), "rate limited");
}

TEST_F(AdminApiTest, DetailKeepsABodyThatIsNotJsonAsAString) {
  const json::object t = get_json("/admin/transactions/txn_c");
  EXPECT_EQ(t.at("response").at("original"), "not JSON at all");
}

TEST_F(AdminApiTest, DetailWithoutBodiesHasNullRequests) {
  // Metadata only: no request bodies, so nothing to fall back to either.
  const json::object t = get_json("/admin/transactions/txn_p1");
  EXPECT_TRUE(t.at("request").at("original").is_null());
  EXPECT_TRUE(t.at("request").at("final").is_null());
  EXPECT_EQ(t.at("request").at("changed"), false);
}

TEST_F(AdminApiTest, UnknownIdIs404) {
  const json::object body = get_json("/admin/transactions/txn_nope", 404);
  EXPECT_EQ(body.at("error").at("type"), "not_found_error");
  EXPECT_NE(std::string(body.at("error").at("message").as_string()).find("txn_nope"),
            std::string::npos);
}

TEST_F(AdminApiTest, UnknownPathsAre404) {
  for (const std::string target :
       {"/admin", "/admin/", "/admin/nothing", "/admin/transactions/", "/admin/transactions/a/b",
        "/admin/transactionsx", "/admin/policy/x", "/other?x=1"}) {
    const json::object body = get_json(target, 404);
    EXPECT_EQ(body.at("error").at("type"), "not_found_error") << target;
  }
}

// --- policy view ---------------------------------------------------------------------------

TEST_F(AdminApiTest, PolicyViewCountsActionsPerWindow) {
  const json::object body = get_json("/admin/policy");
  EXPECT_EQ(body.at("policy"), json::parse(R"({"chain":[{"type":"tool_filter","deny":["Bash"]}]})"));
  EXPECT_EQ(body.at("chain"), (json::array{"tool_filter", "string_replacement"}));
  // txn_a (30 minutes ago) in the last hour; txn_b (5 hours) in the last day; txn_c (3 days) in neither.
  EXPECT_EQ(body.at("actions").at("last_hour"), (json::object{{"tool_filter:blocked_tool_call", 1}}));
  EXPECT_EQ(body.at("actions").at("last_day"),
            (json::object{{"tool_filter:blocked_tool_call", 2}, {"string_replacement:replaced_text", 1}}));
  // A query string does not change the view.
  EXPECT_EQ(get("/admin/policy?x=1").status, 200u);
}

}  // namespace
}  // namespace warden::admin::test
