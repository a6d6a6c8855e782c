// Recording through the real binary: what the admin API reads back after real
// traffic — exact bytes on both sides of a policy, a Claude-Code-like session
// with a blocked tool call, privacy (no key stored or logged, metadata only,
// retention), /metrics, admin authentication and errors, and the OTLP trace a
// local collector (the mock) receives.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "integration/gateway.hpp"

namespace warden::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

json::value get_json(std::uint16_t port, const std::string& target, unsigned expect = 200,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
  const auto response = http(port, {"GET", target, std::move(headers), ""});
  EXPECT_EQ(response.status, expect) << target << ": " << response.body;
  return json::parse(response.body);
}

// The transaction's detail, once the background writer has stored it.
json::object wait_for_transaction(std::uint16_t port, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto response = http(port, {"GET", "/admin/transactions/" + id, {}, ""});
    if (response.status == 200) return json::parse(response.body).as_object();
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << "transaction " << id << " never stored";
  return {};
}

// The list at `target`, once it holds `n` transactions.
json::array wait_for_list(std::uint16_t port, const std::string& target, std::size_t n) {
  json::array items;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    items = get_json(port, target).at("transactions").as_array();
    if (items.size() >= n) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(items.size(), n) << target;
  return items;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

std::string text_of(const json::value& message) {
  std::string out;
  for (const auto& block : message.at("content").as_array()) {
    if (block.at("type") == "text") out += block.at("text").as_string();
  }
  return out;
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = temp_dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Recording, AStreamIsRecordedWithItsExactOriginalAndFinalContent) {
  Gateway gateway(std::map<std::string, std::string>{{"WARDEN_POLICY_TYPE", "all_caps"}});
  const HttpRequest request{"POST", "/v1/messages", anthropic_headers("text"),
                            messages_body("claude-mock-1", true, "hello there")};
  const auto direct = http(gateway.mock_port(), request);  // what the upstream sends
  const auto through = http(gateway.port(), request);
  ASSERT_EQ(through.status, 200u);
  const std::string id = through.header("x-warden-transaction-id");
  ASSERT_FALSE(id.empty());

  const auto d = wait_for_transaction(gateway.port(), id);
  EXPECT_EQ(str(d.at("ingress")), direct.body);
  EXPECT_EQ(str(d.at("egress")), through.body);
  EXPECT_EQ(d.at("request").at("original"), json::parse(request.body));
  EXPECT_EQ(d.at("request").at("changed"), false);
  const std::string original = text_of(d.at("response").at("original"));
  const std::string final_text = text_of(d.at("response").at("final"));
  EXPECT_NE(original.find("Hello from the mock upstream"), std::string::npos) << original;
  std::string upper = original;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(final_text, upper);
  EXPECT_EQ(d.at("stream"), true);
  EXPECT_EQ(d.at("status"), 200);
  EXPECT_EQ(d.at("outcome"), "completed");
  EXPECT_EQ(d.at("model"), "claude-mock-1");
  EXPECT_EQ(d.at("dialect"), "anthropic");
  EXPECT_EQ(d.at("provider"), "anthropic");
  EXPECT_GT(d.at("output_tokens").as_int64(), 0);
  EXPECT_GT(d.at("input_tokens").as_int64(), 0);
  EXPECT_EQ(str(d.at("trace_id")), through.header("x-warden-trace-id"));
  EXPECT_GE(d.at("client_first_byte_us").as_int64(), d.at("upstream_first_byte_us").as_int64());
  EXPECT_GE(d.at("duration_us").as_int64(), d.at("client_first_byte_us").as_int64());
}

TEST(Recording, AnOpenAiClientOnAnAnthropicProviderKeepsBothRequests) {
  Gateway gateway;
  const std::string body =
      R"({"model":"claude-mock-1","messages":[{"role":"user","content":"translate me"}]})";
  const auto response = http(gateway.port(), {"POST", "/v1/chat/completions",
                                              {{"content-type", "application/json"},
                                               {"authorization", "Bearer sk-test-key"}},
                                              body});
  ASSERT_EQ(response.status, 200u) << response.body;
  const auto d = wait_for_transaction(gateway.port(), response.header("x-warden-transaction-id"));
  EXPECT_EQ(d.at("dialect"), "openai");
  EXPECT_EQ(d.at("request").at("changed"), true);
  EXPECT_EQ(d.at("request").at("original"), json::parse(body));
  // The provider got the Anthropic translation; the client got Chat Completions.
  EXPECT_TRUE(d.at("request").at("final").as_object().contains("max_tokens"));
  EXPECT_EQ(json::parse(d.at("egress").as_string()).at("object"), "chat.completion");
  EXPECT_EQ(d.at("response").at("final").at("type"), "message");  // assembled in the common shape
  EXPECT_EQ(text_of(d.at("response").at("final")), text_of(d.at("response").at("original")));
}

// Three turns of an agent session, the second one blocked by tool_filter, read
// back from the admin API as the conversation it was.
TEST(Recording, ASessionWithABlockedToolCallReadsBackAsAConversation) {
  const std::string config = write_file("warden.yaml", R"(policy:
  type: tool_filter
  deny:
    - tool: Bash
      argument_pattern: 'rm\s+-rf'
)");
  Gateway gateway(std::map<std::string, std::string>{{"WARDEN_CONFIG", config}});
  const std::string session = "sess-4f1c";
  auto turn = [&](const std::string& scenario, const std::string& body) {
    auto headers = anthropic_headers(scenario);
    headers.emplace_back("x-session-id", session);
    const auto r = http(gateway.port(), {"POST", "/v1/messages", headers, body});
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.header("x-warden-transaction-id");
  };
  const std::string first = turn("bash", messages_body("claude-mock-1", true, "list the files [[command:ls -la]]"));
  const std::string second = turn("bash", R"({"model":"claude-mock-1","max_tokens":64,"stream":true,"messages":[
    {"role":"user","content":"list the files [[command:ls -la]]"},
    {"role":"assistant","content":[{"type":"tool_use","id":"toolu_mock_bash_0001","name":"Bash","input":{"command":"ls -la"}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_mock_bash_0001","content":"a.txt b.txt"},
                              {"type":"text","text":"now clean up [[command:rm -rf /]]"}]}]})");
  const std::string third = turn("text", messages_body("claude-mock-1", false, "thanks, summarize pineapples"));
  // Other traffic, outside the session.
  http(gateway.port(), {"POST", "/v1/messages", anthropic_headers("text"), messages_body("claude-mock-1", false)});

  const auto list = wait_for_list(gateway.port(), "/admin/transactions?session=" + session, 3);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(str(list[0].at("id")), third);  // newest first
  EXPECT_EQ(str(list[1].at("id")), second);
  EXPECT_EQ(str(list[2].at("id")), first);
  EXPECT_EQ(list[1].at("policy_actions"), json::parse(R"(["tool_filter:blocked_tool_call"])"));

  const auto blocked = get_json(gateway.port(), "/admin/transactions?action=blocked_tool_call");
  ASSERT_EQ(blocked.at("transactions").as_array().size(), 1u);
  EXPECT_EQ(str(blocked.at("transactions").at(0).at("id")), second);

  const auto one = wait_for_transaction(gateway.port(), first);
  const auto& allowed_content = one.at("response").at("final").at("content").as_array();
  ASSERT_EQ(allowed_content.size(), 2u);
  EXPECT_EQ(allowed_content[1].at("input").at("command"), "ls -la");

  const auto two = wait_for_transaction(gateway.port(), second);
  const auto& events = two.at("policy_events").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("policy"), "tool_filter");
  EXPECT_EQ(events[0].at("action"), "blocked_tool_call");
  EXPECT_EQ(events[0].at("detail").at("tool"), "Bash");
  // The upstream asked to run it; the client was told it was blocked instead.
  const auto& asked = two.at("response").at("original").at("content").as_array();
  EXPECT_EQ(asked.back().at("input").at("command"), "rm -rf /");
  EXPECT_EQ(two.at("response").at("original").at("stop_reason"), "tool_use");
  for (const auto& block : two.at("response").at("final").at("content").as_array()) {
    EXPECT_NE(block.at("type"), "tool_use") << json::serialize(block);
  }
  EXPECT_NE(text_of(two.at("response").at("final")).find("Bash"), std::string::npos);
  EXPECT_EQ(two.at("response").at("final").at("stop_reason"), "end_turn");
  // The request carries the conversation so far, tool result included.
  EXPECT_EQ(two.at("request").at("original").at("messages").as_array().size(), 3u);

  const auto found = get_json(gateway.port(), "/admin/transactions?q=PINEAPPLES");
  ASSERT_EQ(found.at("transactions").as_array().size(), 1u);
  EXPECT_EQ(str(found.at("transactions").at(0).at("id")), third);
  // The light form the live view uses: the summary and the events only.
  const auto light = get_json(gateway.port(), "/admin/transactions/" + second + "?bodies=false").as_object();
  EXPECT_EQ(light.at("policy_events"), two.at("policy_events"));
  EXPECT_FALSE(light.contains("ingress"));
  EXPECT_FALSE(light.contains("request"));
  get_json(gateway.port(), "/admin/transactions/" + second + "?bodies=maybe", 400);
  // The session list sums the session up.
  const auto sessions = get_json(gateway.port(), "/admin/sessions").at("sessions").as_array();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(str(sessions[0].at("session_id")), session);
  EXPECT_EQ(sessions[0].at("transactions"), 3);
  EXPECT_EQ(sessions[0].at("acted"), 1);
  EXPECT_EQ(sessions[0].at("models"), json::parse(R"(["claude-mock-1"])"));
  EXPECT_EQ(get_json(gateway.port(), "/admin/sessions?limit=0", 400).at("error").at("type"),
            "invalid_request_error");
  // The admin policy view counts the block.
  const auto policy = get_json(gateway.port(), "/admin/policy");
  EXPECT_EQ(policy.at("policy").at("type"), "tool_filter");
  EXPECT_EQ(policy.at("actions").at("last_hour").at("tool_filter:blocked_tool_call"), 1);
}

