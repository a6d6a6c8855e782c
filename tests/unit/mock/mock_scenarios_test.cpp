#include "mock/mock_scenarios.hpp"

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

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
                                 R"({"messages":[{"role":"user","content":"h\u00e9 ✓ 日本語"}]})"}),
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

}  // namespace
}  // namespace warden::mock
