#include "api/anthropic/stream_validator.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace warden::api::anthropic {
namespace {

using Violations = std::vector<std::string>;

std::string read_fixture(const std::string& file) {
  const char* dir = std::getenv("WARDEN_TEST_DATA");
  if (dir == nullptr) {
    ADD_FAILURE() << "WARDEN_TEST_DATA is not set (run through ctest or set it to tests/data)";
    return {};
  }
  std::ifstream in(std::string(dir) + "/anthropic/" + file, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << file;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- Stream building blocks -----------------------------------------------------------------

std::string ev(std::string_view name, std::string_view data) {
  return "event: " + std::string(name) + "\ndata: " + std::string(data) + "\n\n";
}

std::string start_with(std::string_view message) {
  return ev("message_start", R"({"type":"message_start","message":)" + std::string(message) + "}");
}

const std::string kStart = start_with(
    R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],)"
    R"("stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}})");
const std::string kPing = ev("ping", R"({"type":"ping"})");
const std::string kStop = ev("message_stop", R"({"type":"message_stop"})");

std::string block_start(int index, std::string_view block) {
  return ev("content_block_start", R"({"type":"content_block_start","index":)" +
                                       std::to_string(index) + R"(,"content_block":)" +
                                       std::string(block) + "}");
}
std::string text_start(int index) { return block_start(index, R"({"type":"text","text":""})"); }
std::string tool_start(int index, std::string_view type = "tool_use") {
  return block_start(index, R"({"type":")" + std::string(type) +
                                R"(","id":"toolu_1","name":"get_weather","input":{}})");
}
std::string delta(int index, std::string_view delta_json) {
  return ev("content_block_delta", R"({"type":"content_block_delta","index":)" +
                                       std::to_string(index) + R"(,"delta":)" +
                                       std::string(delta_json) + "}");
}
std::string text_delta(int index, std::string_view text) {
  return delta(index, R"({"type":"text_delta","text":")" + std::string(text) + "\"}");
}
std::string json_delta(int index, std::string_view partial_json_escaped) {
  return delta(index, R"({"type":"input_json_delta","partial_json":")" +
                          std::string(partial_json_escaped) + "\"}");
}
std::string block_stop(int index) {
  return ev("content_block_stop",
            R"({"type":"content_block_stop","index":)" + std::to_string(index) + "}");
}
std::string message_delta(std::string_view stop_reason) {
  return ev("message_delta", R"({"type":"message_delta","delta":{"stop_reason":)" +
                                 std::string(stop_reason) +
                                 R"(,"stop_sequence":null},"usage":{"output_tokens":9}})");
}
const std::string kEndTurn = message_delta(R"("end_turn")");

// A complete text answer.
std::string text_stream() {
  return kStart + text_start(0) + kPing + text_delta(0, "Hi") + block_stop(0) + kEndTurn + kStop;
}

// --- Running --------------------------------------------------------------------------------

// Feeds `bytes` in pieces of the sizes `next()` returns, then finishes.
template <class Next>
Violations fed(std::string_view bytes, Next next, bool* complete = nullptr) {
  StreamValidator validator;
  for (std::size_t pos = 0; pos < bytes.size();) {
    const std::size_t n = std::min<std::size_t>(next(), bytes.size() - pos);
    validator.feed(bytes.substr(pos, n));
    pos += n;
  }
  validator.finish();
  if (complete != nullptr) *complete = validator.complete();
  return validator.violations();
}

Violations check(std::string_view bytes) {
  return fed(bytes, [&] { return bytes.size(); });
}

