#include "mock/mock_scenarios.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "mock/mock_script.hpp"

namespace warden::mock {
namespace {

namespace json = boost::json;

constexpr std::string_view kHello = R"({"model":"claude-mock-1","max_tokens":64,)"
                                    R"("messages":[{"role":"user","content":"hi"}]})";
constexpr std::string_view kHelloStream =
    R"({"model":"claude-mock-1","max_tokens":64,"stream":true,)"
    R"("messages":[{"role":"user","content":"hi"}]})";

MockReply ask(std::string_view body, std::string_view scenario = {}, std::string_view delay = {}) {
  MessagesRequest request;
  request.body = body;
  request.scenario_header = scenario;
  request.delay_header = delay;
  request.request_id = "req_mock_test";
  return answer_messages(request);
}

std::string type_of(const json::value& value) { return std::string(value.at("type").as_string()); }

// Accumulates a stream the way the SDKs and Claude Code do (PROTOCOLS.md 2.5 and 2.9) and
// reports the first rule it breaks. `complete` = the stream must end with message_stop.
struct Assembled {
  json::object message;
  std::string error;  // empty when the stream is valid
  bool stopped = false;
};

Assembled assemble(const std::vector<SseEvent>& events, bool complete = true) {
  Assembled out;
  auto fail = [&out](std::string why) {
    if (out.error.empty()) out.error = std::move(why);
    return out;
  };
  bool started = false;
  bool delta_seen = false;
  std::optional<std::size_t> open;
  std::string open_type;
  std::string partial_json;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const SseEvent& event = events[i];
    const std::string where = "event " + std::to_string(i) + " (" + event.name + "): ";
    if (format_sse(event) != "event: " + event.name + "\ndata: " + event.data + "\n\n") {
      return fail(where + "bad wire form");
    }
    if (event.data.find('\n') != std::string::npos) return fail(where + "multi-line data");
    json::error_code ec;
    const json::value data = json::parse(event.data, ec);
    if (ec || !data.is_object()) return fail(where + "data is not a JSON object");
    if (type_of(data) != event.name) return fail(where + "type differs from event name");
    if (out.stopped) return fail(where + "event after message_stop");
    if (!started && event.name != "message_start") return fail(where + "before message_start");

    if (event.name == "message_start") {
      if (started) return fail(where + "second message_start");
      started = true;
      out.message = data.at("message").as_object();
      if (!out.message.at("content").as_array().empty()) return fail(where + "content not []");
      const json::object& usage = out.message.at("usage").as_object();
      if (!usage.contains("input_tokens") || !usage.contains("output_tokens")) {
        return fail(where + "usage incomplete");
      }
    } else if (event.name == "ping") {
      // allowed anywhere after message_start
    } else if (event.name == "content_block_start") {
      json::array& content = out.message.at("content").as_array();
      if (open) return fail(where + "a block is still open");
      if (delta_seen) return fail(where + "block after message_delta");
      if (data.at("index").as_int64() != static_cast<std::int64_t>(content.size())) {
        return fail(where + "index not dense");
      }
      open = content.size();
      open_type = type_of(data.at("content_block"));
      partial_json.clear();
      content.push_back(data.at("content_block"));
    } else if (event.name == "content_block_delta") {
      if (!open || data.at("index").as_int64() != static_cast<std::int64_t>(*open)) {
        return fail(where + "delta for a block that is not open");
      }
      json::object& block = out.message.at("content").as_array()[*open].as_object();
      const json::object& delta = data.at("delta").as_object();
      const std::string delta_type = type_of(delta);
      if (delta_type == "text_delta" && open_type == "text") {
        block["text"] =
            std::string(block.at("text").as_string()) + std::string(delta.at("text").as_string());
      } else if (delta_type == "input_json_delta" && open_type == "tool_use") {
        partial_json += delta.at("partial_json").as_string();
      } else if (delta_type == "thinking_delta" && open_type == "thinking") {
        block["thinking"] = std::string(block.at("thinking").as_string()) +
                            std::string(delta.at("thinking").as_string());
      } else if (delta_type == "signature_delta" && open_type == "thinking") {
        block["signature"] = delta.at("signature");
      } else {
        return fail(where + delta_type + " in a " + open_type + " block");
      }
    } else if (event.name == "content_block_stop") {
      if (!open || data.at("index").as_int64() != static_cast<std::int64_t>(*open)) {
        return fail(where + "stop for a block that is not open");
      }
      if (open_type == "tool_use") {
        json::error_code parse_ec;
        json::value input = partial_json.empty() ? json::value(json::object{})
                                                 : json::parse(partial_json, parse_ec);
        if (parse_ec || !input.is_object()) return fail(where + "tool input is not an object");
        out.message.at("content").as_array()[*open].as_object()["input"] = std::move(input);
      }
      open.reset();
    } else if (event.name == "message_delta") {
      if (open) return fail(where + "message_delta inside a block");
      const json::value& stop_reason = data.at("delta").at("stop_reason");
      if (!stop_reason.is_string()) return fail(where + "stop_reason is not a string");
      out.message["stop_reason"] = stop_reason;
      out.message["stop_sequence"] = data.at("delta").at("stop_sequence");
      out.message.at("usage").as_object()["output_tokens"] = data.at("usage").at("output_tokens");
      delta_seen = true;
    } else if (event.name == "message_stop") {
      if (!delta_seen) return fail(where + "message_stop without message_delta");
      out.stopped = true;
    } else if (event.name == "error") {
      if (i + 1 != events.size()) return fail(where + "error is not the last event");
    } else {
      return fail(where + "unknown event");
    }
  }
  if (complete && !out.stopped) return fail("stream ended without message_stop");
  return out;
}

json::object parse_object(std::string_view text) { return json::parse(text).as_object(); }

std::vector<std::string> delta_texts(const std::vector<SseEvent>& events) {
  std::vector<std::string> texts;
  for (const auto& event : events) {
    if (event.name != "content_block_delta") continue;
    const json::value data = json::parse(event.data);
    const json::object& delta = data.at("delta").as_object();
    if (type_of(delta) == "text_delta") texts.emplace_back(delta.at("text").as_string());
  }
  return texts;
}

// ---- every streamed scenario is a valid stream and equals its non-streaming answer ----

struct StreamCase {
  std::string name;
  std::string scenario;
  std::string body;  // without "stream"; the test adds it
};

std::string with_stream(const std::string& body) {
  json::object object = parse_object(body);
  object["stream"] = true;
  return json::serialize(object);
}

const std::string kToolResultBody =
    R"({"model":"claude-mock-claude_code","max_tokens":64,"messages":[)"
    R"({"role":"user","content":"run it"},)"
    R"({"role":"assistant","content":[{"type":"tool_use","id":"toolu_mock_bash_0001",)"
    R"("name":"Bash","input":{}}]},)"
    R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_mock_bash_0001",)"
    R"("content":[{"type":"text","text":"warden-e2e-ok"}]}]}]})";

// What Warden's judges send (pipeline/model_client.cpp): a system prompt and one user message.
std::string judge_body(const std::string& model, const std::string& user,
                       const std::string& system = "You judge tool calls.") {
  return json::serialize(
      json::object{{"model", model},
                   {"max_tokens", 256},
                   {"temperature", 0},
                   {"system", system},
                   {"messages", json::array{json::object{{"role", "user"}, {"content", user}}}}});
}
// The same in OpenAI's form: the system prompt is a message.
std::string chat_judge_body(const std::string& model, const std::string& user,
                            const std::string& system = "You judge tool calls.") {
  return json::serialize(
      json::object{{"model", model},
                   {"max_tokens", 256},
                   {"temperature", 0},
                   {"messages", json::array{json::object{{"role", "system"}, {"content", system}},
                                            json::object{{"role", "user"}, {"content", user}}}}});
}
const std::string kRiskyCall = "Tool: Bash\nArguments: {\"command\":\"rm -rf /\"}\nAnswer in JSON.";
const std::string kHarmlessCall = "Tool: Bash\nArguments: {\"command\":\"ls\"}\nAnswer in JSON.";
const std::string kJudgeRiskyBody = judge_body("claude-mock-judge", kRiskyCall);
std::string rules_prompt(const std::string& text) {
  return "Rules:\n- no secrets\n\nText to check:\n<<<\n" + text + "\n>>>\nAnswer in JSON.";
}
std::string rules_body(const std::string& text) {
  return judge_body("claude-mock-rules", rules_prompt(text), "You check text against rules.");
}

void PrintTo(const StreamCase& c, std::ostream* os) { *os << c.name; }

class CompleteScenarioTest : public ::testing::TestWithParam<StreamCase> {};

TEST_P(CompleteScenarioTest, StreamIsValidAndMatchesNonStreaming) {
  const StreamCase& c = GetParam();
  const std::string stream_body = with_stream(c.body);
  const MockReply streamed = ask(stream_body, c.scenario, "1");
  const MockReply whole = ask(c.body, c.scenario, "1");

  ASSERT_TRUE(streamed.streaming);
  EXPECT_EQ(streamed.status, 200u);
  EXPECT_EQ(streamed.end, ReplyEnd::kComplete);
  const Assembled assembled = assemble(streamed.events);
  ASSERT_EQ(assembled.error, "");

  ASSERT_FALSE(whole.streaming);
  ASSERT_EQ(whole.status, 200u);
  EXPECT_TRUE(whole.events.empty());
  const json::object message = parse_object(whole.body);
  EXPECT_EQ(message.at("type"), "message");
  EXPECT_EQ(message.at("role"), "assistant");
  EXPECT_EQ(assembled.message.at("id"), message.at("id"));
  EXPECT_EQ(assembled.message.at("model"), message.at("model"));
  if (c.scenario == "echo") {
    // Each echo shows its own request body, and the two bodies differ by "stream".
    EXPECT_EQ(assembled.message.at("content").at(0).at("text").as_string(), stream_body);
    EXPECT_EQ(message.at("content").at(0).at("text").as_string(), c.body);
  } else {
    EXPECT_EQ(assembled.message.at("content"), message.at("content"));
  }
  EXPECT_EQ(assembled.message.at("stop_reason"), message.at("stop_reason"));
  EXPECT_EQ(assembled.message.at("stop_sequence"), message.at("stop_sequence"));
  if (c.scenario != "echo") {
    EXPECT_EQ(assembled.message.at("usage").at("output_tokens"),
              message.at("usage").at("output_tokens"));
  }
  EXPECT_GT(message.at("usage").at("output_tokens").as_int64(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, CompleteScenarioTest,
    ::testing::Values(StreamCase{"text", "text", std::string(kHello)},
                      StreamCase{"tool_use", "tool_use", std::string(kHello)},
                      StreamCase{"two_tools", "two_tools", std::string(kHello)},
                      StreamCase{"thinking", "thinking", std::string(kHello)},
                      StreamCase{"slow", "slow", std::string(kHello)},
                      StreamCase{"claude_code_tool_call", "claude_code", std::string(kHello)},
                      StreamCase{"claude_code_answer", "claude_code", kToolResultBody},
                      StreamCase{"echo", "echo",
                                 R"({"messages":[{"role":"user","content":"h\u00e9 ✓ 日本語"}]})"},
                      StreamCase{"judge", "judge", std::string(kHello)},
                      StreamCase{"judge_risky", "judge", kJudgeRiskyBody},
                      StreamCase{"judge_fenced", "judge_fenced", kJudgeRiskyBody},
                      StreamCase{"judge_invalid", "judge_invalid", std::string(kHello)},
                      StreamCase{"judge_slow", "judge_slow", kJudgeRiskyBody},
                      StreamCase{"rules_pass", "rules", rules_body("All fine here.")},
                      StreamCase{"rules_rewrite", "rules", rules_body("Ask internal.example")},
                      StreamCase{"rules_block", "rules", rules_body("a forbidden-word")}),
    [](const ::testing::TestParamInfo<StreamCase>& info) { return info.param.name; });

TEST(StreamChecker, RejectsBrokenStreams) {
  // The checker above is what the scenario tests rely on; make sure it can say no.
  const SseEvent start{
      "message_start",
      json::serialize(json::parse(R"({"type":"message_start","message":{"id":"m","content":[],)"
                                  R"("usage":{"input_tokens":1,"output_tokens":1}}})")),
      {}};
  const SseEvent block1{
      "content_block_start",
      R"({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})",
      {}};
  const SseEvent stray_delta{
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}})",
      {}};
  const SseEvent misnamed{"content_block_stop", R"({"type":"message_stop"})", {}};
  EXPECT_NE(assemble({start, block1}, false).error, "");
  EXPECT_NE(assemble({start, stray_delta}, false).error, "");
  EXPECT_NE(assemble({stray_delta}, false).error, "");
  EXPECT_NE(assemble({start, misnamed}, false).error, "");
  EXPECT_NE(assemble({start}, true).error, "");
  EXPECT_EQ(assemble({start}, false).error, "");
}

