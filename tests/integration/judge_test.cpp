// The judge policies through the real binaries: `tool_call_judge` and `llm_rules`
// ask a judge model (the mock's judge scenarios, docs/mock-upstream.md) before a
// tool call or a text reaches the client. One mock serves both the model the
// client talks to and the judges; each test starts its own Warden with its own
// policy, `stream.validate` on, and checks at the end that every stream the
// client got passed the grammar check.

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <poll.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "integration/gateway.hpp"

namespace warden::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kModel = "claude-mock-1";
constexpr std::string_view kBashText = "Running it now.";
constexpr std::string_view kRmExplanation = "The command deletes files recursively.";
// The policy's message template and what it renders for `rm -rf /` judged 0.95.
constexpr std::string_view kToolMessage =
    "Warden blocked a call to tool `{tool_name}`: {explanation} (risk {probability})";
const std::string kBlockedRm =
    "Warden blocked a call to tool `Bash`: The command deletes files recursively. (risk 0.95)";
constexpr std::string_view kRulesMessage = "[Warden removed this text: {explanation}]";

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// ---- the four ways a client asks ----

struct Mode {
  bool openai = false;
  bool stream = false;
  std::string name() const {
    return std::string(openai ? "chat_completions" : "messages") + (stream ? "_stream" : "");
  }
};
const Mode kModes[] = {{false, true}, {false, false}, {true, true}, {true, false}};

struct Tool {
  std::string name;
  json::value input;
  std::string id;
};

// What a client ends up with, in Anthropic's terms.
struct Answer {
  unsigned status = 0;
  std::string raw;                  // the response body as received
  std::string text;                 // all text, joined
  std::vector<std::string> blocks;  // Anthropic: the block types; OpenAI: empty
  std::vector<std::string> block_texts;
  std::vector<Tool> tools;
  std::string stop;   // end_turn / tool_use (OpenAI's stop / tool_calls mapped)
  std::string error;  // a parse problem, or an error event in the stream
};

std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    if (pos != 0 && body[pos - 1] != '\n') {
      ++pos;
      continue;
    }
    const auto end = body.find('\n', pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end;
  }
  return out;
}

Answer parse_anthropic(const std::string& body, bool stream) {
  Answer a;
  a.raw = body;
  json::array content;
  if (!stream) {
    const json::value message = json::parse(body);
    if (message.as_object().contains("error")) a.error = body;
    if (const auto* c = message.as_object().if_contains("content")) content = c->as_array();
    if (const auto* s = message.as_object().if_contains("stop_reason"); s && s->is_string()) {
      a.stop = std::string(s->as_string());
    }
  } else {
    std::vector<std::string> partial;
    int stops = 0;
    for (const auto& data : sse_data(body)) {
      const json::value event = json::parse(data);
      const std::string type(event.at("type").as_string());
      if (type == "content_block_start") {
        content.push_back(event.at("content_block"));
        partial.emplace_back();
      } else if (type == "content_block_delta") {
        const auto index = static_cast<std::size_t>(event.at("index").as_int64());
        if (index >= content.size()) {
          a.error = "delta for block " + std::to_string(index);
          continue;
        }
        const auto& delta = event.at("delta");
        if (delta.at("type") == "text_delta") {
          json::object& block = content[index].as_object();
          block["text"] =
              std::string(block["text"].as_string()) + std::string(delta.at("text").as_string());
        } else if (delta.at("type") == "input_json_delta") {
          partial[index] += std::string(delta.at("partial_json").as_string());
        }
      } else if (type == "content_block_stop") {
        const auto index = static_cast<std::size_t>(event.at("index").as_int64());
        if (index < content.size() && content[index].at("type") == "tool_use") {
          content[index].as_object()["input"] =
              partial[index].empty() ? json::value(json::object{}) : json::parse(partial[index]);
        }
      } else if (type == "message_delta") {
        a.stop = std::string(event.at("delta").at("stop_reason").as_string());
      } else if (type == "message_stop") {
        ++stops;
      } else if (type == "error") {
        a.error = data;
      }
    }
    if (stops != 1 && a.error.empty()) a.error = "message_stop seen " + std::to_string(stops) + "x";
  }
  for (const auto& block : content) {
    const std::string type(block.at("type").as_string());
    a.blocks.push_back(type);
    if (type == "text") {
      a.text += std::string(block.at("text").as_string());
      a.block_texts.emplace_back(block.at("text").as_string());
    } else if (type == "tool_use") {
      a.tools.push_back({std::string(block.at("name").as_string()), block.at("input"),
                         std::string(block.at("id").as_string())});
    }
  }
  return a;
}

std::string anthropic_stop(std::string_view finish) {
  if (finish == "stop") return "end_turn";
  if (finish == "tool_calls") return "tool_use";
  return std::string(finish);
}

