#include "api/openai/stream_validator.hpp"

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

namespace warden::api::openai {
namespace {

using Violations = std::vector<std::string>;

std::string read_fixture(const std::string& file) {
  const char* dir = std::getenv("WARDEN_TEST_DATA");
  if (dir == nullptr) {
    ADD_FAILURE() << "WARDEN_TEST_DATA is not set (run through ctest or set it to tests/data)";
    return {};
  }
  std::ifstream in(std::string(dir) + "/openai/" + file, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << file;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- Stream building blocks -----------------------------------------------------------------

// A chunk with the common header and `body` (its other members).
std::string chunk(std::string_view body, std::string_view id = "chatcmpl-1") {
  return R"(data: {"id":")" + std::string(id) +
         R"(","object":"chat.completion.chunk","created":1,"model":"gpt-x",)" + std::string(body) +
         "}\n\n";
}
std::string choice(std::string_view delta, std::string_view finish_reason = "null") {
  return R"("choices":[{"index":0,"delta":)" + std::string(delta) + R"(,"finish_reason":)" +
         std::string(finish_reason) + "}]";
}
const std::string kRole = chunk(choice(R"({"role":"assistant","content":""})"));
std::string content(std::string_view text) {
  return chunk(choice(R"({"content":")" + std::string(text) + "\"}"));
}
std::string finish(std::string_view reason = "stop") {
  return chunk(choice("{}", "\"" + std::string(reason) + "\""));
}
const std::string kUsage =
    chunk(R"("choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3})");
const std::string kDone = "data: [DONE]\n\n";

std::string tools(std::string_view pieces) {
  return chunk(choice(R"({"tool_calls":[)" + std::string(pieces) + "]}"));
}
std::string first_piece(int index, std::string_view id = "call_a",
                        std::string_view name = "get_weather") {
  return R"({"index":)" + std::to_string(index) + R"(,"id":")" + std::string(id) +
         R"(","type":"function","function":{"name":")" + std::string(name) +
         R"(","arguments":""}})";
}
std::string args_piece(int index, std::string_view arguments_escaped) {
  return R"({"index":)" + std::to_string(index) + R"(,"function":{"arguments":")" +
         std::string(arguments_escaped) + "\"}}";
}