// ---- scenario details ----

TEST(MockScenarios, FormatSseIsExactWireForm) {
  const SseEvent event{"message_stop", R"({"type":"message_stop"})", {}};
  EXPECT_EQ(format_sse(event), "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
}

TEST(MockScenarios, TextStreamsTwentyDeltasWithPingAfterBlockStart) {
  const MockReply reply = ask(kHelloStream);
  ASSERT_GE(reply.events.size(), 3u);
  EXPECT_EQ(reply.events[0].name, "message_start");
  EXPECT_EQ(reply.events[1].name, "content_block_start");
  EXPECT_EQ(reply.events[2].name, "ping");
  EXPECT_EQ(reply.events[2].data, R"({"type": "ping"})");
  const std::vector<std::string> texts = delta_texts(reply.events);
  EXPECT_EQ(texts.size(), 20u);

  std::string joined;
  for (const auto& text : texts) joined += text;
  const json::object whole = parse_object(ask(kHello).body);
  EXPECT_EQ(whole.at("content").at(0).at("text").as_string(), joined);
  EXPECT_EQ(joined.rfind("Hello from the mock upstream. ", 0), 0u);
  EXPECT_EQ(whole.at("id"), "msg_mock_text_0001");
  EXPECT_EQ(whole.at("stop_reason"), "end_turn");
  EXPECT_EQ(whole.at("model"), "claude-mock-1");
}

TEST(MockScenarios, ToolUseStreamsInputInPiecesStartingEmpty) {
  const MockReply reply = ask(kHelloStream, "tool_use");
  std::vector<std::string> pieces;
  for (const auto& event : reply.events) {
    if (event.data.find("input_json_delta") == std::string::npos) continue;
    pieces.emplace_back(json::parse(event.data).at("delta").at("partial_json").as_string());
  }
  ASSERT_GE(pieces.size(), 3u);
  EXPECT_EQ(pieces[0], "");

  const json::object whole = parse_object(ask(kHello, "tool_use").body);
  const json::array& content = whole.at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0].at("type"), "text");
  EXPECT_EQ(content[1].at("type"), "tool_use");
  EXPECT_EQ(content[1].at("name"), "get_weather");
  EXPECT_EQ(content[1].at("input"),
            json::parse(R"({"location": "San Francisco, CA", "unit": "celsius"})"));
  EXPECT_EQ(whole.at("stop_reason"), "tool_use");
}

TEST(MockScenarios, TwoToolsCallsWeatherThenTime) {
  const json::object whole = parse_object(ask(kHello, "two_tools").body);
  const json::array& content = whole.at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0].at("name"), "get_weather");
  EXPECT_EQ(content[1].at("name"), "get_time");
  EXPECT_NE(content[0].at("id"), content[1].at("id"));
  EXPECT_EQ(whole.at("stop_reason"), "tool_use");
}

TEST(MockScenarios, ThinkingSendsSignatureRightBeforeStop) {
  const MockReply reply = ask(kHelloStream, "thinking");
  std::size_t thinking_deltas = 0;
  for (std::size_t i = 0; i < reply.events.size(); ++i) {
    if (reply.events[i].data.find("thinking_delta") != std::string::npos) ++thinking_deltas;
    if (reply.events[i].data.find("signature_delta") != std::string::npos) {
      ASSERT_LT(i + 1, reply.events.size());
      EXPECT_EQ(reply.events[i + 1].name, "content_block_stop");
    }
  }
  EXPECT_GE(thinking_deltas, 2u);
  const json::object whole = parse_object(ask(kHello, "thinking").body);
  EXPECT_EQ(whole.at("content").at(0).at("type"), "thinking");
  EXPECT_FALSE(whole.at("content").at(0).at("signature").as_string().empty());
  EXPECT_EQ(whole.at("content").at(1).at("type"), "text");
}