TEST(Recording, NoKeyIsStoredOrLogged) {
  const std::string anthropic_key = "sk-ant-api03-WardenTestKey0123456789abcdefABCDEF";
  const std::string openai_key = "sk-proj-WardenTestKey9876543210fedcbaFEDCBA";
  const std::string data_dir = temp_dir();
  Gateway gateway({{"WARDEN_DATA_DIR", data_dir}, {"WARDEN_LOG_LEVEL", "debug"}});
  http(gateway.port(), {"POST", "/v1/messages", anthropic_headers("text", anthropic_key),
                        messages_body("claude-mock-1", true)});
  http(gateway.port(), {"POST", "/v1/chat/completions",
                        {{"content-type", "application/json"},
                         {"authorization", "Bearer " + openai_key},
                         {"cookie", "session=" + openai_key}},
                        R"({"model":"claude-mock-1","messages":[{"role":"user","content":"hi"}]})"});
  const auto list = wait_for_list(gateway.port(), "/admin/transactions", 2);
  const auto d = wait_for_transaction(gateway.port(), std::string(list[0].at("id").as_string()));
  EXPECT_EQ(d.at("request_headers").at("authorization"), "Bearer [redacted]");
  EXPECT_EQ(d.at("request_headers").at("cookie"), "[redacted]");
  EXPECT_FALSE(list[0].at("caller").as_string().empty());
  EXPECT_NE(list[0].at("caller"), list[1].at("caller"));  // different keys, different callers

  gateway.warden->signal(SIGTERM);
  ASSERT_EQ(gateway.warden->wait(10s), 0);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_dir)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string bytes = slurp(entry.path());
    EXPECT_EQ(bytes.find(anthropic_key), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(openai_key), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find("WardenTestKey"), std::string::npos) << entry.path();
  }
  EXPECT_GE(files, 1u);
  const std::string log = gateway.warden->stderr_text();
  EXPECT_NE(log.find("\"request\""), std::string::npos);  // the log is there to search
  EXPECT_EQ(log.find("WardenTestKey"), std::string::npos) << log;
}