std::string joined(const Violations& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

// The stream has exactly one violation, and it contains `text`.
void expect_only(const std::string& bytes, std::string_view text) {
  const Violations v = check(bytes);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_NE(v[0].find(text), std::string::npos) << v[0];
}

// Some violation contains `text`.
void expect_has(const std::string& bytes, std::string_view text) {
  const Violations v = check(bytes);
  EXPECT_TRUE(std::any_of(v.begin(), v.end(),
                          [&](const auto& s) { return s.find(text) != std::string::npos; }))
      << "wanted: " << text << "\ngot:\n"
      << joined(v);
}

// --- Valid streams --------------------------------------------------------------------------

TEST(AnthropicStreamValidator, ValidStreamsPass) {
  const std::string tool = kStart + text_start(0) + text_delta(0, "Let me check") + block_stop(0) +
                           tool_start(1) + json_delta(1, "") + json_delta(1, R"({\"city\":)") +
                           json_delta(1, R"( \"Oslo\"})") + block_stop(1) +
                           message_delta(R"("tool_use")") + kStop;
  const std::string thinking =
      kStart + block_start(0, R"({"type":"thinking","thinking":"","signature":""})") +
      delta(0, R"({"type":"thinking_delta","thinking":"hmm"})") +
      delta(0, R"({"type":"signature_delta","signature":"Eq=="})") + block_stop(0) +
      block_start(1, R"({"type":"redacted_thinking","data":"xyz"})") + block_stop(1) +
      text_start(2) +
      delta(2, R"({"type":"citations_delta","citation":{"type":"char_location"}})") +
      text_delta(2, "x") + block_stop(2) + kEndTurn + kStop;
  const std::string no_blocks = kStart + kPing + kEndTurn + kPing + kStop;
  for (const std::string& s : {text_stream(), tool, thinking, no_blocks}) {
    bool complete = false;
    EXPECT_EQ(joined(fed(
                  s, [&] { return s.size(); }, &complete)),
              "")
        << s;
    EXPECT_TRUE(complete);
    EXPECT_EQ(validate_stream(s), "");
  }
}

TEST(AnthropicStreamValidator, ToolInputMayBeEmptyOrTheStartInput) {
  // No deltas, or only "": the start block's input ({}) is the input.
  EXPECT_TRUE(check(kStart + tool_start(0) + block_stop(0) + message_delta(R"("tool_use")") + kStop)
                  .empty());
  EXPECT_TRUE(check(kStart + tool_start(0) + json_delta(0, "") + block_stop(0) +
                    message_delta(R"("tool_use")") + kStop)
                  .empty());
  // Other *tool_use blocks take input_json_delta too and do not need stop_reason tool_use.
  EXPECT_TRUE(check(kStart + tool_start(0, "mcp_tool_use") + json_delta(0, "{}") + block_stop(0) +
                    kEndTurn + kStop)
                  .empty());
}

TEST(AnthropicStreamValidator, CommentsUnknownEventsAndUnknownDeltasAreAllowed) {
  const std::string s = kStart + ": keep-alive\n\n" + text_start(0) +
                        ev("content_block_flush", R"({"type":"content_block_flush","index":0})") +
                        delta(0, R"({"type":"future_delta","x":1})") + block_stop(0) + kEndTurn +
                        kStop;
  EXPECT_TRUE(check(s).empty()) << joined(check(s));
}

TEST(AnthropicStreamValidator, CrLfLineEndingsAreAccepted) {
  std::string s = text_stream();
  for (std::size_t pos = 0; (pos = s.find('\n', pos)) != std::string::npos; pos += 2) {
    s.insert(pos, "\r");
  }
  EXPECT_TRUE(check(s).empty()) << joined(check(s));
}

TEST(AnthropicStreamValidator, ErrorEventIsTerminalAnywhere) {
  const std::string error =
      ev("error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  for (const std::string& s : {error, kStart + error, kStart + text_start(0) + error,
                               kStart + tool_start(0) + json_delta(0, "{") + error}) {
    bool complete = false;
    EXPECT_EQ(joined(fed(
                  s, [&] { return s.size(); }, &complete)),
              "")
        << s;
    EXPECT_TRUE(complete);
  }
}

// --- Fixtures -------------------------------------------------------------------------------

TEST(AnthropicStreamValidator, RecordedStreams) {
  for (const char* file :
       {"text_stream.sse", "tool_use_stream.sse", "thinking_stream.sse", "error_stream.sse"}) {
    bool complete = false;
    const std::string bytes = read_fixture(file);
    EXPECT_EQ(joined(fed(
                  bytes, [&] { return bytes.size(); }, &complete)),
              "")
        << file;
    EXPECT_TRUE(complete) << file;
  }
  // other_events.sse is a catalogue of block kinds without a message_start: complete with one
  // added.
  const std::string other = read_fixture("other_events.sse");
  EXPECT_EQ(validate_stream(other),
            "event 1 (content_block_start): content_block_start before message_start");
  EXPECT_EQ(validate_stream(kStart + other), "");
}