TEST(MockScenarios, MidstreamErrorEndsWithOverloadedErrorEvent) {
  const MockReply reply = ask(kHelloStream, "midstream_error");
  ASSERT_TRUE(reply.streaming);
  EXPECT_EQ(reply.end, ReplyEnd::kComplete);  // the response itself ends cleanly
  const Assembled assembled = assemble(reply.events, /*complete=*/false);
  ASSERT_EQ(assembled.error, "");
  EXPECT_FALSE(assembled.stopped);
  EXPECT_FALSE(delta_texts(reply.events).empty());
  EXPECT_EQ(reply.events.back().name, "error");
  EXPECT_EQ(json::parse(reply.events.back().data),
            json::parse(
                R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"));

  const MockReply whole = ask(kHello, "midstream_error");
  EXPECT_FALSE(whole.streaming);
  EXPECT_EQ(whole.status, 529u);
  EXPECT_TRUE(whole.retry_after);
}

TEST(MockScenarios, DropStopsInsideTheFirstBlock) {
  const MockReply reply = ask(kHelloStream, "drop");
  ASSERT_TRUE(reply.streaming);
  EXPECT_EQ(reply.end, ReplyEnd::kDrop);
  const Assembled assembled = assemble(reply.events, /*complete=*/false);
  ASSERT_EQ(assembled.error, "");
  EXPECT_FALSE(assembled.stopped);
  EXPECT_FALSE(delta_texts(reply.events).empty());
  EXPECT_EQ(reply.events.back().name, "content_block_delta");

  const MockReply whole = ask(kHello, "drop");
  EXPECT_EQ(whole.status, 200u);
  EXPECT_EQ(whole.end, ReplyEnd::kDrop);
  EXPECT_FALSE(whole.body.empty());
}

TEST(MockScenarios, ErrorScenariosAnswerWithStatusBeforeAnyStream) {
  struct Case {
    unsigned status;
    std::string_view type;
    bool retry_after;
  };
  const Case cases[] = {{400, "invalid_request_error", false},
                        {401, "authentication_error", false},
                        {403, "permission_error", false},
                        {404, "not_found_error", false},
                        {413, "request_too_large", false},
                        {429, "rate_limit_error", true},
                        {500, "api_error", true},
                        {503, "api_error", true},
                        {504, "timeout_error", true},
                        {529, "overloaded_error", true},
                        {418, "invalid_request_error", false}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    const std::string name = "error_" + std::to_string(c.status);
    EXPECT_TRUE(is_known_scenario(name));
    for (std::string_view body : {kHello, kHelloStream}) {
      const MockReply reply = ask(body, name);
      EXPECT_FALSE(reply.streaming);
      EXPECT_TRUE(reply.events.empty());
      EXPECT_EQ(reply.status, c.status);
      EXPECT_EQ(reply.retry_after, c.retry_after);
      const json::object error = parse_object(reply.body);
      EXPECT_EQ(error.at("type"), "error");
      EXPECT_EQ(error.at("error").at("type").as_string(), c.type);
      EXPECT_FALSE(error.at("error").at("message").as_string().empty());
      EXPECT_EQ(error.at("request_id"), "req_mock_test");
    }
  }
  EXPECT_FALSE(is_known_scenario("error_200"));
  EXPECT_FALSE(is_known_scenario("error_4000"));
  EXPECT_FALSE(is_known_scenario("error_abc"));
}

TEST(MockScenarios, SlowDelaysEveryDelta) {
  const MockReply by_default = ask(kHelloStream, "slow");
  const MockReply fast = ask(kHelloStream, "slow", "5");
  const MockReply garbage = ask(kHelloStream, "slow", "soon");
  for (std::size_t i = 0; i < by_default.events.size(); ++i) {
    const bool is_delta = by_default.events[i].name == "content_block_delta";
    EXPECT_EQ(by_default.events[i].delay,
              is_delta ? kDefaultSlowDelay : std::chrono::milliseconds{0});
    EXPECT_EQ(fast.events[i].delay,
              is_delta ? std::chrono::milliseconds{5} : std::chrono::milliseconds{0});
    EXPECT_EQ(garbage.events[i].delay, by_default.events[i].delay);
    EXPECT_EQ(fast.events[i].data, by_default.events[i].data);
  }
  EXPECT_EQ(delta_texts(fast.events), delta_texts(ask(kHelloStream, "text").events));
  EXPECT_EQ(ask(kHello, "slow", "5").delay, std::chrono::milliseconds{5 * 20});
  // Other scenarios never wait, whatever the header says.
  for (const auto& event : ask(kHelloStream, "text", "5").events) {
    EXPECT_EQ(event.delay, std::chrono::milliseconds{0});
  }
}

TEST(MockScenarios, ClaudeCodeCallsBashThenQuotesTheToolResult) {
  const json::object call = parse_object(ask(kHello, "claude_code").body);
  const json::value& block = call.at("content").at(0);
  EXPECT_EQ(block.at("type"), "tool_use");
  EXPECT_EQ(block.at("name"), "Bash");
  EXPECT_EQ(block.at("input"),
            json::parse(R"({"command": "echo warden-e2e-ok", "description": "Print a marker"})"));
  EXPECT_EQ(call.at("stop_reason"), "tool_use");

  const json::object answer = parse_object(ask(kToolResultBody).body);  // scenario from model
  EXPECT_EQ(answer.at("content").at(0).at("text"), "Tool said: warden-e2e-ok");
  EXPECT_EQ(answer.at("stop_reason"), "end_turn");

  const std::string string_result =
      R"({"messages":[{"role":"user","content":[)"
      R"({"type":"tool_result","tool_use_id":"t","content":"done"}]}]})";
  EXPECT_EQ(parse_object(ask(string_result, "claude_code").body).at("content").at(0).at("text"),
            "Tool said: done");
}

TEST(MockScenarios, EchoAnswersWithTheRawBody) {
  const std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"h\u00e9 ✓ 日本語 ok"}]})";
  const json::object whole = parse_object(ask(body, "echo").body);
  EXPECT_EQ(whole.at("content").at(0).at("text").as_string(), body);
}

TEST(MockScenarios, EchoNeverSplitsAUtf8Character) {
  // Shift multi-byte characters across every piece boundary; a split one would make a delta's
  // JSON invalid UTF-8, which the parser in assemble() rejects.
  for (std::size_t pad = 0; pad < 4; ++pad) {
    std::string text(pad, 'x');
    for (int i = 0; i < 20; ++i) text += "日本語✓é😀";
    json::object body{{"stream", true},
                      {"messages", json::array{json::object{{"role", "user"}, {"content", text}}}}};
    const std::string raw = json::serialize(body);
    SCOPED_TRACE(pad);
    const MockReply reply = ask(raw, "echo");
    const Assembled assembled = assemble(reply.events);
    ASSERT_EQ(assembled.error, "");
    EXPECT_EQ(assembled.message.at("content").at(0).at("text").as_string(), raw);
    EXPECT_GT(delta_texts(reply.events).size(), 10u);
  }
}

TEST(MockScenarios, OutputIsDeterministic) {
  for (std::string_view scenario : {"text", "tool_use", "two_tools", "thinking", "claude_code"}) {
    const MockReply a = ask(kHelloStream, scenario);
    const MockReply b = ask(kHelloStream, scenario);
    ASSERT_EQ(a.events.size(), b.events.size());
    for (std::size_t i = 0; i < a.events.size(); ++i) EXPECT_EQ(a.events[i].data, b.events[i].data);
    EXPECT_EQ(ask(kHello, scenario).body, ask(kHello, scenario).body);
  }
  EXPECT_EQ(parse_object(ask(kHello, "tool_use").body).at("id"), "msg_mock_tool_use_0001");
}

TEST(MockScenarios, BadBodiesGet400) {
  for (std::string_view body : {"", "not json", "[1,2]", "\"text\"", "{\"a\":"}) {
    SCOPED_TRACE(body);
    const MockReply reply = ask(body);
    EXPECT_EQ(reply.status, 400u);
    EXPECT_FALSE(reply.streaming);
    EXPECT_EQ(parse_object(reply.body).at("error").at("type"), "invalid_request_error");
  }
  const MockReply unknown = ask(kHelloStream, "no_such_scenario");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_FALSE(unknown.streaming);
}

// ---- selection precedence: header > marker in last user message > model > text ----

TEST(MockScenarioSelection, Precedence) {
  const std::string marker_and_model =
      R"({"model":"claude-mock-thinking",)"
      R"("messages":[{"role":"user","content":"x [[scenario:two_tools]] y"}]})";
  EXPECT_EQ(select_scenario("tool_use", marker_and_model), "tool_use");
  EXPECT_EQ(select_scenario("", marker_and_model), "two_tools");
  EXPECT_EQ(select_scenario("", R"({"model":"claude-mock-thinking","messages":[]})"), "thinking");
  EXPECT_EQ(select_scenario("", kHello), "text");
  EXPECT_EQ(select_scenario("", "not json"), "text");
  EXPECT_EQ(select_scenario("error_529", "not json"), "error_529");
}

TEST(MockScenarioSelection, MarkerOnlyCountsInTheLastUserMessage) {
  const std::string in_earlier_user =
      R"({"messages":[{"role":"user","content":"[[scenario:thinking]]"},)"
      R"({"role":"assistant","content":"ok"},{"role":"user","content":"plain"}]})";
  EXPECT_EQ(select_scenario("", in_earlier_user), "text");
  const std::string before_assistant =
      R"({"messages":[{"role":"user","content":"[[scenario:thinking]]"},)"
      R"({"role":"assistant","content":"[[scenario:echo]]"}]})";
  EXPECT_EQ(select_scenario("", before_assistant), "thinking");
  const std::string in_blocks = R"({"messages":[{"role":"user","content":[)"
                                R"({"type":"tool_result","tool_use_id":"t","content":"a"},)"
                                R"({"type":"text","text":"now [[scenario:error_429]]"}]}]})";
  EXPECT_EQ(select_scenario("", in_blocks), "error_429");
}

TEST(MockScenarioSelection, ModelNameOnlyMatchesKnownScenarios) {
  EXPECT_EQ(select_scenario("", R"({"model":"claude-mock-1"})"), "text");
  EXPECT_EQ(select_scenario("", R"({"model":"claude-mock-tool_use"})"), "tool_use");
  EXPECT_EQ(select_scenario("", R"({"model":"claude-mock-error_429"})"), "error_429");
  EXPECT_EQ(select_scenario("", R"({"model":"x-mock-nope-mock-echo"})"), "echo");
  EXPECT_EQ(select_scenario("", R"({"model":"claude-mock-two_tools-v2"})"), "two_tools");
  EXPECT_EQ(select_scenario("", R"({"model":42})"), "text");
}

// ---- other endpoints ----

TEST(MockEndpoints, CountTokensModelsAndErrors) {
  EXPECT_EQ(parse_object(count_tokens_body(std::string(40, 'x'))).at("input_tokens"), 10);
  EXPECT_EQ(parse_object(count_tokens_body("abc")).at("input_tokens"), 0);

  const json::object models = parse_object(models_body());
  ASSERT_EQ(models.at("data").as_array().size(), 1u);
  EXPECT_EQ(models.at("data").at(0).at("id").as_string(), kMockModel);
  EXPECT_EQ(models.at("data").at(0).at("type"), "model");
  EXPECT_EQ(models.at("has_more"), false);
  EXPECT_EQ(parse_object(model_body()).at("id").as_string(), kMockModel);

  EXPECT_EQ(error_type_for_status(402), "billing_error");
  EXPECT_EQ(error_type_for_status(409), "conflict_error");
  EXPECT_EQ(
      json::parse(error_body(529, "req_1")),
      json::parse(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},)"
                  R"("request_id":"req_1"})"));
  EXPECT_EQ(
      parse_object(error_body(400, "r", "max_tokens: Field required")).at("error").at("message"),
      "max_tokens: Field required");
}

// ==== OpenAI Chat Completions (answer_chat_completions) ====

constexpr std::string_view kChat = R"({"model":"gpt-mock-1",)"
                                   R"("messages":[{"role":"user","content":"hi"}]})";
constexpr std::string_view kChatStream = R"({"model":"gpt-mock-1","stream":true,)"
                                         R"("messages":[{"role":"user","content":"hi"}]})";