Answer parse_openai(const std::string& body, bool stream) {
  Answer a;
  a.raw = body;
  if (!stream) {
    const json::value completion = json::parse(body);
    if (completion.as_object().contains("error")) {
      a.error = body;
      return a;
    }
    const auto& choice = completion.at("choices").at(0);
    const auto& message = choice.at("message").as_object();
    if (message.at("content").is_string()) a.text = std::string(message.at("content").as_string());
    if (const auto* calls = message.if_contains("tool_calls")) {
      for (const auto& call : calls->as_array()) {
        a.tools.push_back({std::string(call.at("function").at("name").as_string()),
                           json::parse(call.at("function").at("arguments").as_string()),
                           std::string(call.at("id").as_string())});
      }
    }
    a.stop = anthropic_stop(choice.at("finish_reason").as_string());
    return a;
  }
  struct Call {
    std::string id, name, arguments;
  };
  std::vector<Call> calls;
  bool done = false;
  int finishes = 0;
  for (const auto& data : sse_data(body)) {
    if (data == "[DONE]") {
      done = true;
      continue;
    }
    const json::value chunk = json::parse(data);
    if (chunk.as_object().contains("error")) {
      a.error = data;
      continue;
    }
    for (const auto& choice : chunk.at("choices").as_array()) {
      const auto& delta = choice.at("delta").as_object();
      if (const auto* content = delta.if_contains("content"); content && content->is_string()) {
        a.text += std::string(content->as_string());
      }
      if (const auto* pieces = delta.if_contains("tool_calls")) {
        for (const auto& piece : pieces->as_array()) {
          const auto index = static_cast<std::size_t>(piece.at("index").as_int64());
          if (index > calls.size()) a.error = "tool call index not dense";
          if (index >= calls.size()) calls.resize(index + 1);
          const auto& p = piece.as_object();
          if (const auto* id = p.if_contains("id")) calls[index].id = std::string(id->as_string());
          if (const auto* function = p.if_contains("function")) {
            const auto& f = function->as_object();
            if (const auto* name = f.if_contains("name")) {
              calls[index].name = std::string(name->as_string());
            }
            if (const auto* arguments = f.if_contains("arguments")) {
              calls[index].arguments += std::string(arguments->as_string());
            }
          }
        }
      }
      if (choice.at("finish_reason").is_string()) {
        ++finishes;
        a.stop = anthropic_stop(choice.at("finish_reason").as_string());
      }
    }
  }
  for (const auto& call : calls)
    a.tools.push_back({call.name, json::parse(call.arguments), call.id});
  if (a.error.empty() && (!done || finishes != 1)) {
    a.error = "done=" + std::to_string(done) + " finishes=" + std::to_string(finishes);
  }
  return a;
}

std::string chat_body(std::string_view model, bool stream, const std::string& prompt) {
  return json::serialize(
      json::object{{"model", model},
                   {"messages", json::array{json::object{{"role", "user"}, {"content", prompt}}}},
                   {"stream", stream}});
}

HttpRequest client_request(const Mode& mode, const std::string& prompt,
                           const std::string& scenario) {
  if (mode.openai) {
    return {"POST",
            "/v1/chat/completions",
            {{"content-type", "application/json"},
             {"authorization", "Bearer sk-test-key"},
             {"x-mock-scenario", scenario}},
            chat_body(kModel, mode.stream, prompt)};
  }
  return {"POST", "/v1/messages", anthropic_headers(scenario),
          messages_body(std::string(kModel), mode.stream, prompt)};
}

// ---- Warden's log ----

std::vector<json::object> log_lines(const std::string& log, std::string_view msg) {
  std::vector<json::object> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;
    json::error_code ec;
    json::value value = json::parse(line, ec);
    if (ec || !value.is_object()) continue;
    const auto* m = value.as_object().if_contains("msg");
    if (m != nullptr && m->is_string() && m->as_string() == msg) {
      out.push_back(std::move(value.as_object()));
    }
  }
  return out;
}