std::string text_stream() { return kRole + content("Hello") + finish() + kUsage + kDone; }
std::string tool_stream() {
  return kRole + tools(first_piece(0)) + tools(args_piece(0, R"({\"city\":\"Oslo\"})")) +
         finish("tool_calls") + kDone;
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

TEST(OpenAiStreamValidator, ValidStreamsPass) {
  const std::string two_calls = kRole + content("Checking.") +
                                tools(first_piece(0) + "," + first_piece(1, "call_b", "get_time")) +
                                tools(args_piece(1, "{}") + "," + args_piece(0, "{}")) +
                                finish("tool_calls") + kUsage + kDone;
  const std::string with_comments =
      ": keep-alive\n\n" + kRole + ": keep-alive\n\n" + content("x") + finish("length") + kDone;
  const std::string finish_in_role_chunk =
      chunk(choice(R"({"role":"assistant","content":"all"})", R"("stop")")) + kDone;
  for (const std::string& s :
       {text_stream(), tool_stream(), two_calls, with_comments, finish_in_role_chunk}) {
    bool complete = false;
    EXPECT_EQ(joined(fed(
                  s, [&] { return s.size(); }, &complete)),
              "")
        << s;
    EXPECT_TRUE(complete);
    EXPECT_EQ(validate_stream(s), "");
  }
}

TEST(OpenAiStreamValidator, ErrorChunkIsTerminalAnywhere) {
  const std::string error =
      R"(data: {"error":{"message":"boom","type":"server_error","param":null,"code":null}})"
      "\n\n";
  for (const std::string& s : {error, kRole + error, kRole + tools(first_piece(0)) + error}) {
    bool complete = false;
    EXPECT_EQ(joined(fed(
                  s, [&] { return s.size(); }, &complete)),
              "")
        << s;
    EXPECT_TRUE(complete);
  }
}

TEST(OpenAiStreamValidator, CrLfLineEndingsAreAccepted) {
  std::string s = tool_stream();
  for (std::size_t pos = 0; (pos = s.find('\n', pos)) != std::string::npos; pos += 2) {
    s.insert(pos, "\r");
  }
  EXPECT_TRUE(check(s).empty()) << joined(check(s));
}

// --- Fixtures -------------------------------------------------------------------------------

const char* const kFixtures[] = {
    "text_stream.sse", "tool_calls_stream.sse", "text_then_tool_stream.sse",   "error_stream.sse",
    "cut_stream.sse",  "compat_stream.sse",     "interleaved_tools_stream.sse"};

TEST(OpenAiStreamValidator, RecordedStreams) {
  for (const char* file : {"text_stream.sse", "tool_calls_stream.sse", "error_stream.sse"}) {
    bool complete = false;
    const std::string bytes = read_fixture(file);
    EXPECT_EQ(joined(fed(
                  bytes, [&] { return bytes.size(); }, &complete)),
              "")
        << file;
    EXPECT_TRUE(complete) << file;
  }
  // The others record upstream variants that Warden's decoder tolerates but must not send.
  EXPECT_EQ(validate_stream(read_fixture("cut_stream.sse")),
            "after event 2: stream ended without [DONE]\n"
            "after event 2: stream ended without a finish_reason");
  // OpenAI's own answer for a function without parameters: arguments "".
  EXPECT_EQ(validate_stream(read_fixture("text_then_tool_stream.sse")), "");
  EXPECT_EQ(
      validate_stream(read_fixture("compat_stream.sse")),
      "event 1 (chunk): first delta has no role \"assistant\"\n"
      "event 4 (chunk): tool call 0: first piece has no type \"function\"\n"
      "event 6 (chunk): usage on a chunk with choices (it goes in its own chunk, choices [])\n"
      "after event 6: stream ended without [DONE]");
  EXPECT_EQ(validate_stream(read_fixture("interleaved_tools_stream.sse")),
            "event 5 (chunk): tool calls were sent but finish_reason is \"stop\"\n"
            "event 6 (chunk): choices is not an array");
}

TEST(OpenAiStreamValidator, SplitsDoNotChangeTheResult) {
  std::vector<std::string> cases;
  for (const char* file : kFixtures) cases.push_back(read_fixture(file));
  cases.push_back(content("x") + tools(first_piece(1)) + finish() + content("late") + kDone +
                  kDone);
  for (const std::string& bytes : cases) {
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

TEST(OpenAiStreamValidator, CrLfFixturesGiveTheSameResultFedByteByByte) {
  for (const char* file : kFixtures) {
    const std::string lf = read_fixture(file);
    std::string crlf;
    for (const char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    EXPECT_EQ(fed(crlf, [] { return 1; }), check(lf)) << file;  // splits between \r and \n
  }
}

// --- Framing and chunk shape ----------------------------------------------------------------

TEST(OpenAiStreamValidator, DataIsAChunkOrDone) {
  expect_only(kRole + "event: message\n" + content("x") + finish() + kDone,
              "event 2 (chunk): event: line (OpenAI chunks carry none)");
  expect_only(kRole + "data: {nope\n\n" + finish() + kDone,
              "event 2 (not a chunk): data is neither a JSON object nor [DONE]");
  expect_only(kRole + "data: [1]\n\n" + finish() + kDone,
              "data is neither a JSON object nor [DONE]");
  expect_only(kRole + "id: 3\n" + content("x") + finish() + kDone, R"(unexpected SSE field "id")");
  expect_has(kRole + "retry: 5\n\n" + finish() + kDone, "event 2 (not a chunk): no data: line");
  expect_only(
      kRole +
          R"(data: {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-x",)" +
          choice(R"({"content":"x"})") + "}\n\n" + finish() + kDone,
      R"(object is not "chat.completion.chunk")");
}

TEST(OpenAiStreamValidator, EveryChunkHasTheSameIdModelAndCreated) {
  expect_only(kRole + chunk(choice(R"({"content":"x"})"), "chatcmpl-2") + finish() + kDone,
              R"(event 2 (chunk): id "chatcmpl-2" differs from the first chunk's "chatcmpl-1")");
  expect_only(
      kRole +
          R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-y",)" +
          choice("{}", R"("stop")") + "}\n\n" + kDone,
      R"(model "gpt-y" differs from the first chunk's "gpt-x")");
  expect_only(
      kRole +
          R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":2,"model":"gpt-x",)" +
          choice("{}", R"("stop")") + "}\n\n" + kDone,
      "created 2 differs from the first chunk's 1");
  expect_only(
      kRole +
          R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":"1","model":"gpt-x",)" +
          choice("{}", R"("stop")") + "}\n\n" + kDone,
      "created is not a number");
  expect_only(kRole + R"(data: {"object":"chat.completion.chunk","created":1,"model":"gpt-x",)" +
                  choice("{}", R"("stop")") + "}\n\n" + kDone,
              "id is not a string");
}

TEST(OpenAiStreamValidator, OneChoiceWithIndexZero) {
  expect_only(kRole + chunk(R"("usage":null)") + finish() + kDone, "choices is not an array");
  expect_only(kRole + chunk(R"("choices":null)") + finish() + kDone, "choices is not an array");
  expect_only(kRole + chunk(R"("choices":[{"index":0,"delta":{}},{"index":1,"delta":{}}])") +
                  finish() + kDone,
              "more than one choice");
  expect_only(
      kRole + chunk(R"("choices":[{"index":1,"delta":{"content":"x"}}])") + finish() + kDone,
      "event 2 (chunk): choice index is not 0");
  expect_only(kRole + chunk(R"("choices":[{"index":0}])") + finish() + kDone,
              "choice has no delta object");
  expect_only(kRole + chunk(R"("choices":[{"index":0,"delta":{"content":5}}])") + finish() + kDone,
              "delta.content is neither a string nor null");
}

TEST(OpenAiStreamValidator, UsageChunkAfterTheFinishChunkBeforeDone) {
  expect_only(kRole + kUsage + finish() + kDone,
              "event 2 (usage chunk): usage chunk before the finish chunk");
  expect_only(kRole + finish() + kUsage + kUsage + kDone,
              "event 4 (usage chunk): chunk after the usage chunk (only [DONE] may follow it)");
  expect_only(kRole + finish() + chunk(R"("choices":[])") + kDone,
              "event 3 (usage chunk): no choice and no usage object");
  expect_has(kRole + finish() + chunk(R"("choices":[],"usage":5)") + kDone,
             "usage is neither null nor an object");
  expect_only(kRole + chunk(choice("{}", R"("stop")") + R"(,"usage":{"total_tokens":3})") + kDone,
              "usage on a chunk with choices");
}

TEST(OpenAiStreamValidator, RoleAssistantFirstAndNeverChanged) {
  expect_only(content("x") + finish() + kDone,
              "event 1 (chunk): first delta has no role \"assistant\"");
  expect_only(chunk(choice(R"({"role":"user","content":""})")) + finish() + kDone,
              "first delta has no role \"assistant\"");
  expect_only(kRole + chunk(choice(R"({"role":"tool","content":"x"})")) + finish() + kDone,
              "event 2 (chunk): role changed from \"assistant\"");
  // Repeating the same role is fine.
  EXPECT_TRUE(check(kRole + kRole + finish() + kDone).empty());
}

// --- Tool calls -----------------------------------------------------------------------------

TEST(OpenAiStreamValidator, ToolCallIndicesAreDenseAndNewOnesComeInOrder) {
  expect_only(
      kRole + tools(first_piece(1)) + tools(args_piece(1, "{}")) + finish("tool_calls") + kDone,
      "event 2 (chunk): tool call index 1 but the next new index is 0");
  expect_only(kRole + tools(first_piece(0)) + tools(first_piece(2, "call_c")) +
                  tools(args_piece(0, "{}") + "," + args_piece(2, "{}")) + finish("tool_calls") +
                  kDone,
              "event 3 (chunk): tool call index 2 but the next new index is 1");
  expect_has(kRole + tools(R"({"id":"call_a","function":{"arguments":"{}"}})") +
                 finish("tool_calls") + kDone,
             "tool call piece without an index");
}

TEST(OpenAiStreamValidator, FirstPieceCarriesIdTypeAndName) {
  const std::string end = tools(args_piece(0, "{}")) + finish("tool_calls") + kDone;
  expect_only(kRole +
                  tools(R"({"index":0,"type":"function","function":{"name":"f","arguments":""}})") +
                  end,
              "event 2 (chunk): tool call 0: first piece has no id");
  expect_only(
      kRole + tools(R"({"index":0,"id":"call_a","function":{"name":"f","arguments":""}})") + end,
      R"(tool call 0: first piece has no type "function")");
  expect_only(
      kRole + tools(R"({"index":0,"id":"call_a","type":"function","function":{"arguments":""}})") +
          end,
      "tool call 0: first piece has no function.name");
}

TEST(OpenAiStreamValidator, LaterPiecesKeepTheIdentity) {
  const std::string end = finish("tool_calls") + kDone;
  expect_only(kRole + tools(first_piece(0)) +
                  tools(R"({"index":0,"function":{"name":"other","arguments":"{}"}})") + end,
              R"(event 3 (chunk): tool call 0: function.name changed to "other")");
  expect_only(kRole + tools(first_piece(0)) +
                  tools(R"({"index":0,"id":"call_z","function":{"arguments":"{}"}})") + end,
              R"(tool call 0: id changed to "call_z")");
  expect_only(kRole + tools(first_piece(0)) +
                  tools(R"({"index":0,"type":"custom","function":{"arguments":"{}"}})") + end,
              R"(tool call 0: type is not "function")");
  expect_only(kRole + tools(first_piece(0)) + tools(R"({"index":0,"function":{"arguments":{}}})") +
                  tools(args_piece(0, "{}")) + end,
              "tool call 0: function.arguments is not a string");
  // Repeating the same id and name is allowed.
  EXPECT_TRUE(
      check(
          kRole + tools(first_piece(0)) +
          tools(R"({"index":0,"id":"call_a","function":{"name":"get_weather","arguments":"{}"}})") +
          end)
          .empty());
}

TEST(OpenAiStreamValidator, ArgumentsParseAsAJsonObjectAtTheFinish) {
  expect_only(kRole + tools(first_piece(0)) + tools(args_piece(0, R"({\"city\":)")) +
                  finish("tool_calls") + kDone,
              "event 4 (chunk): tool call 0 (get_weather): function.arguments do not parse as a "
              "JSON object");
  expect_only(
      kRole + tools(first_piece(0)) + tools(args_piece(0, "[1]")) + finish("tool_calls") + kDone,
      "function.arguments do not parse as a JSON object");
  EXPECT_EQ(validate_stream(kRole + tools(first_piece(0)) + finish("tool_calls") + kDone), "");
}

// --- finish_reason, [DONE] and the end ------------------------------------------------------

TEST(OpenAiStreamValidator, ExactlyOneKnownFinishReason) {
  expect_only(kRole + content("x") + kDone, "event 3 ([DONE]): [DONE] before any finish_reason");
  expect_only(kRole + finish("stopped") + kDone,
              R"(event 2 (chunk): finish_reason "stopped" is not one of stop, length, tool_calls)");
  expect_only(kRole + chunk(choice("{}", "7")) + kDone, "finish_reason 7 is not one of");
  expect_only(kRole + finish() + finish() + kDone, "event 3 (chunk): second finish_reason");
  for (const char* reason : {"stop", "length", "content_filter", "function_call"}) {
    EXPECT_TRUE(check(kRole + finish(reason) + kDone).empty()) << reason;
  }
}

TEST(OpenAiStreamValidator, NothingButUsageAfterTheFinishChunk) {
  expect_only(kRole + finish() + content("late") + kDone,
              "event 3 (chunk): chunk with a choice after the finish chunk");
  expect_only(kRole + tools(first_piece(0)) + tools(args_piece(0, "{}")) + finish("tool_calls") +
                  tools(args_piece(0, "{}")) + kDone,
              "event 5 (chunk): chunk with a choice after the finish chunk");
}

TEST(OpenAiStreamValidator, FinishReasonMatchesToolCalls) {
  expect_only(kRole + tools(first_piece(0)) + tools(args_piece(0, "{}")) + finish("stop") + kDone,
              R"(event 4 (chunk): tool calls were sent but finish_reason is "stop")");
  expect_only(kRole + content("x") + finish("tool_calls") + kDone,
              "event 3 (chunk): finish_reason tool_calls but no tool call");
}

TEST(OpenAiStreamValidator, DoneIsLast) {
  expect_only(text_stream() + content("x") + kDone,
              "event 6 (chunk): event after [DONE] (nothing may follow it)");
}

TEST(OpenAiStreamValidator, ErrorChunkShapeAndNothingAfterIt) {
  const std::string error = R"(data: {"error":{"message":"boom","type":"server_error"}})"
                            "\n\n";
  expect_only(kRole + error + kDone, "event 3 ([DONE]): event after the error chunk");
  expect_only(kRole + R"(data: {"error":"boom"})" + "\n\n",
              "event 2 (error chunk): error is not an object with a message");
}

TEST(OpenAiStreamValidator, StreamMustEndWithDone) {
  EXPECT_EQ(validate_stream(""),
            "after event 0: stream ended without [DONE]\n"
            "after event 0: stream ended without a finish_reason");
  expect_only(kRole + finish(), "after event 2: stream ended without [DONE]");
  std::string cut = text_stream();
  cut.pop_back();
  EXPECT_EQ(validate_stream(cut),
            "after event 4: stream ended inside an unterminated event\n"
            "after event 4: stream ended without [DONE]");
  bool complete = true;
  fed(
      kRole + finish(), [] { return 1; }, &complete);
  EXPECT_FALSE(complete);
}

TEST(OpenAiStreamValidator, OversizedEventIsSkippedNotBuffered) {
  const std::string huge =
      chunk(choice(R"({"content":")" + std::string(StreamValidator::kMaxEventBytes, 'x') + "\"}"));
  const std::string s = kRole + huge + finish() + kDone;
  const Violations v = fed(s, [] { return 1 << 20; });
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_EQ(v[0], "event 2: over 16 MiB; skipped unchecked");
  EXPECT_EQ(check(s), v);
}

TEST(OpenAiStreamValidator, ViolationsAreCapped) {
  std::string s = kRole;
  for (int i = 0; i < 300; ++i) s += "data: {\n\n";
  const Violations v = check(s);
  ASSERT_EQ(v.size(), StreamValidator::kMaxViolations + 1);
  EXPECT_EQ(v.back(), "further violations omitted");
}

}  // namespace
}  // namespace warden::api::openai