TEST(Recording, MetadataOnlyKeepsNoBodiesButKeepsTokensAndActions) {
  Gateway gateway({{"WARDEN_STORAGE_METADATA_ONLY", "true"}, {"WARDEN_POLICY_TYPE", "all_caps"}});
  const auto r = http(gateway.port(), {"POST", "/v1/messages", anthropic_headers("text"),
                                       messages_body("claude-mock-1", true, "a secret plan")});
  const auto d = wait_for_transaction(gateway.port(), r.header("x-warden-transaction-id"));
  for (const char* field : {"request_headers", "ingress", "egress"}) {
    EXPECT_TRUE(d.at(field).is_null()) << field;
  }
  EXPECT_TRUE(d.at("request").at("original").is_null());
  EXPECT_TRUE(d.at("response").at("final").is_null());
  EXPECT_GT(d.at("output_tokens").as_int64(), 0);
  EXPECT_EQ(d.at("status"), 200);
  EXPECT_EQ(get_json(gateway.port(), "/admin/transactions?q=secret").at("transactions").as_array().size(), 0u);
}

TEST(Recording, RetentionDeletesOldRecordsAtStart) {
  const std::string data_dir = temp_dir();
  {
    Gateway gateway(std::map<std::string, std::string>{{"WARDEN_DATA_DIR", data_dir}});
    http(gateway.port(), {"POST", "/v1/messages", anthropic_headers("text"), messages_body("claude-mock-1", false)});
    wait_for_list(gateway.port(), "/admin/transactions", 1);
  }
  std::this_thread::sleep_for(1200ms);
  // 0.00001 days = 0.864 s: the record above is older than that now.
  Gateway gateway({{"WARDEN_DATA_DIR", data_dir}, {"WARDEN_STORAGE_RETENTION_DAYS", "0.00001"}});
  http(gateway.port(), {"POST", "/v1/messages", anthropic_headers("text"), messages_body("claude-mock-1", false)});
  const auto list = wait_for_list(gateway.port(), "/admin/transactions", 1);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(get_json(gateway.port(), "/admin/transactions").at("transactions").as_array().size(), 1u);
}