// A field of a `policy event` line: in its `detail`, else at the top.
const json::value* field(const json::object& event, std::string_view key) {
  if (const auto* detail = event.if_contains("detail"); detail && detail->is_object()) {
    if (const auto* value = detail->as_object().if_contains(key)) return value;
  }
  return event.if_contains(key);
}
std::string text_field(const json::object& event, std::string_view key) {
  const json::value* value = field(event, key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
}
std::optional<double> number_field(const json::object& event, std::string_view key) {
  const json::value* value = field(event, key);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->to_number<double>();
}
std::optional<bool> bool_field(const json::object& event, std::string_view key) {
  const json::value* value = field(event, key);
  if (value == nullptr || !value->is_bool()) return std::nullopt;
  return value->as_bool();
}
// True when the event names an error (a non-empty string, or true).
bool has_error(const json::object& event) {
  const json::value* value = field(event, "error");
  if (value == nullptr || value->is_null()) return false;
  if (value->is_string()) return !value->as_string().empty();
  if (value->is_bool()) return value->as_bool();
  return true;
}

// ---- the fixture: one mock for the suite, one Warden per test ----

// A `tool_call_judge` policy (the lines under `policy:`); `extra` adds lines (two-space
// indented YAML keys).
std::string tool_judge(const std::string& model, const std::string& extra = "",
                       const std::string& provider = "judge") {
  std::string out = "  type: tool_call_judge\n";
  out += "  provider: " + provider + "\n";
  out += "  model: " + model + "\n";
  out += "  threshold: 0.6\n  temperature: 0\n  max_tokens: 256\n";
  out += "  message: \"" + std::string(kToolMessage) + "\"\n";
  return out + extra;
}

std::string rules_policy(const std::string& scope, const std::string& model = "claude-mock-rules") {
  std::string out = "  type: llm_rules\n  provider: judge\n";
  out += "  model: " + model + "\n";
  out += "  rules: [\"Never name internal hosts.\", \"Never say the forbidden word.\"]\n";
  out += "  scope: " + scope + "\n";
  out += "  timeout_seconds: 20\n  on_error: block\n";
  out += "  message: \"" + std::string(kRulesMessage) + "\"\n";
  return out;
}

class JudgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mock_ = new Process({"mock-upstream", "--port", "0"}); }
  static void TearDownTestSuite() {
    delete mock_;
    mock_ = nullptr;
  }

  void TearDown() override {
    if (warden_) expect_streams_valid();
    warden_.reset();
  }

  // Starts Warden with `policy` (the lines under `policy:`).
  void start(const std::string& policy) {
    warden_.reset();
    streams_ = 0;
    const std::string mock = "http://127.0.0.1:" + std::to_string(mock_->port());
    const std::string path = temp_dir() + "/warden.yaml";
    std::ofstream file(path);
    file << "listen: 127.0.0.1:0\n";
    file << "shutdown_grace_seconds: 5\n";
    file << "providers:\n";
    file << "  anthropic: { dialect: anthropic, base_url: \"" << mock << "\" }\n";
    file << "  judge: { dialect: anthropic, base_url: \"" << mock << "\" }\n";
    file << "  judge_openai: { dialect: openai, base_url: \"" << mock << "/v1\" }\n";
    file << "routes:\n";
    file << "  - { match: \"claude-*\", provider: anthropic }\n";
    file << "stream: { validate: true }\n";
    file << "policy:\n" << policy;
    file.close();
    warden_ = std::make_unique<Process>(std::vector<std::string>{"serve", "--config", path});
    http(mock_->port(), {"DELETE", "/_mock/requests", {}, ""});
  }

  Answer ask(const Mode& mode, const std::string& prompt, const std::string& scenario = "bash") {
    const HttpResponse response = http(warden_->port(), client_request(mode, prompt, scenario));
    if (mode.stream) ++streams_;
    Answer a;
    if (response.status != 200) {
      a.status = response.status;
      a.raw = response.body;
      a.error = "HTTP " + std::to_string(response.status) + ": " + response.body;
      return a;
    }
    a = mode.openai ? parse_openai(response.body, mode.stream)
                    : parse_anthropic(response.body, mode.stream);
    a.status = response.status;
    if (mode.stream) {
      EXPECT_TRUE(response.complete) << mode.name();
      if (mode.openai) {
        EXPECT_EQ(response.body.find("event:"), std::string::npos);
      }
    }
    return a;
  }

  // The mock's own answer to the same request.
  Answer ask_mock(const Mode& mode, const std::string& prompt, const std::string& scenario) {
    HttpRequest request = client_request(mode, prompt, scenario);
    if (mode.openai) request.body = chat_body("gpt-mock-1", mode.stream, prompt);
    const HttpResponse response = http(mock_->port(), request);
    return mode.openai ? parse_openai(response.body, mode.stream)
                       : parse_anthropic(response.body, mode.stream);
  }

  // The `policy event` lines with `action` logged from `from` on (log offset); waits until
  // there are `n` of them (at most 5 s).
  std::vector<json::object> events(std::size_t from, std::string_view action, std::size_t n = 1) {
    std::vector<json::object> out;
    for (int i = 0; i < 250; ++i) {
      out.clear();
      for (auto& line : log_lines(warden_->stderr_text().substr(from), "policy event")) {
        if (text_field(line, "action") == action) out.push_back(std::move(line));
      }
      if (out.size() >= n) break;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return out;
  }
  std::size_t log_size() const { return warden_->stderr_text().size(); }
  std::string log() const { return warden_->stderr_text(); }

  // The judge requests the mock got since the last clear: those whose model is `model`.
  json::array judge_requests(std::string_view model) const {
    json::array out;
    const json::value all =
        json::parse(http(mock_->port(), {"GET", "/_mock/requests", {}, ""}).body);
    for (const auto& request : all.as_array()) {
      json::error_code ec;
      const json::value body = json::parse(request.at("body").as_string(), ec);
      if (ec || !body.is_object()) continue;
      const auto* m = body.as_object().if_contains("model");
      if (m != nullptr && m->is_string() && m->as_string() == model) out.push_back(request);
    }
    return out;
  }
  void clear_mock() const { http(mock_->port(), {"DELETE", "/_mock/requests", {}, ""}); }

  // Every stream sent validated, none with a violation.
  void expect_streams_valid() {
    std::string text;
    for (int i = 0; i < 250; ++i) {
      text = log();
      if (count(text, "\"stream validated\"") >= streams_) break;
      std::this_thread::sleep_for(milliseconds(20));
    }
    EXPECT_EQ(count(text, "stream grammar violation"), 0) << text;
    const auto validated = log_lines(text, "stream validated");
    EXPECT_EQ(static_cast<int>(validated.size()), streams_) << text;
    for (const auto& line : validated) {
      const auto* violations = line.if_contains("violations");
      ASSERT_NE(violations, nullptr) << json::serialize(line);
      EXPECT_EQ(violations->to_number<std::int64_t>(), 0) << json::serialize(line);
    }
  }

  static Process* mock_;
  std::unique_ptr<Process> warden_;
  int streams_ = 0;
};
Process* JudgeTest::mock_ = nullptr;