const char* const kFixtures[] = {"text_stream.sse", "tool_use_stream.sse", "thinking_stream.sse",
                                 "error_stream.sse", "other_events.sse"};

// Streams with violations of several kinds, to show splits do not change them either.
std::vector<std::string> split_cases() {
  std::vector<std::string> cases;
  for (const char* file : kFixtures) cases.push_back(read_fixture(file));
  cases.push_back(kPing + kStart + text_start(1) + text_delta(2, "x") + tool_start(2) +
                  json_delta(2, "[") + block_stop(2) + kEndTurn + kStop + kPing);
  cases.push_back(kStart + text_start(0) + "event: ping\r\ndata: {\"type\":\"ping\"}\r\n\r\n" +
                  text_delta(0, "cut"));
  return cases;
}

TEST(AnthropicStreamValidator, SplitsDoNotChangeTheResult) {
  for (const std::string& bytes : split_cases()) {
    bool whole_complete = false;
    const Violations whole = fed(
        bytes, [&] { return bytes.size(); }, &whole_complete);
    bool complete = false;
    EXPECT_EQ(fed(
                  bytes, [] { return 1; }, &complete),
              whole)
        << bytes;
    EXPECT_EQ(complete, whole_complete);
    std::mt19937 rng(20240611);
    std::uniform_int_distribution<std::size_t> size(1, 97);
    for (int round = 0; round < 20; ++round) {
      EXPECT_EQ(fed(bytes, [&] { return size(rng); }), whole) << bytes;
    }
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) {  // every two-piece split
      bool first = true;
      EXPECT_EQ(fed(bytes, [&] { return std::exchange(first, false) ? cut : bytes.size(); }), whole)
          << "cut at " << cut;
    }
  }
}