TEST(Recording, MetricsCountRequestsAndRecords) {
  Gateway gateway(std::map<std::string, std::string>{{"WARDEN_POLICY_TYPE", "all_caps"}});
  for (int i = 0; i < 3; ++i) {
    http(gateway.port(), {"POST", "/v1/messages", anthropic_headers("text"), messages_body("claude-mock-1", true)});
  }
  http(gateway.port(), {"POST", "/v1/messages", anthropic_headers("text"), messages_body("no-such-model", false)});
  wait_for_list(gateway.port(), "/admin/transactions", 4);
  const auto metrics = http(gateway.port(), {"GET", "/metrics", {}, ""});
  ASSERT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.header("content-type").find("text/plain"), std::string::npos);
  const auto& m = metrics.body;
  EXPECT_NE(m.find(R"(warden_requests_total{endpoint="/v1/messages",dialect="anthropic",model="claude-mock-1",status="200",stream="true"} 3)"),
            std::string::npos) << m;
  EXPECT_NE(m.find(R"(model="no-such-model",status="404")"), std::string::npos) << m;
  EXPECT_NE(m.find("warden_records_written_total 4"), std::string::npos) << m;
  EXPECT_NE(m.find("warden_time_to_first_byte_seconds_count{dialect=\"anthropic\"} 4"), std::string::npos) << m;
  EXPECT_NE(m.find("warden_gateway_overhead_seconds_count{dialect=\"anthropic\"} 3"), std::string::npos) << m;
  EXPECT_NE(m.find("warden_active_streams 0"), std::string::npos) << m;
}

TEST(Recording, TheAdminApiNeedsItsKeyAndAnswersBadInputInJson) {
  Gateway gateway({{"WARDEN_AUTH_ADMIN_KEY", "admin-secret-1"},
                   {"WARDEN_AUTH_ADMIN_LOCALHOST_EXEMPT", "false"}});
  const auto none = http(gateway.port(), {"GET", "/admin/transactions", {}, ""});
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(json::parse(none.body).at("error").at("type"), "authentication_error");
  const auto wrong = http(gateway.port(), {"GET", "/metrics", {{"authorization", "Bearer nope"}}, ""});
  EXPECT_EQ(wrong.status, 401u);
  const std::vector<std::pair<std::string, std::string>> key = {{"authorization", "Bearer admin-secret-1"}};
  get_json(gateway.port(), "/admin/transactions", 200, key);
  get_json(gateway.port(), "/admin/transactions", 200, {{"x-warden-admin-key", "admin-secret-1"}});
  for (const char* bad : {"/admin/transactions?limit=0", "/admin/transactions?limit=x",
                          "/admin/transactions?from=yesterday", "/admin/transactions?cursor=zz",
                          "/admin/transactions?colour=red", "/admin/transactions?status=99"}) {
    const auto e = get_json(gateway.port(), bad, 400, key);
    EXPECT_EQ(e.at("error").at("type"), "invalid_request_error") << bad;
  }
  EXPECT_EQ(get_json(gateway.port(), "/admin/transactions/txn_none", 404, key).at("error").at("type"),
            "not_found_error");
  get_json(gateway.port(), "/admin/nothing", 404, key);
  const auto post = http(gateway.port(), {"POST", "/admin/transactions", key, "{}"});
  EXPECT_EQ(post.status, 405u);

  Gateway closed(std::map<std::string, std::string>{{"WARDEN_AUTH_ADMIN_LOCALHOST_EXEMPT", "false"}});  // and no key
  EXPECT_EQ(http(closed.port(), {"GET", "/admin/policy", {}, ""}).status, 403u);
}