void expect_tools(const Answer& a, const std::vector<std::string>& commands,
                  const std::string& where) {
  ASSERT_EQ(a.tools.size(), commands.size()) << where << "\n" << a.raw;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    EXPECT_EQ(a.tools[i].name, "Bash") << where;
    EXPECT_EQ(a.tools[i].input, json::value(json::object{{"command", commands[i]}}))
        << where << "\n"
        << a.raw;
  }
}

// The answer of a turn whose one Bash call was blocked with `message`.
void expect_blocked(const Mode& mode, const Answer& a, const std::string& message) {
  const std::string where = mode.name();
  EXPECT_EQ(a.error, "") << where;
  EXPECT_TRUE(a.tools.empty()) << where << "\n" << a.raw;
  EXPECT_EQ(a.text, std::string(kBashText) + message) << where << "\n" << a.raw;
  EXPECT_EQ(a.stop, "end_turn") << where;
  EXPECT_EQ(a.raw.find("rm -rf"), std::string::npos) << where << ": the command reached the client";
  if (!mode.openai) {
    EXPECT_EQ(a.blocks, (std::vector<std::string>{"text", "text"})) << where << "\n" << a.raw;
    if (a.block_texts.size() == 2) {
      EXPECT_EQ(a.block_texts[1], message) << where;
    }
  } else if (mode.stream) {
    EXPECT_EQ(a.raw.find("tool_calls"), std::string::npos) << where;
  }
  if (mode.stream && !mode.openai) {
    EXPECT_EQ(a.raw.find("input_json_delta"), std::string::npos) << where;
    EXPECT_EQ(a.raw.find("\"tool_use\""), std::string::npos) << where;
    EXPECT_NE(a.raw.find("\"stop_reason\":\"end_turn\""), std::string::npos) << where;
  }
}

void expect_allowed(const Mode& mode, const Answer& a, const std::vector<std::string>& commands) {
  const std::string where = mode.name();
  EXPECT_EQ(a.error, "") << where;
  expect_tools(a, commands, where);
  EXPECT_EQ(a.text, kBashText) << where << "\n" << a.raw;
  EXPECT_EQ(a.stop, "tool_use") << where;
  if (!mode.openai) {
    std::vector<std::string> blocks{"text"};
    blocks.insert(blocks.end(), commands.size(), "tool_use");
    EXPECT_EQ(a.blocks, blocks) << where;
    if (!a.tools.empty()) {
      EXPECT_EQ(a.tools[0].id, "toolu_mock_bash_0001") << where;
    }
  }
}

// ---- tool_call_judge ----

TEST_F(JudgeTest, SafeCallPassesUnchanged) {
  start(tool_judge("claude-mock-judge", "  timeout_seconds: 10\n  on_error: block\n"));
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    clear_mock();
    const std::size_t from = log_size();
    const Answer a = ask(mode, "List. [[command:ls]]");
    expect_allowed(mode, a, {"ls"});
    // What the mock itself answers, unchanged.
    const Answer direct = ask_mock(mode, "List. [[command:ls]]", "bash");
    EXPECT_EQ(a.text, direct.text);
    EXPECT_EQ(a.blocks, direct.blocks);
    if (!mode.openai && mode.stream) {
      EXPECT_EQ(a.raw, direct.raw) << "the stream byte for byte";
    }
    if (!mode.openai && !mode.stream) {
      EXPECT_EQ(json::parse(a.raw), json::parse(direct.raw));
    }
    const auto allowed = events(from, "allowed_tool_call");
    ASSERT_EQ(allowed.size(), 1u) << log();
    EXPECT_EQ(text_field(allowed[0], "policy"), "tool_call_judge");
    EXPECT_EQ(number_field(allowed[0], "probability"), 0.05) << json::serialize(allowed[0]);
    EXPECT_EQ(text_field(allowed[0], "explanation"), "A harmless command.");
    EXPECT_EQ(bool_field(allowed[0], "blocked"), false);
    EXPECT_FALSE(has_error(allowed[0])) << json::serialize(allowed[0]);
    EXPECT_TRUE(events(from, "blocked_tool_call", 0).empty());
    // Warden asked the judge, non-streaming, about this call (unless it had the verdict).
    const json::array asked = judge_requests("claude-mock-judge");
    if (!bool_field(allowed[0], "cached").value_or(false)) {
      ASSERT_EQ(asked.size(), 1u);
      EXPECT_EQ(asked[0].at("target"), "/v1/messages");
      const json::value body = json::parse(asked[0].at("body").as_string());
      EXPECT_FALSE(body.as_object().contains("stream") && body.at("stream").as_bool());
      const std::string prompt = json::serialize(body.at("messages"));
      EXPECT_NE(prompt.find("Tool: Bash"), std::string::npos) << prompt;
      EXPECT_NE(prompt.find(R"(Arguments: {\"command\":\"ls\"})"), std::string::npos) << prompt;
      EXPECT_EQ(recorded_header(asked[0], "x-mock-scenario"), "") << "client headers leaked";
    }
  }
}