constexpr std::string_view kChatStreamUsage =
    R"({"model":"gpt-mock-1","stream":true,"stream_options":{"include_usage":true},)"
    R"("messages":[{"role":"user","content":"hi"}]})";

MockReply ask_chat(std::string_view body, std::string_view scenario = {},
                   std::string_view delay = {}) {
  MessagesRequest request;
  request.body = body;
  request.scenario_header = scenario;
  request.delay_header = delay;
  request.request_id = "req_mock_test";
  return answer_chat_completions(request);
}

// Accumulates a chunk stream the way openai-node's ChatCompletionStream does and checks every
// MUST of PROTOCOLS.md 3.4 and 3.6 on the way; reports the first rule it breaks.
// `complete` = the stream must finish and end with [DONE]; `include_usage` = the request had
// stream_options.include_usage.
struct ChatAssembled {
  json::object completion;  // in the shape of a non-streaming chat.completion
  std::string error;        // empty when the stream is valid
  bool done = false;        // [DONE] seen
  std::optional<json::object> error_chunk;
  std::size_t content_deltas = 0;
  std::size_t argument_fragments = 0;
};

ChatAssembled assemble_chat(const std::vector<SseEvent>& events, bool include_usage,
                            bool complete = true) {
  ChatAssembled out;
  auto fail = [&out](std::string why) {
    if (out.error.empty()) out.error = std::move(why);
    return out;
  };
  std::optional<json::object> head;  // id, object, created, model of the first chunk
  std::string role;
  std::string content;
  bool content_seen = false;
  json::array tool_calls;
  std::optional<std::string> finish;
  bool usage_seen = false;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const SseEvent& event = events[i];
    const std::string where = "chunk " + std::to_string(i) + ": ";
    if (!event.name.empty()) return fail(where + "has an event name");
    if (format_sse(event) != "data: " + event.data + "\n\n") return fail(where + "bad wire form");
    if (event.data.find('\n') != std::string::npos) return fail(where + "multi-line data");
    if (out.done) return fail(where + "after [DONE]");
    if (out.error_chunk) return fail(where + "after an error chunk");
    if (event.data == "[DONE]") {
      if (!finish) return fail(where + "[DONE] without a finish_reason");
      if (include_usage && !usage_seen) return fail(where + "[DONE] before the usage chunk");
      out.done = true;
      continue;
    }
    json::error_code ec;
    const json::value parsed = json::parse(event.data, ec);
    if (ec || !parsed.is_object()) return fail(where + "data is not a JSON object");
    const json::object& data = parsed.get_object();
    if (data.contains("error")) {
      const json::object& error = data.at("error").as_object();
      for (std::string_view key : {"message", "type", "param", "code"}) {
        if (!error.contains(key)) return fail(where + "error without " + std::string(key));
      }
      out.error_chunk = error;
      continue;
    }
    json::object this_head;
    for (std::string_view key : {"id", "object", "created", "model"}) {
      if (!data.contains(key)) return fail(where + "no " + std::string(key));
      this_head[key] = data.at(key);
    }
    if (data.at("object") != "chat.completion.chunk") return fail(where + "wrong object");
    if (!head) head = this_head;
    if (this_head != *head) return fail(where + "id/created/model changed");
    if (include_usage != data.contains("usage")) {
      return fail(where + (include_usage ? "no usage key" : "usage key without include_usage"));
    }
    const json::array& choices = data.at("choices").as_array();
    if (choices.empty()) {
      if (!include_usage || !data.at("usage").is_object()) return fail(where + "no choices");
      if (!finish) return fail(where + "usage chunk before the finish chunk");
      if (usage_seen) return fail(where + "second usage chunk");
      usage_seen = true;
      out.completion["usage"] = data.at("usage");
      continue;
    }
    if (usage_seen) return fail(where + "choice chunk after the usage chunk");
    if (include_usage && !data.at("usage").is_null()) return fail(where + "usage not null");
    if (choices.size() != 1) return fail(where + "more than one choice");
    const json::object& choice = choices[0].as_object();
    if (choice.at("index") != 0) return fail(where + "choice index not 0");
    if (!choice.at("logprobs").is_null()) return fail(where + "logprobs not null");
    const json::object& delta = choice.at("delta").as_object();
    if (finish) return fail(where + "chunk after the finish chunk");
    if (i == 0) {
      if (delta.size() != 3 || !delta.contains("role") || delta.at("content") != "" ||
          !delta.at("refusal").is_null()) {
        return fail(where + "first delta is not {role, content: \"\", refusal: null}");
      }
    }
    if (const json::value* r = delta.if_contains("role")) {
      if (i != 0) return fail(where + "role after the first chunk");
      role = r->as_string();
    }
    if (role.empty()) return fail(where + "no role in the first chunk");
    if (const json::value* c = delta.if_contains("content")) {
      if (!c->is_string()) return fail(where + "content not a string");
      content += c->as_string();
      if (!c->as_string().empty()) {
        ++out.content_deltas;
        content_seen = true;
      }
    }
    if (const json::value* calls = delta.if_contains("tool_calls")) {
      for (const auto& call_value : calls->as_array()) {
        const json::object& call = call_value.as_object();
        const std::int64_t index = call.at("index").as_int64();
        const json::object& function = call.at("function").as_object();
        if (index == static_cast<std::int64_t>(tool_calls.size())) {
          // First piece: id, type, name and empty arguments.
          if (!call.contains("id") || !call.at("id").is_string() || call.at("type") != "function" ||
              !function.contains("name") || function.at("arguments") != "") {
            return fail(where + "first tool-call piece incomplete");
          }
          json::object entry{
              {"id", call.at("id")},
              {"type", "function"},
              {"function", json::object{{"name", function.at("name")}, {"arguments", ""}}}};
          tool_calls.push_back(std::move(entry));
        } else if (index >= 0 && index < static_cast<std::int64_t>(tool_calls.size())) {
          if (call.size() != 2 || function.size() != 1 || !function.contains("arguments")) {
            return fail(where + "later tool-call piece carries more than index + arguments");
          }
          json::object& target =
              tool_calls[static_cast<std::size_t>(index)].as_object().at("function").as_object();
          target["arguments"] = std::string(target.at("arguments").as_string()) +
                                std::string(function.at("arguments").as_string());
          ++out.argument_fragments;
        } else {
          return fail(where + "tool-call index not dense");
        }
      }
    }
    const json::value& reason = choice.at("finish_reason");
    if (!reason.is_null()) {
      if (!delta.empty()) return fail(where + "finish chunk with a non-empty delta");
      finish = std::string(reason.as_string());
    }
  }
  if (complete && !out.done) return fail("stream ended without [DONE]");
  for (const auto& call : tool_calls) {
    json::error_code ec;
    const json::value args = json::parse(call.at("function").at("arguments").as_string(), ec);
    if (ec || !args.is_object()) return fail("tool-call arguments are not a JSON object");
  }
  if (head) {
    out.completion["id"] = head->at("id");
    out.completion["object"] = "chat.completion";
    out.completion["created"] = head->at("created");
    out.completion["model"] = head->at("model");
  }
  json::object message{{"role", role},
                       {"content", content_seen ? json::value(content) : json::value(nullptr)},
                       {"refusal", nullptr},
                       {"annotations", json::array{}}};
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  out.completion["message"] = std::move(message);
  out.completion["finish_reason"] = finish ? json::value(*finish) : json::value(nullptr);
  return out;
}

std::string with_usage(const std::string& body) {
  json::object object = parse_object(body);
  object["stream"] = true;
  object["stream_options"] = json::object{{"include_usage", true}};
  return json::serialize(object);
}

std::vector<std::string> chat_contents(const std::vector<SseEvent>& events) {
  std::vector<std::string> texts;
  for (const auto& event : events) {
    if (event.data == "[DONE]") continue;
    const json::value data = json::parse(event.data);
    if (!data.as_object().contains("choices") || data.at("choices").as_array().empty()) continue;
    const json::object& delta = data.at("choices").at(0).at("delta").as_object();
    const json::value* content = delta.if_contains("content");
    if (content != nullptr && content->is_string() && !content->as_string().empty()) {
      texts.emplace_back(content->as_string());
    }
  }
  return texts;
}

// The OpenAI-shape bodies of the cases above (`model` changed, Anthropic-only fields kept: the
// mock ignores them).
const std::string kChatToolResultBody =
    R"({"model":"gpt-mock-claude_code","messages":[)"
    R"({"role":"user","content":"run it"},)"
    R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_mock_bash_0001",)"
    R"("type":"function","function":{"name":"Bash","arguments":"{}"}}]},)"
    R"({"role":"tool","tool_call_id":"call_mock_bash_0001","content":"warden-e2e-ok"}]})";

class ChatCompleteScenarioTest : public ::testing::TestWithParam<StreamCase> {};