TEST(AnthropicStreamValidator, CrLfFixturesGiveTheSameResultFedByteByByte) {
  for (const char* file : kFixtures) {
    const std::string lf = read_fixture(file);
    std::string crlf;
    for (const char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    EXPECT_EQ(fed(crlf, [] { return 1; }), check(lf)) << file;  // splits between \r and \n
  }
}

// --- Framing and event shape ----------------------------------------------------------------

TEST(AnthropicStreamValidator, EveryEventNeedsANameAndJsonDataOfThatType) {
  expect_only(kStart + "data: {\"type\":\"ping\"}\n\n" + kEndTurn + kStop,
              "event 2 (ping): no event: line");
  expect_only(kStart + "event: ping\n\n" + kEndTurn + kStop, "event 2 (ping): no data: line");
  expect_only(kStart + ev("ping", "{nope") + kEndTurn + kStop, "event 2 (ping): data is not JSON");
  expect_only(kStart + ev("ping", "[1]") + kEndTurn + kStop, "data is not a JSON object");
  expect_only(kStart + ev("ping", R"({"type":"pong"})") + kEndTurn + kStop,
              R"(data type "pong" does not match the event name)");
  expect_only(kStart + ev("future_event", "not json") + kEndTurn + kStop,
              "event 2 (future_event): data is not JSON");
  expect_only(kStart + "id: 7\n" + kPing + kEndTurn + kStop, R"(unexpected SSE field "id")");
}

TEST(AnthropicStreamValidator, UnterminatedLastEventIsReported) {
  std::string s = text_stream();
  s.pop_back();  // the blank line that ends message_stop
  const Violations v = check(s);
  ASSERT_EQ(v.size(), 2u) << joined(v);
  EXPECT_EQ(v[0], "after event 6: stream ended inside an unterminated event");
  EXPECT_EQ(v[1], "after event 6: stream ended without message_stop");
}

TEST(AnthropicStreamValidator, OversizedEventIsSkippedNotBuffered) {
  const std::string huge = "event: ping\ndata: {\"type\":\"ping\",\"pad\":\"" +
                           std::string(StreamValidator::kMaxEventBytes, 'x') + "\"}\n\n";
  const std::string s = kStart + huge + text_start(0) + block_stop(0) + kEndTurn + kStop;
  const Violations v = fed(s, [] { return 1 << 20; });
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_EQ(v[0], "event 2: over 16 MiB; skipped unchecked");
  EXPECT_EQ(check(s), v);
}

TEST(AnthropicStreamValidator, ViolationsAreCapped) {
  std::string s = kStart;
  for (int i = 0; i < 300; ++i) s += ev("ping", "{");
  const Violations v = check(s);
  ASSERT_EQ(v.size(), StreamValidator::kMaxViolations + 1);
  EXPECT_EQ(v.back(), "further violations omitted");
}

TEST(AnthropicStreamValidator, FeedAfterFinishIsIgnored) {
  StreamValidator validator;
  validator.feed(text_stream());
  validator.finish();
  validator.feed(kPing);
  validator.finish();
  EXPECT_TRUE(validator.ok());
  EXPECT_TRUE(validator.complete());
}

// --- message_start --------------------------------------------------------------------------

TEST(AnthropicStreamValidator, MessageStartComesFirstOnce) {
  // Reported once, not for every early event.
  expect_only(kPing + kPing + text_stream(), "event 1 (ping): ping before message_start");
  expect_only(kStart + kStart + text_start(0) + block_stop(0) + kEndTurn + kStop,
              "event 2 (message_start): second message_start");
  expect_has(text_start(0) + block_stop(0) + kEndTurn + kStop, "before message_start");
}

TEST(AnthropicStreamValidator, MessageStartShape) {
  const std::string rest = kEndTurn + kStop;
  const std::pair<const char*, const char*> cases[] = {
      {R"({"type":"message","role":"assistant","model":"m","content":[],"usage":{}})",
       "message.id is not a non-empty string"},
      {R"({"id":"m1","type":"msg","role":"assistant","model":"m","content":[],"usage":{}})",
       R"(message.type is not "message")"},
      {R"({"id":"m1","type":"message","role":"user","model":"m","content":[],"usage":{}})",
       R"(message.role is not "assistant")"},
      {R"({"id":"m1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"x"}],"usage":{}})",
       "message.content is not []"},
      {R"({"id":"m1","type":"message","role":"assistant","model":"m","usage":{}})",
       "message.content is not []"},
      {R"({"id":"m1","type":"message","role":"assistant","content":[],"usage":{}})",
       "message.model is not a string"},
      {R"({"id":"m1","type":"message","role":"assistant","model":"m","content":[]})",
       "message.usage is not an object"},
      {R"("msg")", "no message object"},
  };
  for (const auto& [message, text] : cases) expect_only(start_with(message) + rest, text);
}

// --- Blocks ---------------------------------------------------------------------------------

TEST(AnthropicStreamValidator, BlockIndicesAreDenseFromZero) {
  expect_only(kStart + text_start(1) + block_stop(1) + kEndTurn + kStop,
              "event 2 (content_block_start): index 1 but the next block index is 0");
  expect_only(
      kStart + text_start(0) + block_stop(0) + text_start(0) + block_stop(0) + kEndTurn + kStop,
      "event 4 (content_block_start): index 0 but the next block index is 1");
  expect_only(kStart +
                  ev("content_block_start", R"({"type":"content_block_start","index":-1,)"
                                            R"("content_block":{"type":"text"}})") +
                  kEndTurn + kStop,
              "no index");
}

TEST(AnthropicStreamValidator, OneBlockOpenAtATime) {
  expect_only(kStart + text_start(0) + text_start(1) + block_stop(1) + kEndTurn + kStop,
              "event 3 (content_block_start): block 1 started while block 0 is open");
}

TEST(AnthropicStreamValidator, BlockStartNeedsATypedContentBlock) {
  expect_only(kStart + ev("content_block_start", R"({"type":"content_block_start","index":0})") +
                  block_stop(0) + kEndTurn + kStop,
              "no content_block object with a type");
  expect_only(kStart + block_start(0, R"({"text":""})") + block_stop(0) + kEndTurn + kStop,
              "no content_block object with a type");
}