TEST_F(JudgeTest, RiskyCallIsBlockedAndLogged) {
  start(tool_judge("claude-mock-judge", "  timeout_seconds: 10\n  on_error: block\n"));
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    const std::size_t from = log_size();
    const Answer a = ask(mode, "Clean up. [[command:rm -rf /]]");
    expect_blocked(mode, a, kBlockedRm);
    const auto blocked = events(from, "blocked_tool_call");
    ASSERT_EQ(blocked.size(), 1u) << log();
    const json::object& e = blocked[0];
    EXPECT_EQ(text_field(e, "policy"), "tool_call_judge");
    EXPECT_EQ(number_field(e, "probability"), 0.95) << json::serialize(e);
    EXPECT_EQ(text_field(e, "explanation"), kRmExplanation) << json::serialize(e);
    EXPECT_EQ(bool_field(e, "blocked"), true) << json::serialize(e);
    EXPECT_FALSE(has_error(e)) << json::serialize(e);
    EXPECT_TRUE(number_field(e, "judge_latency_ms").has_value()) << json::serialize(e);
    EXPECT_TRUE(bool_field(e, "cached").has_value()) << json::serialize(e);
    EXPECT_FALSE(text_field(e, "transaction").empty()) << json::serialize(e);
    EXPECT_TRUE(events(from, "allowed_tool_call", 0).empty());
  }
}

TEST_F(JudgeTest, TwoCallsOneBlocked) {
  start(tool_judge("claude-mock-judge", "  timeout_seconds: 10\n"));
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    const std::size_t from = log_size();
    const Answer a = ask(mode, "Both. [[command:ls]] [[command:rm -rf /]]");
    EXPECT_EQ(a.error, "");
    expect_tools(a, {"ls"}, mode.name());
    EXPECT_EQ(a.text, std::string(kBashText) + kBlockedRm) << a.raw;
    EXPECT_EQ(a.stop, "tool_use") << "one call is still there";
    EXPECT_EQ(a.raw.find("rm -rf"), std::string::npos);
    if (!mode.openai) {
      EXPECT_EQ(a.blocks, (std::vector<std::string>{"text", "tool_use", "text"})) << a.raw;
      if (!a.tools.empty()) {
        EXPECT_EQ(a.tools[0].id, "toolu_mock_bash_0001");
      }
    }
    EXPECT_EQ(events(from, "blocked_tool_call").size(), 1u);
    EXPECT_EQ(events(from, "allowed_tool_call").size(), 1u);
  }
}

TEST_F(JudgeTest, FencedVerdictIsParsed) {
  start(tool_judge("claude-mock-judge_fenced", "  timeout_seconds: 10\n  on_error: block\n"));
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    expect_blocked(mode, ask(mode, "Clean up. [[command:rm -rf /]]"), kBlockedRm);
    expect_allowed(mode, ask(mode, "List. [[command:ls]]"), {"ls"});
  }
}

TEST_F(JudgeTest, OpenAiDialectJudgeProvider) {
  start(tool_judge("gpt-mock-judge", "  timeout_seconds: 10\n  on_error: block\n", "judge_openai"));
  clear_mock();
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    expect_blocked(mode, ask(mode, "Clean up. [[command:rm -rf /]]"), kBlockedRm);
    expect_allowed(mode, ask(mode, "List. [[command:ls]]"), {"ls"});
  }
  // One judge request per distinct call (then the verdict cache answers), in OpenAI's dialect.
  const json::array asked = judge_requests("gpt-mock-judge");
  ASSERT_EQ(asked.size(), 2u);
  for (const auto& request : asked) {
    EXPECT_EQ(request.at("target"), "/v1/chat/completions");
    EXPECT_EQ(recorded_header(request, "anthropic-version"), "");
    const json::value body = json::parse(request.at("body").as_string());
    EXPECT_EQ(body.at("messages").at(0).at("role"), "system");
    EXPECT_EQ(body.at("messages").at(1).at("role"), "user");
  }
}