TEST_P(ChatCompleteScenarioTest, StreamIsValidAndMatchesNonStreaming) {
  const StreamCase& c = GetParam();
  const MockReply whole = ask_chat(c.body, c.scenario, "1");
  ASSERT_FALSE(whole.streaming);
  ASSERT_EQ(whole.status, 200u);
  const json::object completion = parse_object(whole.body);
  EXPECT_EQ(completion.at("object"), "chat.completion");
  EXPECT_EQ(completion.at("created"), kMockCreated);
  const json::object& choice = completion.at("choices").at(0).as_object();
  EXPECT_EQ(choice.at("index"), 0);
  EXPECT_TRUE(choice.at("logprobs").is_null());

  for (const bool usage : {false, true}) {
    SCOPED_TRACE(usage ? "include_usage" : "no usage");
    const std::string stream_body = usage ? with_usage(c.body) : with_stream(c.body);
    const MockReply streamed = ask_chat(stream_body, c.scenario, "1");
    ASSERT_TRUE(streamed.streaming);
    EXPECT_EQ(streamed.status, 200u);
    EXPECT_EQ(streamed.end, ReplyEnd::kComplete);
    const ChatAssembled assembled = assemble_chat(streamed.events, usage);
    ASSERT_EQ(assembled.error, "");
    EXPECT_EQ(streamed.events.back().data, "[DONE]");

    for (std::string_view key : {"id", "object", "created", "model"}) {
      EXPECT_EQ(assembled.completion.at(key), completion.at(key)) << key;
    }
    EXPECT_EQ(assembled.completion.at("finish_reason"), choice.at("finish_reason"));
    if (c.scenario == "echo") {
      EXPECT_EQ(assembled.completion.at("message").at("content").as_string(), stream_body);
      EXPECT_EQ(choice.at("message").at("content").as_string(), c.body);
    } else {
      EXPECT_EQ(assembled.completion.at("message"), choice.at("message"));
      if (usage) {
        // The same usage but for prompt_tokens, which count the (longer) stream request.
        json::object streamed_usage = assembled.completion.at("usage").as_object();
        json::object whole_usage = completion.at("usage").as_object();
        EXPECT_EQ(streamed_usage.at("prompt_tokens"),
                  static_cast<std::int64_t>(stream_body.size() / 4));
        for (json::object* u : {&streamed_usage, &whole_usage}) {
          u->erase("prompt_tokens");
          u->erase("total_tokens");
        }
        EXPECT_EQ(streamed_usage, whole_usage);
      }
    }
  }
  EXPECT_GT(completion.at("usage").at("completion_tokens").as_int64(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, ChatCompleteScenarioTest,
    ::testing::Values(
        StreamCase{"text", "text", std::string(kChat)},
        StreamCase{"tool_use", "tool_use", std::string(kChat)},
        StreamCase{"two_tools", "two_tools", std::string(kChat)},
        StreamCase{"thinking", "thinking", std::string(kChat)},
        StreamCase{"slow", "slow", std::string(kChat)},
        StreamCase{"claude_code_tool_call", "claude_code", std::string(kChat)},
        StreamCase{"claude_code_answer", "claude_code", kChatToolResultBody},
        StreamCase{"echo", "echo",
                   R"({"messages":[{"role":"user","content":"h\u00e9 ✓ 日本語"}]})"},
        StreamCase{"judge", "judge", chat_judge_body("gpt-mock-judge", kHarmlessCall)},
        StreamCase{"judge_risky", "judge", chat_judge_body("gpt-mock-judge", kRiskyCall)},
        StreamCase{"judge_fenced", "judge_fenced", std::string(kChat)},
        StreamCase{"judge_invalid", "judge_invalid", std::string(kChat)},
        StreamCase{"judge_slow", "judge_slow", std::string(kChat)},
        StreamCase{"rules_rewrite", "rules",
                   chat_judge_body("gpt-mock-rules", rules_prompt("internal.example"))}),
    [](const ::testing::TestParamInfo<StreamCase>& info) { return info.param.name; });

TEST(ChatStreamChecker, RejectsBrokenStreams) {
  const auto chunk = [](std::string_view choice_json) {
    return SseEvent{"",
                    R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"m",)"
                    R"("choices":[)" +
                        std::string(choice_json) + "]}",
                    {}};
  };
  const SseEvent role =
      chunk(R"({"index":0,"delta":{"role":"assistant","content":"","refusal":null},)"
            R"("logprobs":null,"finish_reason":null})");
  const SseEvent text =
      chunk(R"({"index":0,"delta":{"content":"x"},"logprobs":null,"finish_reason":null})");
  const SseEvent finish = chunk(R"({"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"})");
  const SseEvent done{"", "[DONE]", {}};
  const SseEvent named{"message", role.data, {}};
  const SseEvent tool_without_name =
      chunk(R"({"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function",)"
            R"("function":{"arguments":""}}]},"logprobs":null,"finish_reason":null})");
  const SseEvent tool_index_1 =
      chunk(R"({"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_1","type":"function",)"
            R"("function":{"name":"f","arguments":""}}]},"logprobs":null,"finish_reason":null})");
  EXPECT_EQ(assemble_chat({role, text, finish, done}, false).error, "");
  EXPECT_NE(assemble_chat({text, finish, done}, false).error, "");         // no role
  EXPECT_NE(assemble_chat({role, text, done}, false).error, "");           // no finish
  EXPECT_NE(assemble_chat({role, text, finish}, false).error, "");         // no [DONE]
  EXPECT_NE(assemble_chat({named, text, finish, done}, false).error, "");  // event: line
  EXPECT_NE(assemble_chat({role, finish, text, done}, false).error, "");   // after finish
  EXPECT_NE(assemble_chat({role, text, finish, done}, true).error, "");    // no usage
  EXPECT_NE(assemble_chat({role, tool_without_name, finish, done}, false).error, "");
  EXPECT_NE(assemble_chat({role, tool_index_1, finish, done}, false).error, "");
  EXPECT_EQ(assemble_chat({role, text}, false, /*complete=*/false).error, "");
}

TEST(ChatScenarios, EventsHaveNoNameAndTheExactWireForm) {
  EXPECT_EQ(format_sse(SseEvent{"", "[DONE]", {}}), "data: [DONE]\n\n");
  const MockReply reply = ask_chat(kChatStream);
  for (const auto& event : reply.events) EXPECT_EQ(event.name, "");
  // The canonical first chunk, byte for byte (field order as the API sends it).
  EXPECT_EQ(reply.events.front().data,
            R"({"id":"chatcmpl-mock_text_0001","object":"chat.completion.chunk",)"
            R"("created":1700000000,"model":"gpt-mock-1","service_tier":"default",)"
            R"("system_fingerprint":"fp_mock0001","choices":[{"index":0,"delta":)"
            R"({"role":"assistant","content":"","refusal":null},"logprobs":null,)"
            R"("finish_reason":null}]})");
  EXPECT_EQ(reply.events.back().data, "[DONE]");
}

TEST(ChatScenarios, TextStreamsTwentyContentChunks) {
  const MockReply reply = ask_chat(kChatStream);
  const std::vector<std::string> texts = chat_contents(reply.events);
  ASSERT_EQ(texts.size(), 20u);
  // role, 20 contents, finish, [DONE]
  EXPECT_EQ(reply.events.size(), 23u);
  const json::object whole = parse_object(ask_chat(kChat).body);
  std::string joined;
  for (const auto& text : texts) joined += text;
  EXPECT_EQ(whole.at("choices").at(0).at("message").at("content").as_string(), joined);
  EXPECT_EQ(joined.rfind("Hello from the mock upstream. ", 0), 0u);
  EXPECT_EQ(whole.at("id"), "chatcmpl-mock_text_0001");
  EXPECT_EQ(whole.at("model"), "gpt-mock-1");
  EXPECT_EQ(whole.at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_FALSE(whole.at("choices").at(0).at("message").as_object().contains("tool_calls"));
  // The model is echoed back, whatever it is.
  const std::string other = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})";
  EXPECT_EQ(parse_object(ask_chat(other).body).at("model"), "gpt-4o");
}

TEST(ChatScenarios, UsageChunkOnlyWithIncludeUsage) {
  const MockReply plain = ask_chat(kChatStream);
  for (const auto& event : plain.events) {
    EXPECT_EQ(event.data.find("\"usage\""), std::string::npos) << event.data;
  }
  const MockReply with = ask_chat(kChatStreamUsage);
  ASSERT_GE(with.events.size(), 3u);
  const json::value usage_chunk = json::parse(with.events[with.events.size() - 2].data);
  EXPECT_TRUE(usage_chunk.at("choices").as_array().empty());
  const json::object& usage = usage_chunk.at("usage").as_object();
  EXPECT_EQ(usage.at("completion_tokens"),
            parse_object(ask_chat(kChat).body).at("usage").at("completion_tokens"));
  EXPECT_EQ(usage.at("total_tokens").as_int64(),
            usage.at("prompt_tokens").as_int64() + usage.at("completion_tokens").as_int64());
  EXPECT_EQ(usage.at("prompt_tokens"), static_cast<std::int64_t>(kChatStreamUsage.size() / 4));
  // include_usage without stream: an ordinary JSON answer.
  const std::string no_stream = R"({"model":"gpt-mock-1","stream_options":{"include_usage":true},)"
                                R"("messages":[{"role":"user","content":"hi"}]})";
  EXPECT_FALSE(ask_chat(no_stream).streaming);
}

TEST(ChatScenarios, ToolUseCallsGetWeatherInSeveralFragments) {
  const MockReply reply = ask_chat(kChatStream, "tool_use");
  const ChatAssembled assembled = assemble_chat(reply.events, false);
  ASSERT_EQ(assembled.error, "");
  EXPECT_EQ(assembled.argument_fragments, 3u);
  EXPECT_EQ(assembled.content_deltas, 3u);
  // The first piece of the call, byte for byte.
  bool found = false;
  for (const auto& event : reply.events) {
    if (event.data.find("\"id\":\"call_mock_weather_0001\"") == std::string::npos) continue;
    found = true;
    EXPECT_NE(event.data.find(R"("delta":{"tool_calls":[{"index":0,"id":"call_mock_weather_0001",)"
                              R"("type":"function","function":{"name":"get_weather",)"
                              R"("arguments":""}}]})"),
              std::string::npos)
        << event.data;
  }
  EXPECT_TRUE(found);

  const json::object whole = parse_object(ask_chat(kChat, "tool_use").body);
  const json::object& choice = whole.at("choices").at(0).as_object();
  EXPECT_EQ(choice.at("finish_reason"), "tool_calls");
  EXPECT_EQ(choice.at("message").at("content"), "I'll check the weather in San Francisco.");
  const json::array& calls = choice.at("message").at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].at("id"), "call_mock_weather_0001");
  EXPECT_EQ(calls[0].at("type"), "function");
  EXPECT_EQ(calls[0].at("function").at("name"), "get_weather");
  EXPECT_EQ(calls[0].at("function").at("arguments"),
            R"({"location": "San Francisco, CA", "unit": "celsius"})");
}