TEST(AnthropicStreamValidator, DeltaOnlyForTheOpenBlock) {
  expect_only(kStart + text_start(0) + block_stop(0) + text_start(1) + text_delta(2, "x") +
                  block_stop(1) + kEndTurn + kStop,
              "event 5 (content_block_delta): index 2 but the open block is 1");
  expect_only(kStart + text_start(0) + block_stop(0) + text_delta(0, "x") + kEndTurn + kStop,
              "event 4 (content_block_delta): block 0 is already stopped");
  expect_only(kStart + text_delta(0, "x") + kEndTurn + kStop,
              "event 2 (content_block_delta): block 0 was never started");
}

TEST(AnthropicStreamValidator, DeltaTypeFitsTheBlock) {
  const std::string thinking = block_start(0, R"({"type":"thinking","thinking":""})");
  const std::string redacted = block_start(0, R"({"type":"redacted_thinking","data":"x"})");
  const std::string end = block_stop(0) + kEndTurn + kStop;
  const std::string tool_end = block_stop(0) + message_delta(R"("tool_use")") + kStop;
  expect_only(kStart + tool_start(0) + text_delta(0, "x") + tool_end,
              R"(event 3 (content_block_delta): text_delta does not fit a "tool_use" block)");
  expect_only(kStart + text_start(0) + json_delta(0, "{}") + end,
              R"(input_json_delta does not fit a "text" block)");
  expect_only(
      kStart + text_start(0) + delta(0, R"({"type":"thinking_delta","thinking":"x"})") + end,
      R"(thinking_delta does not fit a "text" block)");
  expect_only(
      kStart + text_start(0) + delta(0, R"({"type":"signature_delta","signature":"x"})") + end,
      R"(signature_delta does not fit a "text" block)");
  expect_only(kStart + thinking + delta(0, R"({"type":"citations_delta","citation":{}})") + end,
              R"(citations_delta does not fit a "thinking" block)");
  expect_only(kStart + redacted + delta(0, R"({"type":"thinking_delta","thinking":"x"})") + end,
              R"(thinking_delta does not fit a "redacted_thinking" block)");
}

TEST(AnthropicStreamValidator, DeltaFieldsAreStrings) {
  const std::string end = block_stop(0) + kEndTurn + kStop;
  expect_only(kStart + text_start(0) + delta(0, R"({"type":"text_delta","text":5})") + end,
              "text_delta without a string text");
  expect_only(kStart + text_start(0) + delta(0, R"({"type":"text_delta"})") + end,
              "text_delta without a string text");
  expect_only(kStart + tool_start(0) + delta(0, R"({"type":"input_json_delta"})") + block_stop(0) +
                  message_delta(R"("tool_use")") + kStop,
              "input_json_delta without a string partial_json");
  expect_only(kStart + text_start(0) + delta(0, R"({"text":"x"})") + end, "delta has no type");
  expect_only(kStart + text_start(0) +
                  ev("content_block_delta", R"({"type":"content_block_delta","index":0})") + end,
              "no delta object");
}

TEST(AnthropicStreamValidator, BlockStopClosesTheOpenBlockOnce) {
  expect_only(kStart + text_start(0) + block_stop(0) + block_stop(0) + kEndTurn + kStop,
              "event 4 (content_block_stop): block 0 is already stopped");
  expect_only(kStart + text_start(0) + block_stop(1) + kEndTurn + kStop,
              "event 3 (content_block_stop): index 1 but the open block is 0");
  expect_only(kStart + block_stop(0) + kEndTurn + kStop, "block 0 was never started");
}

TEST(AnthropicStreamValidator, ToolInputMustBeAJsonObject) {
  const std::string end = message_delta(R"("tool_use")") + kStop;
  expect_only(kStart + tool_start(0) + json_delta(0, R"({\"city\":)") + block_stop(0) + end,
              "event 4 (content_block_stop): tool_use block 0: partial_json does not parse as a "
              "JSON object");
  expect_only(kStart + tool_start(0) + json_delta(0, "[1]") + block_stop(0) + end,
              "tool_use block 0: partial_json does not parse as a JSON object");
  expect_only(kStart + tool_start(0, "server_tool_use") + json_delta(0, "nope") + block_stop(0) +
                  kEndTurn + kStop,
              "server_tool_use block 0: partial_json does not parse as a JSON object");
  expect_only(kStart + block_start(0, R"({"type":"tool_use","id":"t","name":"n","input":"x"})") +
                  block_stop(0) + end,
              "tool_use block 0: start input is not an object");
}