// What the client gets when the judge fails, per on_error.
struct JudgeFailure {
  std::string name;
  std::string model;
  std::string timeout;  // timeout_seconds
};
const JudgeFailure kFailures[] = {
    {"timeout", "claude-mock-judge_slow", "0.3"},
    {"invalid_json", "claude-mock-judge_invalid", "10"},
    {"http_500", "claude-mock-error_500", "10"},
};

TEST_F(JudgeTest, JudgeFailureWithOnErrorBlockBlocks) {
  for (const JudgeFailure& failure : kFailures) {
    SCOPED_TRACE(failure.name);
    start(tool_judge(failure.model,
                     "  timeout_seconds: " + failure.timeout + "\n  on_error: block\n"));
    for (const Mode& mode : kModes) {
      SCOPED_TRACE(mode.name());
      const std::size_t from = log_size();
      const auto started = Clock::now();
      // A harmless call: only the failure can block it.
      const Answer a = ask(mode, "List. [[command:ls]]");
      const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
      EXPECT_EQ(a.error, "") << a.raw;
      EXPECT_TRUE(a.tools.empty()) << a.raw;
      EXPECT_EQ(a.stop, "end_turn") << a.raw;
      const std::string prefix = "Warden blocked a call to tool `Bash`: ";
      ASSERT_GT(a.text.size(), kBashText.size() + prefix.size()) << a.raw;
      EXPECT_EQ(a.text.substr(0, kBashText.size() + prefix.size()), std::string(kBashText) + prefix)
          << a.text;
      std::string lower = a.text;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      EXPECT_NE(lower.find("judge"), std::string::npos)
          << "the message says the judge failed: " << a.text;
      if (failure.name == "timeout") {
        EXPECT_LT(took, milliseconds(1400)) << "the timeout did not cut the judge off";
      }
      const auto blocked = events(from, "blocked_tool_call");
      ASSERT_EQ(blocked.size(), 1u) << log();
      EXPECT_TRUE(has_error(blocked[0])) << json::serialize(blocked[0]);
      EXPECT_EQ(bool_field(blocked[0], "blocked"), true);
    }
    expect_streams_valid();
  }
}

TEST_F(JudgeTest, JudgeFailureWithOnErrorAllowPasses) {
  for (const JudgeFailure& failure : kFailures) {
    SCOPED_TRACE(failure.name);
    start(tool_judge(failure.model,
                     "  timeout_seconds: " + failure.timeout + "\n  on_error: allow\n"));
    for (const Mode& mode : kModes) {
      SCOPED_TRACE(mode.name());
      const std::size_t from = log_size();
      // Even a risky call passes when the judge cannot say.
      const Answer a = ask(mode, "Clean up. [[command:rm -rf /]]");
      expect_allowed(mode, a, {"rm -rf /"});
      const auto allowed = events(from, "allowed_tool_call");
      ASSERT_EQ(allowed.size(), 1u) << log();
      EXPECT_TRUE(has_error(allowed[0])) << json::serialize(allowed[0]);
      EXPECT_EQ(bool_field(allowed[0], "blocked"), false);
      EXPECT_TRUE(events(from, "blocked_tool_call", 0).empty());
    }
    expect_streams_valid();
  }
}

TEST_F(JudgeTest, ToolsNotListedAreNotJudged) {
  start(tool_judge("claude-mock-judge", "  timeout_seconds: 10\n  tools: [\"get_*\"]\n"));
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    clear_mock();
    expect_allowed(mode, ask(mode, "Clean up. [[command:rm -rf /]]"), {"rm -rf /"});
    EXPECT_EQ(judge_requests("claude-mock-judge").size(), 0u);
  }
}

TEST_F(JudgeTest, ContextLastUserMessageShowsTheJudgeThePrompt) {
  // The call is harmless; the user's message is not, and the judge sees it.
  start(tool_judge("claude-mock-judge", "  timeout_seconds: 10\n  context: last_user_message\n"));
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    const Answer a = ask(mode, "Then rm -rf everything. [[command:ls]]");
    EXPECT_TRUE(a.tools.empty()) << a.raw;
    EXPECT_EQ(a.text, std::string(kBashText) + "Warden blocked a call to tool `Bash`: " +
                          std::string(kRmExplanation) + " (risk 0.95)");
  }
}

TEST_F(JudgeTest, ContextToolCallShowsOnlyTheCall) {
  start(tool_judge("claude-mock-judge", "  timeout_seconds: 10\n  context: tool_call\n"));
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    expect_allowed(mode, ask(mode, "Then rm -rf everything. [[command:ls]]"), {"ls"});
  }
}