TEST(ChatScenarios, TwoToolsAreParallelCallsWithIndices0And1) {
  const MockReply reply = ask_chat(kChatStream, "two_tools");
  const ChatAssembled assembled = assemble_chat(reply.events, false);
  ASSERT_EQ(assembled.error, "");
  const json::object& message = assembled.completion.at("message").as_object();
  EXPECT_TRUE(message.at("content").is_null());
  const json::array& calls = message.at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].at("id"), "call_mock_weather_0001");
  EXPECT_EQ(calls[0].at("function").at("name"), "get_weather");
  EXPECT_EQ(calls[1].at("id"), "call_mock_time_0002");
  EXPECT_EQ(calls[1].at("function").at("name"), "get_time");
  EXPECT_EQ(json::parse(calls[1].at("function").at("arguments").as_string()),
            json::parse(R"({"timezone": "America/Los_Angeles"})"));
  EXPECT_EQ(assembled.completion.at("finish_reason"), "tool_calls");
  const json::object whole = parse_object(ask_chat(kChat, "two_tools").body);
  EXPECT_TRUE(whole.at("choices").at(0).at("message").at("content").is_null());
}

TEST(ChatScenarios, ThinkingAnswersTheTextOnly) {
  const MockReply reply = ask_chat(kChatStreamUsage, "thinking");
  for (const auto& event : reply.events) {
    EXPECT_EQ(event.data.find("thinking\""), std::string::npos) << event.data;
    EXPECT_EQ(event.data.find("reasoning_content"), std::string::npos) << event.data;
  }
  EXPECT_EQ(chat_contents(reply.events).size(), 3u);
  const json::object whole = parse_object(ask_chat(kChat, "thinking").body);
  EXPECT_EQ(whole.at("choices").at(0).at("message").at("content"), "Hello after thinking.");
  // The thinking still counts, as reasoning tokens inside completion_tokens.
  const json::object& usage = whole.at("usage").as_object();
  EXPECT_GT(usage.at("completion_tokens_details").at("reasoning_tokens").as_int64(), 0);
  EXPECT_GT(usage.at("completion_tokens").as_int64(),
            usage.at("completion_tokens_details").at("reasoning_tokens").as_int64());
}

TEST(ChatScenarios, MidstreamErrorEndsWithAnErrorChunkAndNoDone) {
  for (std::string_view body : {kChatStream, kChatStreamUsage}) {
    SCOPED_TRACE(body);
    const MockReply reply = ask_chat(body, "midstream_error");
    ASSERT_TRUE(reply.streaming);
    EXPECT_EQ(reply.end, ReplyEnd::kComplete);  // the response itself ends cleanly
    const ChatAssembled assembled =
        assemble_chat(reply.events, body == kChatStreamUsage, /*complete=*/false);
    ASSERT_EQ(assembled.error, "");
    EXPECT_FALSE(assembled.done);
    EXPECT_EQ(assembled.content_deltas, 3u);
    ASSERT_TRUE(assembled.error_chunk.has_value());
    EXPECT_EQ(json::parse(reply.events.back().data),
              json::parse(R"({"error":{"message":"Overloaded","type":"server_error",)"
                          R"("param":null,"code":"server_is_overloaded"}})"));
  }
  const MockReply whole = ask_chat(kChat, "midstream_error");
  EXPECT_FALSE(whole.streaming);
  EXPECT_EQ(whole.status, 503u);
  EXPECT_TRUE(whole.retry_after);
  EXPECT_EQ(parse_object(whole.body).at("error").at("code"), "server_is_overloaded");
}

TEST(ChatScenarios, DropStopsAfterAFewContentChunks) {
  const MockReply reply = ask_chat(kChatStream, "drop");
  ASSERT_TRUE(reply.streaming);
  EXPECT_EQ(reply.end, ReplyEnd::kDrop);
  const ChatAssembled assembled = assemble_chat(reply.events, false, /*complete=*/false);
  ASSERT_EQ(assembled.error, "");
  EXPECT_FALSE(assembled.done);
  EXPECT_EQ(assembled.content_deltas, 3u);
  EXPECT_TRUE(assembled.completion.at("finish_reason").is_null());

  const MockReply whole = ask_chat(kChat, "drop");
  EXPECT_EQ(whole.status, 200u);
  EXPECT_EQ(whole.end, ReplyEnd::kDrop);
  EXPECT_EQ(parse_object(whole.body).at("object"), "chat.completion");
}

TEST(ChatScenarios, ErrorScenariosAnswerInOpenAIShape) {
  struct Case {
    unsigned status;
    std::string_view type;
    std::optional<std::string_view> code;
    bool retry_after;
  };
  const Case cases[] = {{400, "invalid_request_error", std::nullopt, false},
                        {401, "invalid_request_error", "invalid_api_key", false},
                        {403, "permission_error", std::nullopt, false},
                        {404, "invalid_request_error", "model_not_found", false},
                        {409, "invalid_request_error", std::nullopt, false},
                        {413, "invalid_request_error", "request_too_large", false},
                        {422, "invalid_request_error", std::nullopt, false},
                        {429, "requests", "rate_limit_exceeded", true},
                        {500, "server_error", std::nullopt, true},
                        {502, "server_error", std::nullopt, true},
                        {503, "server_error", "server_is_overloaded", true},
                        {504, "server_error", std::nullopt, true},
                        {529, "server_error", "server_is_overloaded", true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    const std::string name = "error_" + std::to_string(c.status);
    for (std::string_view body : {kChat, kChatStream}) {
      const MockReply reply = ask_chat(body, name);
      EXPECT_FALSE(reply.streaming);
      EXPECT_TRUE(reply.events.empty());
      EXPECT_EQ(reply.status, c.status);
      EXPECT_EQ(reply.retry_after, c.retry_after);
      const json::object root = parse_object(reply.body);
      ASSERT_EQ(root.size(), 1u);
      const json::object& error = root.at("error").as_object();
      EXPECT_EQ(error.size(), 4u);
      EXPECT_EQ(error.at("type").as_string(), c.type);
      EXPECT_TRUE(error.at("param").is_null());
      if (c.code) {
        EXPECT_EQ(error.at("code").as_string(), *c.code);
      } else {
        EXPECT_TRUE(error.at("code").is_null());
      }
      // The same text as the Anthropic side's error, so the two can be compared.
      EXPECT_EQ(error.at("message"),
                parse_object(ask(kHello, name).body).at("error").at("message"));
    }
  }
}

TEST(ChatScenarios, SlowDelaysEveryContentChunk) {
  const MockReply fast = ask_chat(kChatStream, "slow", "5");
  std::size_t delayed = 0;
  for (const auto& event : fast.events) {
    if (event.delay.count() > 0) {
      ++delayed;
      EXPECT_EQ(event.delay, std::chrono::milliseconds{5});
      EXPECT_NE(event.data.find("\"content\""), std::string::npos);
    }
  }
  EXPECT_EQ(delayed, 20u);
  EXPECT_EQ(chat_contents(fast.events), chat_contents(ask_chat(kChatStream, "text").events));
  EXPECT_EQ(ask_chat(kChat, "slow", "5").delay, std::chrono::milliseconds{5 * 20});
  for (const auto& event : ask_chat(kChatStream, "text", "5").events) {
    EXPECT_EQ(event.delay, std::chrono::milliseconds{0});
  }
}

TEST(ChatScenarios, ClaudeCodeCallsBashThenQuotesTheToolMessages) {
  const json::object call = parse_object(ask_chat(kChat, "claude_code").body);
  const json::value& message = call.at("choices").at(0).at("message");
  EXPECT_EQ(message.at("tool_calls").at(0).at("id"), "call_mock_bash_0001");
  EXPECT_EQ(message.at("tool_calls").at(0).at("function").at("name"), "Bash");
  EXPECT_EQ(json::parse(message.at("tool_calls").at(0).at("function").at("arguments").as_string()),
            json::parse(R"({"command": "echo warden-e2e-ok", "description": "Print a marker"})"));

  const json::object answer = parse_object(ask_chat(kChatToolResultBody).body);  // from model
  EXPECT_EQ(answer.at("id"), "chatcmpl-mock_claude_code_0002");
  EXPECT_EQ(answer.at("choices").at(0).at("message").at("content"), "Tool said: warden-e2e-ok");
  EXPECT_EQ(answer.at("choices").at(0).at("finish_reason"), "stop");

  // Tool messages before the last assistant message are an earlier turn's.
  const std::string older =
      R"({"messages":[{"role":"tool","tool_call_id":"t","content":"old"},)"
      R"({"role":"assistant","content":"ok"},{"role":"user","content":"again"}]})";
  EXPECT_TRUE(parse_object(ask_chat(older, "claude_code").body)
                  .at("choices")
                  .at(0)
                  .at("message")
                  .as_object()
                  .contains("tool_calls"));
  const std::string parts =
      R"({"messages":[{"role":"assistant","content":null},)"
      R"({"role":"tool","tool_call_id":"a","content":[{"type":"text","text":"one"}]},)"
      R"({"role":"tool","tool_call_id":"b","content":"two"}]})";
  EXPECT_EQ(parse_object(ask_chat(parts, "claude_code").body)
                .at("choices")
                .at(0)
                .at("message")
                .at("content"),
            "Tool said: one\ntwo");
}

TEST(ChatScenarios, EchoAnswersWithTheRawBody) {
  const std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"h\u00e9 ✓ 日本語 ok"}]})";
  EXPECT_EQ(parse_object(ask_chat(body, "echo").body)
                .at("choices")
                .at(0)
                .at("message")
                .at("content")
                .as_string(),
            body);
}