TEST(Recording, PaginationWalksEveryTransactionOnce) {
  Gateway gateway;
  for (int i = 0; i < 7; ++i) {
    http(gateway.port(), {"POST", "/v1/messages", anthropic_headers("text"), messages_body("claude-mock-1", false)});
  }
  wait_for_list(gateway.port(), "/admin/transactions", 7);
  std::set<std::string> seen;
  std::string target = "/admin/transactions?limit=3";
  for (int page = 0; page < 5; ++page) {
    const auto answer = get_json(gateway.port(), target);
    for (const auto& t : answer.at("transactions").as_array()) {
      EXPECT_TRUE(seen.insert(std::string(t.at("id").as_string())).second);
    }
    if (answer.at("next_cursor").is_null()) break;
    target = "/admin/transactions?limit=3&cursor=" + std::string(answer.at("next_cursor").as_string());
  }
  EXPECT_EQ(seen.size(), 7u);
}

// The spans a local OTLP collector (the mock's /v1/traces) receives: one
// server span continuing the client's trace, and children for the upstream
// call and the policy that acted.
TEST(Recording, TracesReachTheCollectorWithTheirParents) {
  auto mock = std::make_unique<Process>(std::vector<std::string>{"mock-upstream", "--port", "0"});
  const std::string mock_url = "http://127.0.0.1:" + std::to_string(mock->port());
  Process warden({"serve"}, {{"WARDEN_LISTEN", "127.0.0.1:0"},
                             {"WARDEN_PROVIDERS_ANTHROPIC_BASE_URL", mock_url},
                             {"WARDEN_POLICY_TYPE", "all_caps"},
                             {"WARDEN_OTEL_ENDPOINT", mock_url + "/v1/traces"},
                             {"WARDEN_OTEL_SERVICE_NAME", "warden-test"}});
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string client_span = "00f067aa0ba902b7";
  auto headers = anthropic_headers("text");
  headers.emplace_back("traceparent", "00-" + trace_id + "-" + client_span + "-01");
  const auto r = http(warden.port(), {"POST", "/v1/messages", headers, messages_body("claude-mock-1", true)});
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("x-warden-trace-id"), trace_id);
  warden.signal(SIGTERM);  // stopping flushes the exporter
  ASSERT_EQ(warden.wait(10s), 0);

  const auto payloads = json::parse(http(mock->port(), {"GET", "/_mock/traces", {}, ""}).body).as_array();
  std::vector<json::object> spans;
  for (const auto& payload : payloads) {
    for (const auto& rs : payload.at("resourceSpans").as_array()) {
      EXPECT_EQ(rs.at("resource").at("attributes").at(0).at("value").at("stringValue"), "warden-test");
      for (const auto& ss : rs.at("scopeSpans").as_array()) {
        for (const auto& s : ss.at("spans").as_array()) spans.push_back(s.as_object());
      }
    }
  }
  ASSERT_EQ(spans.size(), 3u) << json::serialize(payloads);
  const json::object* root = nullptr;
  for (const auto& s : spans) {
    EXPECT_EQ(str(s.at("traceId")), trace_id);
    if (s.at("kind") == 2) root = &s;
  }
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(str(root->at("parentSpanId")), client_span);
  EXPECT_EQ(root->at("name"), "POST /v1/messages");
  std::set<std::string> children;
  for (const auto& s : spans) {
    if (&s == root) continue;
    EXPECT_EQ(s.at("parentSpanId"), root->at("spanId"));
    children.insert(std::string(s.at("name").as_string()));
  }
  EXPECT_EQ(children, (std::set<std::string>{"upstream anthropic", "policy all_caps"}));
  std::map<std::string, json::value> attributes;
  for (const auto& a : root->at("attributes").as_array()) attributes[std::string(a.at("key").as_string())] = a.at("value");
  EXPECT_EQ(attributes["gen_ai.request.model"].at("stringValue"), "claude-mock-1");
  EXPECT_EQ(attributes["http.response.status_code"].at("intValue"), "200");
  EXPECT_NE(attributes["gen_ai.usage.output_tokens"].at("intValue"), "0");
}

}  // namespace
}  // namespace warden::testing