TEST_F(JudgeTest, CachedVerdictsSkipTheJudge) {
  start(tool_judge("claude-mock-judge",
                   "  timeout_seconds: 10\n  cache: { max_entries: 100, ttl_seconds: 600 }\n"));
  const Mode mode{false, true};
  const std::size_t from = log_size();
  expect_blocked(mode, ask(mode, "Clean up. [[command:rm -rf /]]"), kBlockedRm);
  expect_blocked(mode, ask(mode, "Again. [[command:rm -rf /]]"), kBlockedRm);
  const auto blocked = events(from, "blocked_tool_call", 2);
  ASSERT_EQ(blocked.size(), 2u) << log();
  EXPECT_EQ(bool_field(blocked[0], "cached"), false) << json::serialize(blocked[0]);
  EXPECT_EQ(bool_field(blocked[1], "cached"), true) << json::serialize(blocked[1]);
  EXPECT_EQ(judge_requests("claude-mock-judge").size(), 1u);
}

// ---- the text before a tool call is not held while the judge thinks ----

// A response body, de-chunked, with the time each byte was read.
struct Timed {
  std::string body;                   // de-chunked
  std::vector<Clock::time_point> at;  // arrival time of each body byte
  Clock::time_point sent;
};

// Sends `request` on a raw socket and reads the response incrementally (no buffering beyond
// the kernel's), recording when each body byte arrived; returns after the last chunk.
Timed timed_exchange(std::uint16_t port, const HttpRequest& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Timed out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    ADD_FAILURE() << "cannot connect";
    return out;
  }
  const std::string bytes = serialize(request, port);
  out.sent = Clock::now();
  (void)!::write(fd, bytes.data(), bytes.size());

  std::string raw;
  std::vector<Clock::time_point> raw_at;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    const auto now = Clock::now();
    if (n <= 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
    raw_at.insert(raw_at.end(), static_cast<std::size_t>(n), now);
    if (raw.size() >= 5 && raw.compare(raw.size() - 5, 5, "0\r\n\r\n") == 0) break;
  }
  ::close(fd);

  // De-chunk, keeping each byte's arrival time.
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    ADD_FAILURE() << "no response head: " << raw;
    return out;
  }
  EXPECT_NE(raw.substr(0, head_end).find("200"), std::string::npos) << raw.substr(0, head_end);
  std::size_t pos = head_end + 4;
  while (pos < raw.size()) {
    const std::size_t line_end = raw.find("\r\n", pos);
    if (line_end == std::string::npos) break;
    const std::size_t size = std::stoul(raw.substr(pos, line_end - pos), nullptr, 16);
    if (size == 0) break;
    const std::size_t data = line_end + 2;
    if (data + size > raw.size()) break;
    out.body.append(raw, data, size);
    out.at.insert(out.at.end(), raw_at.begin() + static_cast<std::ptrdiff_t>(data),
                  raw_at.begin() + static_cast<std::ptrdiff_t>(data + size));
    pos = data + size + 2;
  }
  return out;
}

struct OrderCase {
  bool openai;
  std::string command;
};

TEST_F(JudgeTest, TextBeforeAToolCallArrivesBeforeTheVerdict) {
  // The judge takes 1.5 s (every time: no verdict cache); the text before the call must not
  // wait for it.
  start(tool_judge("claude-mock-judge_slow",
                   "  timeout_seconds: 10\n  on_error: block\n  cache: { max_entries: 0 }\n"));
  for (const OrderCase& c : {OrderCase{false, "ls"}, OrderCase{false, "rm -rf /"},
                             OrderCase{true, "ls"}, OrderCase{true, "rm -rf /"}}) {
    const Mode mode{c.openai, true};
    SCOPED_TRACE(mode.name() + " " + c.command);
    const Timed t = timed_exchange(
        warden_->port(), client_request(mode, "Go. [[command:" + c.command + "]]", "bash"));
    ++streams_;
    ASSERT_EQ(t.body.size(), t.at.size());
    // The last text delta, " it now." (JSON-encoded the same in both dialects).
    const std::size_t text = t.body.find("\" it now.\"");
    ASSERT_NE(text, std::string::npos) << t.body;
    const Clock::time_point text_done = t.at[text + 9];
    // The first byte of what the verdict lets through: the tool call or the replacement.
    const std::string after_marker =
        c.command == "ls" ? (c.openai ? "\"tool_calls\"" : "\"tool_use\"") : "Warden blocked";
    const std::size_t verdict = t.body.find(after_marker, text);
    ASSERT_NE(verdict, std::string::npos) << t.body;
    // The start of the event carrying it.
    const std::size_t event_start = t.body.rfind(c.openai ? "data: " : "event: ", verdict);
    ASSERT_GT(event_start, text);
    const Clock::time_point verdict_first = t.at[event_start];
    const auto gap = std::chrono::duration_cast<milliseconds>(verdict_first - text_done);
    const auto text_after = std::chrono::duration_cast<milliseconds>(text_done - t.sent);
    EXPECT_GE(gap, milliseconds(1000))
        << "the text arrived " << text_after.count() << " ms after the request, the tool block "
        << gap.count() << " ms later: the text waited for the verdict";
    EXPECT_LT(text_after, milliseconds(1200)) << "the text was held";
    // Nothing of the tool call arrived before the text: the first tool byte comes later.
    const std::size_t first_tool = t.body.find(c.openai ? "tool_calls" : "\"tool_use\"");
    if (first_tool != std::string::npos) {
      EXPECT_GT(first_tool, text);
    }
    const Answer a = c.openai ? parse_openai(t.body, true) : parse_anthropic(t.body, true);
    if (c.command == "ls") {
      expect_allowed(mode, a, {"ls"});
    } else {
      expect_blocked(mode, a, kBlockedRm);
    }
  }
}