TEST(ChatScenarios, OutputIsDeterministic) {
  for (std::string_view scenario : {"text", "tool_use", "two_tools", "thinking", "claude_code"}) {
    const MockReply a = ask_chat(kChatStreamUsage, scenario);
    const MockReply b = ask_chat(kChatStreamUsage, scenario);
    ASSERT_EQ(a.events.size(), b.events.size());
    for (std::size_t i = 0; i < a.events.size(); ++i) EXPECT_EQ(a.events[i].data, b.events[i].data);
    EXPECT_EQ(ask_chat(kChat, scenario).body, ask_chat(kChat, scenario).body);
  }
}

TEST(ChatScenarios, BadBodiesGet400InOpenAIShape) {
  for (std::string_view body : {"", "not json", "[1,2]", "{\"a\":"}) {
    SCOPED_TRACE(body);
    const MockReply reply = ask_chat(body);
    EXPECT_EQ(reply.status, 400u);
    EXPECT_FALSE(reply.streaming);
    EXPECT_EQ(parse_object(reply.body).at("error").at("type"), "invalid_request_error");
  }
  const MockReply unknown = ask_chat(kChatStream, "no_such_scenario");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_NE(
      parse_object(unknown.body).at("error").at("message").as_string().find("no_such_scenario"),
      std::string::npos);
}

TEST(ChatScenarios, SelectionReadsOpenAIMessages) {
  // The marker in text parts of the last user message; not in system or assistant messages.
  const std::string parts =
      R"({"model":"gpt-4o","messages":[{"role":"system","content":"[[scenario:echo]]"},)"
      R"({"role":"user","content":[{"type":"text","text":"go [[scenario:tool_use]]"}]}]})";
  EXPECT_EQ(select_scenario("", parts), "tool_use");
  const std::string system_only =
      R"({"model":"gpt-4o","messages":[{"role":"system","content":"[[scenario:echo]]"},)"
      R"({"role":"user","content":"hi"}]})";
  EXPECT_EQ(select_scenario("", system_only), "text");
  EXPECT_EQ(select_scenario("", R"({"model":"gpt-mock-two_tools","messages":[]})"), "two_tools");
  EXPECT_EQ(parse_object(ask_chat(parts).body).at("choices").at(0).at("finish_reason"),
            "tool_calls");
}

// ---- the two dialects answer the same content ----

struct DialectCase {
  std::string name;
  std::string scenario;
  std::string anthropic_body;
  std::string openai_body;
};

void PrintTo(const DialectCase& c, std::ostream* os) { *os << c.name; }

class CrossDialectTest : public ::testing::TestWithParam<DialectCase> {};

TEST_P(CrossDialectTest, SameTextToolCallsAndDeltas) {
  const DialectCase& c = GetParam();
  const json::object message = parse_object(ask(c.anthropic_body, c.scenario).body);
  const json::object completion = parse_object(ask_chat(c.openai_body, c.scenario).body);
  const json::object& choice = completion.at("choices").at(0).as_object();

  std::string text;
  json::array tools;
  for (const auto& block : message.at("content").as_array()) {
    if (block.at("type") == "text") text += block.at("text").as_string();
    if (block.at("type") == "tool_use") tools.push_back(block);
  }
  const json::value& content = choice.at("message").at("content");
  if (text.empty()) {
    EXPECT_TRUE(content.is_null());
  } else {
    EXPECT_EQ(content.as_string(), text);
  }

  const json::object& openai_message = choice.at("message").as_object();
  const json::array no_calls;
  const json::array& calls =
      openai_message.contains("tool_calls") ? openai_message.at("tool_calls").as_array() : no_calls;
  ASSERT_EQ(calls.size(), tools.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].at("function").at("name"), tools[i].at("name"));
    EXPECT_EQ(json::parse(calls[i].at("function").at("arguments").as_string()),
              tools[i].at("input"));
    // call_mock_X is the toolu_mock_X of the other side.
    EXPECT_EQ(calls[i].at("id").as_string().subview().substr(5),
              tools[i].at("id").as_string().subview().substr(6));
  }

  const std::string_view stop = message.at("stop_reason").as_string();
  EXPECT_EQ(choice.at("finish_reason").as_string(), stop == "tool_use" ? "tool_calls" : "stop");
  EXPECT_EQ(completion.at("usage").at("completion_tokens"),
            message.at("usage").at("output_tokens"));

  // Streams: the same text pieces, and the tool arguments arrive as the same fragments.
  const MockReply anthropic_stream = ask(with_stream(c.anthropic_body), c.scenario);
  const MockReply openai_stream = ask_chat(with_stream(c.openai_body), c.scenario);
  if (c.scenario != "echo") {  // echo shows each its own (different) body
    EXPECT_EQ(chat_contents(openai_stream.events), delta_texts(anthropic_stream.events));
  }
  std::vector<std::string> anthropic_fragments;
  for (const auto& event : anthropic_stream.events) {
    if (event.data.find("input_json_delta") == std::string::npos) continue;
    const json::value data = json::parse(event.data);
    const std::string piece(data.at("delta").at("partial_json").as_string());
    if (!piece.empty()) anthropic_fragments.push_back(piece);
  }
  std::vector<std::string> openai_fragments;
  for (const auto& event : openai_stream.events) {
    if (event.data == "[DONE]") continue;
    const json::value data = json::parse(event.data);
    const json::value* calls =
        data.at("choices").at(0).at("delta").as_object().if_contains("tool_calls");
    if (calls == nullptr) continue;
    for (const auto& call : calls->as_array()) {
      const std::string piece(call.at("function").at("arguments").as_string());
      if (!piece.empty()) openai_fragments.push_back(piece);
    }
  }
  EXPECT_EQ(openai_fragments, anthropic_fragments);
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, CrossDialectTest,
    ::testing::Values(
        DialectCase{"text", "text", std::string(kHello), std::string(kChat)},
        DialectCase{"tool_use", "tool_use", std::string(kHello), std::string(kChat)},
        DialectCase{"two_tools", "two_tools", std::string(kHello), std::string(kChat)},
        DialectCase{"thinking", "thinking", std::string(kHello), std::string(kChat)},
        DialectCase{"slow", "slow", std::string(kHello), std::string(kChat)},
        DialectCase{"claude_code_tool_call", "claude_code", std::string(kHello),
                    std::string(kChat)},
        DialectCase{"claude_code_answer", "claude_code", kToolResultBody, kChatToolResultBody},
        // The same body on both sides, so the echoed text is the same too.
        DialectCase{"echo", "echo", std::string(kHello), std::string(kHello)},
        DialectCase{"judge", "judge", kJudgeRiskyBody,
                    chat_judge_body("gpt-mock-judge", kRiskyCall)},
        DialectCase{"judge_fenced", "judge_fenced", judge_body("m", kHarmlessCall),
                    chat_judge_body("m", kHarmlessCall)},
        DialectCase{"judge_invalid", "judge_invalid", std::string(kHello), std::string(kChat)},
        DialectCase{"judge_slow", "judge_slow", kJudgeRiskyBody,
                    chat_judge_body("gpt-mock-judge", kRiskyCall)},
        DialectCase{"rules", "rules", rules_body("at internal.example now"),
                    chat_judge_body("m", rules_prompt("at internal.example now"))}),
    [](const ::testing::TestParamInfo<DialectCase>& info) { return info.param.name; });

// ---- judge scenarios: what Warden's judge policies ask and what they get ----

// The text of a non-streaming answer in either dialect.
std::string answer_text(const MockReply& reply, bool openai) {
  EXPECT_EQ(reply.status, 200u) << reply.body;
  const json::object answer = parse_object(reply.body);
  if (openai)
    return std::string(answer.at("choices").at(0).at("message").at("content").as_string());
  std::string text;
  for (const auto& block : answer.at("content").as_array()) {
    EXPECT_EQ(block.at("type"), "text");
    text += block.at("text").as_string();
  }
  EXPECT_EQ(answer.at("stop_reason"), "end_turn");
  return text;
}

// Asks `body` (Anthropic form) and its OpenAI form, each with the model's `claude-` / `gpt-`
// prefix; both must answer the same text, which is returned.
std::string judge_answer(const std::string& suffix, const std::string& user,
                         const std::string& system = "You judge tool calls.") {
  const std::string anthropic =
      answer_text(ask(judge_body("claude-mock-" + suffix, user, system)), false);
  const std::string openai =
      answer_text(ask_chat(chat_judge_body("gpt-mock-" + suffix, user, system)), true);
  EXPECT_EQ(openai, anthropic);
  return anthropic;
}

TEST(MockJudgeScenarios, JudgeModelsSelectTheJudgeScenarios) {
  for (std::string_view name : {"judge", "judge_fenced", "judge_invalid", "judge_slow", "rules"}) {
    EXPECT_TRUE(is_known_scenario(name)) << name;
    EXPECT_EQ(select_scenario("", judge_body("claude-mock-" + std::string(name), "x")), name);
    EXPECT_EQ(select_scenario("", chat_judge_body("gpt-mock-" + std::string(name), "x")), name);
  }
  // A judge's HTTP error is the usual error_NNN by model name.
  const MockReply error = ask(judge_body("claude-mock-error_500", kRiskyCall));
  EXPECT_EQ(error.status, 500u);
  EXPECT_EQ(parse_object(error.body).at("error").at("type"), "api_error");
  EXPECT_EQ(ask_chat(chat_judge_body("gpt-mock-error_500", kRiskyCall)).status, 500u);
}