// --- message_delta and message_stop ---------------------------------------------------------

TEST(AnthropicStreamValidator, MessageDeltaOnceWithNoBlockOpen) {
  expect_only(kStart + kEndTurn + kEndTurn + kStop,
              "event 3 (message_delta): second message_delta");
  expect_only(kStart + text_start(0) + kEndTurn + kStop,
              "event 3 (message_delta): message_delta while block 0 is open");
  expect_only(kStart + kEndTurn + text_start(0) + block_stop(0) + kStop,
              "event 3 (content_block_start): content_block_start after message_delta");
}

TEST(AnthropicStreamValidator, MessageDeltaShape) {
  expect_only(kStart + message_delta("5") + kStop, "delta.stop_reason is not a string");
  expect_only(kStart +
                  ev("message_delta", R"({"type":"message_delta","usage":{"output_tokens":1}})") +
                  kStop,
              "event 2 (message_delta): no delta object");
  expect_only(
      kStart +
          ev("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn"}})") +
          kStop,
      "no usage.output_tokens number");
  // A null or absent stop_reason is not checked further.
  EXPECT_TRUE(check(kStart + message_delta("null") + kStop).empty());
}

TEST(AnthropicStreamValidator, StopReasonMatchesToolUse) {
  expect_only(kStart + text_start(0) + block_stop(0) + message_delta(R"("tool_use")") + kStop,
              "stop_reason tool_use but no tool_use block was sent");
  expect_only(kStart + tool_start(0) + json_delta(0, "{}") + block_stop(0) + kEndTurn + kStop,
              "event 5 (message_delta): tool_use block sent but stop_reason end_turn");
  // server_tool_use is not a client tool call.
  expect_only(kStart + tool_start(0, "server_tool_use") + block_stop(0) +
                  message_delta(R"("tool_use")") + kStop,
              "stop_reason tool_use but no tool_use block was sent");
  EXPECT_TRUE(
      check(kStart + tool_start(0) + block_stop(0) + message_delta(R"("max_tokens")") + kStop)
          .empty());
}

TEST(AnthropicStreamValidator, MessageStopAfterMessageDeltaAndLast) {
  expect_only(kStart + kStop, "event 2 (message_stop): message_stop before message_delta");
  // Reported once, however many events follow.
  expect_only(text_stream() + kPing + kStop, "event 8 (ping): event after message_stop");
  bool complete = false;
  fed(
      kStart + kEndTurn, [] { return 1000; }, &complete);
  EXPECT_FALSE(complete);
}

TEST(AnthropicStreamValidator, ErrorEventShapeAndNothingAfterIt) {
  const std::string error =
      ev("error", R"({"type":"error","error":{"type":"api_error","message":"boom"}})");
  expect_only(kStart + error + kEndTurn + kStop,
              "event 3 (message_delta): event after the error event");
  expect_only(kStart + ev("error", R"({"type":"error","error":"boom"})"),
              "event 2 (error): no error object with string type and message");
  expect_only(kStart + ev("error", R"({"type":"error","error":{"type":"api_error"}})"),
              "no error object with string type and message");
}

TEST(AnthropicStreamValidator, StreamMustEndWithMessageStop) {
  EXPECT_EQ(validate_stream(""), "after event 0: stream ended without message_stop");
  EXPECT_EQ(validate_stream(kStart + text_start(0) + text_delta(0, "cut")),
            "after event 3: stream ended without message_stop (block 0 still open)");
  expect_only(kStart + text_start(0) + block_stop(0) + kEndTurn,
              "after event 4: stream ended without message_stop");
}

TEST(AnthropicStreamValidator, ValidateStreamJoinsViolationsWithNewlines) {
  EXPECT_EQ(validate_stream(kStart + kStop + kPing),
            "event 2 (message_stop): message_stop before message_delta\n"
            "event 3 (ping): event after message_stop (nothing may follow it)");
}

}  // namespace
}  // namespace warden::api::anthropic