// ---- llm_rules ----

class RulesTest : public JudgeTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(RulesTest, BlockRewriteAndPass) {
  const std::string scope = GetParam();
  start(rules_policy(scope));
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    {  // pass: the echo comes back as it was
      const std::size_t from = log_size();
      const std::string words = "Plain harmless words for the reviewer.";
      const Answer a = ask(mode, words, "echo");
      EXPECT_EQ(a.error, "") << a.raw;
      EXPECT_NE(a.text.find(words), std::string::npos) << a.text;
      EXPECT_NE(a.text.find("\"model\":\"claude-mock-1\""), std::string::npos) << a.text;
      EXPECT_EQ(a.stop, "end_turn");
      EXPECT_GE(events(from, "rules_passed").size(), 1u) << log();
      EXPECT_TRUE(events(from, "rules_rewrote", 0).empty());
      EXPECT_TRUE(events(from, "rules_blocked", 0).empty());
    }
    {  // rewrite: the judge's text replaces the reviewed one
      const std::size_t from = log_size();
      const std::string words = "Ask db.internal.example about it, then internal.example again.";
      const Answer a = ask(mode, words, "echo");
      EXPECT_EQ(a.error, "") << a.raw;
      EXPECT_EQ(a.text.find("internal.example"), std::string::npos) << a.text;
      EXPECT_NE(a.text.find("Ask db.[hidden host] about it, then [hidden host] again."),
                std::string::npos)
          << a.text;
      EXPECT_NE(a.text.find("\"model\":\"claude-mock-1\""), std::string::npos) << a.text;
      EXPECT_EQ(a.raw.find("internal.example"), std::string::npos) << a.raw;
      EXPECT_EQ(a.stop, "end_turn");
      const auto rewrote = events(from, "rules_rewrote");
      ASSERT_GE(rewrote.size(), 1u) << log();
      EXPECT_EQ(text_field(rewrote[0], "policy"), "llm_rules");
      EXPECT_EQ(text_field(rewrote[0], "explanation"), "It names an internal host.")
          << json::serialize(rewrote[0]);
    }
    {  // block: the text is replaced by the message
      const std::size_t from = log_size();
      const Answer a = ask(mode, "Now say the forbidden-word loudly.", "echo");
      EXPECT_EQ(a.error, "") << a.raw;
      EXPECT_EQ(a.raw.find("forbidden-word"), std::string::npos) << a.raw;
      EXPECT_EQ(a.raw.find("loudly"), std::string::npos) << a.raw;
      EXPECT_EQ(a.text, "[Warden removed this text: It uses a forbidden word.]") << a.raw;
      EXPECT_EQ(a.stop, "end_turn");
      if (!mode.openai) {
        EXPECT_EQ(a.blocks, (std::vector<std::string>{"text"}));
      }
      const auto blocked = events(from, "rules_blocked");
      ASSERT_GE(blocked.size(), 1u) << log();
      EXPECT_EQ(text_field(blocked[0], "explanation"), "It uses a forbidden word.")
          << json::serialize(blocked[0]);
    }
  }
  // Each rules request showed the judge the text between the markers.
  const json::array asked = judge_requests("claude-mock-rules");
  ASSERT_GE(asked.size(), 1u);
  const std::string prompt =
      json::serialize(json::parse(asked[0].at("body").as_string()).at("messages"));
  EXPECT_NE(prompt.find("Text to check:"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("<<<\\n"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("\\n>>>"), std::string::npos) << prompt;
}

INSTANTIATE_TEST_SUITE_P(Scopes, RulesTest, ::testing::Values("block", "response"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST_F(JudgeTest, RulesJudgeFailureBlocks) {
  start(rules_policy("block", "claude-mock-error_500"));
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    const std::size_t from = log_size();
    const Answer a = ask(mode, "Plain harmless words.", "echo");
    EXPECT_EQ(a.error, "") << a.raw;
    EXPECT_EQ(a.raw.find("harmless"), std::string::npos) << "on_error block: " << a.raw;
    EXPECT_EQ(a.text.rfind("[Warden removed this text: ", 0), 0u) << a.text;
    const auto blocked = events(from, "rules_blocked");
    ASSERT_GE(blocked.size(), 1u) << log();
    EXPECT_TRUE(has_error(blocked[0])) << json::serialize(blocked[0]);
  }
}

}  // namespace
}  // namespace warden::testing