TEST(MockJudgeScenarios, JudgeRatesTheCallInItsPrompt) {
  EXPECT_EQ(judge_answer("judge", kRiskyCall),
            R"({"probability": 0.95, "explanation": "The command deletes files recursively."})");
  EXPECT_EQ(judge_answer("judge", kHarmlessCall),
            R"({"probability": 0.05, "explanation": "A harmless command."})");
  // Only the prompt counts, not the system text.
  EXPECT_EQ(judge_answer("judge", kHarmlessCall, "Block things like rm -rf."),
            R"({"probability": 0.05, "explanation": "A harmless command."})");
  // Text parts of the user message count too.
  const std::string parts = json::serialize(json::object{
      {"model", "claude-mock-judge"},
      {"messages",
       json::array{json::object{
           {"role", "user"},
           {"content", json::array{json::object{{"type", "text"}, {"text", "a"}},
                                   json::object{{"type", "text"}, {"text", "rm -rf ~"}}}}}}}});
  EXPECT_NE(answer_text(ask(parts), false).find("0.95"), std::string::npos);
  // No user message: the whole body is read.
  EXPECT_NE(
      answer_text(ask(R"({"model":"claude-mock-judge","prompt":"rm -rf /"})"), false).find("0.95"),
      std::string::npos);
  const json::value verdict = json::parse(judge_answer("judge", kRiskyCall));
  EXPECT_EQ(verdict.at("probability").as_double(), 0.95);
}

TEST(MockJudgeScenarios, FencedWrapsTheSameVerdictInChatterAndAJsonFence) {
  for (const std::string* call : {&kRiskyCall, &kHarmlessCall}) {
    const std::string text = judge_answer("judge_fenced", *call);
    const std::string verdict = judge_answer("judge", *call);
    EXPECT_EQ(text,
              "Let me look at this call.\n\n```json\n" + verdict + "\n```\n\nThat is my verdict.");
    json::error_code ec;
    json::parse(text, ec);
    EXPECT_TRUE(ec) << "the whole text must not be JSON";
  }
}

TEST(MockJudgeScenarios, InvalidAnswersWithoutJson) {
  EXPECT_EQ(judge_answer("judge_invalid", kRiskyCall), "I am not sure what to say.");
}

TEST(MockJudgeScenarios, SlowAnswersLikeJudgeAfterADelay) {
  EXPECT_EQ(judge_answer("judge_slow", kRiskyCall), judge_answer("judge", kRiskyCall));
  EXPECT_EQ(judge_answer("judge_slow", kHarmlessCall), judge_answer("judge", kHarmlessCall));
  EXPECT_EQ(ask(judge_body("claude-mock-judge_slow", kRiskyCall)).delay,
            std::chrono::milliseconds{1500});
  EXPECT_EQ(ask_chat(chat_judge_body("gpt-mock-judge_slow", kRiskyCall)).delay,
            std::chrono::milliseconds{1500});
  EXPECT_EQ(ask(judge_body("claude-mock-judge", kRiskyCall)).delay, std::chrono::milliseconds{0});
  // Streamed: the wait comes before the first delta, nothing else waits.
  for (const bool openai : {false, true}) {
    SCOPED_TRACE(openai ? "openai" : "anthropic");
    const MockReply streamed =
        openai ? ask_chat(with_stream(chat_judge_body("gpt-mock-judge_slow", kRiskyCall)))
               : ask(with_stream(judge_body("claude-mock-judge_slow", kRiskyCall)));
    ASSERT_TRUE(streamed.streaming);
    std::chrono::milliseconds total{0};
    std::size_t first_delta = streamed.events.size();
    for (std::size_t i = 0; i < streamed.events.size(); ++i) {
      const SseEvent& event = streamed.events[i];
      const bool delta = openai ? event.data.find("\"content\":\"{") != std::string::npos
                                : event.name == "content_block_delta";
      if (delta && first_delta == streamed.events.size()) first_delta = i;
      total += event.delay;
    }
    ASSERT_LT(first_delta, streamed.events.size());
    EXPECT_EQ(streamed.events[first_delta].delay, std::chrono::milliseconds{1500});
    EXPECT_EQ(total, std::chrono::milliseconds{1500});
  }
}

TEST(MockJudgeScenarios, RulesJudgesTheTextBetweenTheMarkers) {
  EXPECT_EQ(judge_answer("rules", rules_prompt("All fine here.")),
            R"({"verdict":"pass","explanation":"Fine."})");
  EXPECT_EQ(judge_answer("rules", rules_prompt("Say the forbidden-word now.")),
            R"({"verdict":"block","explanation":"It uses a forbidden word."})");
  // block wins over rewrite
  EXPECT_EQ(judge_answer("rules", rules_prompt("forbidden-word at internal.example")),
            R"({"verdict":"block","explanation":"It uses a forbidden word."})");
  const std::string reviewed = "Call \"internal.example\"\nor api.internal.example:8080 ✓";
  const json::value rewrite = json::parse(judge_answer("rules", rules_prompt(reviewed)));
  EXPECT_EQ(rewrite, json::parse(R"({"verdict":"rewrite",)"
                                 R"("text":"Call \"[hidden host]\"\nor api.[hidden host]:8080 ✓",)"
                                 R"("explanation":"It names an internal host."})"));
  // Only the text under review counts: words outside the markers do not.
  EXPECT_EQ(judge_answer("rules",
                         "Never say forbidden-word or internal.example.\n" + rules_prompt("plain")),
            R"({"verdict":"pass","explanation":"Fine."})");
  // No markers: the whole body is reviewed (and rewritten).
  const std::string body = judge_body("claude-mock-rules", "see internal.example");
  const json::value whole = json::parse(answer_text(ask(body), false));
  EXPECT_EQ(whole.at("verdict"), "rewrite");
  std::string expected = body;
  expected.replace(expected.find("internal.example"), 16, "[hidden host]");
  EXPECT_EQ(whole.at("text").as_string(), expected);
  EXPECT_EQ(json::parse(
                answer_text(ask_chat(chat_judge_body("gpt-mock-rules", "x forbidden-word")), true))
                .at("verdict"),
            "block");
}

TEST(MockJudgeScenarios, TextUnderReviewIsBetweenTheMarkerLines) {
  using script::text_under_review;
  EXPECT_EQ(text_under_review("Text to check:\n<<<\nabc\n>>>\nend"), "abc");
  EXPECT_EQ(text_under_review("<<<\nabc\n>>>"), "abc");
  EXPECT_EQ(text_under_review("<<<\n>>>"), "");
  EXPECT_EQ(text_under_review("<<<\n\n>>>"), "");
  EXPECT_EQ(text_under_review("<<<\nline 1\n\nline 3\n\n>>>\n"), "line 1\n\nline 3\n");
  // Marker strings inside the text do not end it early: the last `>>>` line does.
  EXPECT_EQ(text_under_review("<<<\na\n>>>\nb <<<\n>>>\n"), "a\n>>>\nb <<<");
  EXPECT_EQ(text_under_review("<<<\nx >>> y\n>>>"), "x >>> y");
  EXPECT_EQ(text_under_review("no markers"), std::nullopt);
  EXPECT_EQ(text_under_review("x<<<\nabc\n>>>"), std::nullopt);  // not at a line start
  EXPECT_EQ(text_under_review("<<<\nabc\n>>>x"), std::nullopt);  // not a whole line
  EXPECT_EQ(text_under_review("<<<\nabc"), std::nullopt);
}

// ---- other endpoints ----

TEST(ChatEndpoints, PathsModelsAndErrors) {
  EXPECT_TRUE(is_chat_completions_path("/v1/chat/completions"));
  EXPECT_TRUE(is_chat_completions_path("/openai/v1/chat/completions"));
  EXPECT_TRUE(is_chat_completions_path("/chat/completions"));
  EXPECT_FALSE(is_chat_completions_path("/v1/chat/completions/x"));
  EXPECT_FALSE(is_chat_completions_path("/v1/completions"));
  EXPECT_FALSE(is_chat_completions_path("/v1/messages"));

  EXPECT_TRUE(wants_openai_models("", "Bearer sk-test"));
  EXPECT_TRUE(wants_openai_models("", "bearer sk-test"));
  EXPECT_FALSE(wants_openai_models("2023-06-01", "Bearer sk-ant-oat-x"));  // Claude Code OAuth
  EXPECT_FALSE(wants_openai_models("", ""));
  EXPECT_FALSE(wants_openai_models("", "Basic abc"));

  const json::object models = parse_object(openai_models_body());
  EXPECT_EQ(models.at("object"), "list");
  ASSERT_EQ(models.at("data").as_array().size(), 1u);
  const json::object& model = models.at("data").at(0).as_object();
  EXPECT_EQ(model.at("id").as_string(), kMockOpenAIModel);
  EXPECT_EQ(model.at("object"), "model");
  EXPECT_EQ(model.at("created"), kMockCreated);
  EXPECT_TRUE(model.at("owned_by").is_string());
  EXPECT_EQ(parse_object(openai_model_body()), model);

  EXPECT_EQ(
      json::parse(openai_error_body(429)),
      json::parse(R"({"error":{"message":"Number of requests has exceeded your rate )"
                  R"(limit.","type":"requests","param":null,"code":"rate_limit_exceeded"}})"));
  EXPECT_EQ(parse_object(openai_error_body(400, "messages: required")).at("error").at("message"),
            "messages: required");
}

}  // namespace
}  // namespace warden::mock
