#include "api/openai/stream_decoder.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/stream_event.hpp"

namespace warden::api::openai {
namespace {

namespace json = boost::json;
using core::DeltaKind;
using core::StreamEvent;

// One SSE event of a fixture: its data and the bytes it came from.
struct Sse {
  std::string data;
  std::string raw;
};

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

// The fixtures are canonical SSE: `data: X\n\n` per event.
std::vector<Sse> split_events(const std::string& all) {
  std::vector<Sse> events;
  for (std::size_t pos = 0; pos < all.size();) {
    const std::size_t end = all.find("\n\n", pos);
    if (end == std::string::npos) {
      ADD_FAILURE() << "unterminated event at " << pos;
      break;
    }
    std::string raw = all.substr(pos, end + 2 - pos);
    EXPECT_TRUE(raw.starts_with("data: ")) << raw;
    events.push_back({raw.substr(6, raw.size() - 8), raw});
    pos = end + 2;
  }
  return events;
}

std::vector<StreamEvent> decode(const std::vector<Sse>& events, bool finish = true) {
  StreamDecoder decoder("claude-client-model");
  std::vector<StreamEvent> out;
  for (const auto& e : events) {
    auto ok = decoder.feed(e.data, e.raw, out);
    EXPECT_TRUE(ok.has_value()) << e.data << ": " << (ok ? "" : ok.error().message);
  }
  if (finish) decoder.finish(out);
  return out;
}

std::vector<StreamEvent> decode_fixture(const std::string& file) {
  return decode(split_events(read_fixture(file)));
}

// Chunks given as data only (raw = the canonical bytes).
std::vector<StreamEvent> decode_data(const std::vector<std::string>& datas, bool finish = true) {
  std::vector<Sse> events;
  for (const auto& d : datas) events.push_back({d, "data: " + d + "\n\n"});
  return decode(events, finish);
}

// {"choices":[{"index":0,"delta":DELTA}]}
std::string delta_chunk(std::string_view delta) {
  return R"({"choices":[{"index":0,"delta":)" + std::string(delta) + "}]}";
}

// A choice-0 chunk with one tool-call piece.
std::string tool_chunk(std::string_view piece) {
  return delta_chunk(R"({"tool_calls":[)" + std::string(piece) + "]}");
}

std::string finish_chunk(std::string_view reason) {
  return R"({"choices":[{"index":0,"delta":{},"finish_reason":")" + std::string(reason) + R"("}]})";
}

// A one-line description of an event, so a stream can be checked event by event.
std::string describe(const StreamEvent& event) {
  struct Visitor {
    std::string operator()(const core::MessageStart& e) const {
      const auto* model = e.message.if_contains("model");
      return "message_start " + (model ? json::serialize(*model) : std::string("?"));
    }
    std::string operator()(const core::BlockStart& e) const {
      return "start " + std::to_string(e.index) + " " + json::serialize(e.block);
    }
    std::string operator()(const core::BlockDelta& e) const {
      const char* kind = e.kind == DeltaKind::kText        ? "text"
                         : e.kind == DeltaKind::kInputJson ? "json"
                         : e.kind == DeltaKind::kThinking  ? "thinking"
                                                           : "other";
      return std::string(kind) + " " + std::to_string(e.index) + " " + e.text;
    }
    std::string operator()(const core::BlockStop& e) const {
      return "stop " + std::to_string(e.index);
    }
    std::string operator()(const core::MessageDelta& e) const {
      return "delta " + json::serialize(e.data);
    }
    std::string operator()(const core::MessageStop&) const { return "message_stop"; }
    std::string operator()(const core::Ping&) const { return "ping"; }
    std::string operator()(const core::StreamError& e) const {
      return "error " + e.type + ": " + e.message;
    }
    std::string operator()(const core::UnknownEvent& e) const { return "unknown " + e.name; }
  };
  return std::visit(Visitor{}, event.payload);
}

std::vector<std::string> describe_all(const std::vector<StreamEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(describe(e));
  return out;
}

std::string message_delta(std::string_view stop_reason, int input, int cache_read, int output) {
  return R"(delta {"type":"message_delta","delta":{"stop_reason":")" + std::string(stop_reason) +
         R"(","stop_sequence":null},"usage":{"input_tokens":)" + std::to_string(input) +
         R"(,"cache_creation_input_tokens":0,"cache_read_input_tokens":)" +
         std::to_string(cache_read) + R"(,"output_tokens":)" + std::to_string(output) + "}}";
}

constexpr std::string_view kStart = R"(message_start "claude-client-model")";
constexpr std::string_view kTextBlock = R"({"type":"text","text":""})";
constexpr std::string_view kThinkingBlock = R"({"type":"thinking","thinking":"","signature":""})";

std::string tool_block(std::string_view id, std::string_view name) {
  return R"({"type":"tool_use","id":")" + std::string(id) + R"(","name":")" + std::string(name) +
         R"(","input":{}})";
}

bool is_base62(std::string_view s) {
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// --- The canonical streams of PROTOCOLS 3.4, event by event ---------------------------------

TEST(StreamDecoder, TextStreamWithUsageChunk) {
  const auto events = decode_fixture("text_stream.sse");
  const std::vector<std::string> expected = {
      std::string(kStart),
      "start 0 " + std::string(kTextBlock),
      "text 0 Hello",
      "text 0 , wörld",
      R"(text 0 ! "quoted"\n)",
      "stop 0",
      message_delta("end_turn", 8, 0, 9),
      "message_stop",
  };
  EXPECT_EQ(describe_all(events), expected);
  for (const auto& e : events) EXPECT_FALSE(e.modified);
}

TEST(StreamDecoder, MessageStartHasTheAnthropicShape) {
  const auto events = decode_fixture("text_stream.sse");
  ASSERT_FALSE(events.empty());
  const auto* start = events.front().as<core::MessageStart>();
  ASSERT_NE(start, nullptr);
  const json::object& m = start->message;
  const std::string id(m.at("id").as_string());
  EXPECT_TRUE(id.starts_with("msg_")) << id;
  EXPECT_EQ(id.size(), 4u + 24u);
  EXPECT_TRUE(is_base62(id.substr(4))) << id;
  json::object expected = json::parse(
                              R"({"type":"message","role":"assistant","model":"claude-client-model",
          "content":[],"stop_reason":null,"stop_sequence":null,
          "usage":{"input_tokens":0,"output_tokens":1}})")
                              .as_object();
  json::object rest = m;
  rest.erase("id");
  EXPECT_EQ(rest, expected);
  // The keys in the order the real API sends them.
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.emplace_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "type", "role", "model", "content", "stop_reason",
                                            "stop_sequence", "usage"}));
}

TEST(StreamDecoder, TwoToolCallsInFragments) {
  // The first call streams live; the second began while the first was open, so it is
  // buffered and emitted whole at [DONE] (the decoder's interleaving strategy).
  const auto events = decode_fixture("tool_calls_stream.sse");
  const std::vector<std::string> expected = {
      std::string(kStart),
      "start 0 " + tool_block("call_abc123", "get_weather"),
      R"(json 0 {"loc)",
      R"(json 0 ation":"Paris"})",
      "stop 0",
      "start 1 " + tool_block("call_def456", "get_time"),
      "json 1 {}",
      "stop 1",
      message_delta("tool_use", 0, 0, 0),
      "message_stop",
  };
  EXPECT_EQ(describe_all(events), expected);
}

TEST(StreamDecoder, TextThenArgumentlessToolCallWithCachedUsage) {
  const auto events = decode_fixture("text_then_tool_stream.sse");
  const std::vector<std::string> expected = {
      std::string(kStart),
      "start 0 " + std::string(kTextBlock),
      "text 0 Let me check.",
      "stop 0",
      "start 1 " + tool_block("call_noargs0000000000000001", "list_files"),
      "json 1 {}",  // closed without argument bytes
      "stop 1",
      message_delta("tool_use", 20, 100, 30),  // input = prompt − cached (4.5)
      "message_stop",
  };
  EXPECT_EQ(describe_all(events), expected);
}

TEST(StreamDecoder, ErrorChunkBecomesAStreamErrorAndEndsTheStream) {
  const auto events = decode_fixture("error_stream.sse");
  const std::vector<std::string> expected = {
      std::string(kStart),
      "start 0 " + std::string(kTextBlock),
      "text 0 Partial",
      "error api_error: The server had an error while processing your request.",
  };
  EXPECT_EQ(describe_all(events), expected);  // finish() added nothing
}

TEST(StreamDecoder, CutStreamEndsWithAnError) {
  const auto events = decode_fixture("cut_stream.sse");
  const std::vector<std::string> expected = {
      std::string(kStart),
      "start 0 " + std::string(kTextBlock),
      "text 0 This answer is cut",
      "error api_error: Upstream stream ended before finish_reason",
  };
  EXPECT_EQ(describe_all(events), expected);
}

TEST(StreamDecoder, CompatibleServerVariants) {
  // No role, reasoning_content, no `type` on the tool piece, usage on the finish chunk, no
  // [DONE]: the message closes at the end of the body.
  const auto events = decode_fixture("compat_stream.sse");
  const std::vector<std::string> expected = {
      std::string(kStart),
      "start 0 " + std::string(kThinkingBlock),
      "thinking 0 The user wants",
      "thinking 0  the weather.",
      "stop 0",
      "start 1 " + std::string(kTextBlock),
      "text 1 Checking.",
      "stop 1",
      "start 2 " + tool_block("chatcmpl-tool-9a8b", "get_weather"),
      R"(json 2 {"city": )",
      R"(json 2 "Oslo"})",
      "stop 2",
      message_delta("tool_use", 50, 0, 20),
      "message_stop",
  };
  EXPECT_EQ(describe_all(events), expected);
}

TEST(StreamDecoder, InterleavedToolCallsAreBufferedWhole) {
  // Two calls interleaved by index, finish_reason "stop" although tools were called,
  // `choices: null` on the usage chunk.
  const auto events = decode_fixture("interleaved_tools_stream.sse");
  const std::vector<std::string> expected = {
      std::string(kStart),
      "start 0 " + tool_block("call_A", "read_file"),
      R"(json 0 {"path":)",
      R"(json 0 "a.txt"})",
      "stop 0",
      "start 1 " + tool_block("call_B", "read_file"),
      R"(json 1 {"path":"b.txt"})",
      "stop 1",
      message_delta("tool_use", 10, 0, 5),  // tool calls → tool_use whatever the upstream said
      "message_stop",
  };
  EXPECT_EQ(describe_all(events), expected);
}

// --- Raw bytes ------------------------------------------------------------------------------

const char* const kFixtures[] = {
    "text_stream.sse", "tool_calls_stream.sse", "text_then_tool_stream.sse",   "error_stream.sse",
    "cut_stream.sse",  "compat_stream.sse",     "interleaved_tools_stream.sse"};

TEST(StreamDecoderRaw, ConcatenatedRawIsTheUpstreamBytes) {
  for (const char* file : kFixtures) {
    SCOPED_TRACE(file);
    const std::string bytes = read_fixture(file);
    std::string joined;
    for (const auto& e : decode(split_events(bytes))) {
      EXPECT_FALSE(e.modified);
      joined += e.raw;
    }
    EXPECT_EQ(joined, bytes);
  }
}

TEST(StreamDecoderRaw, EachChunkTravelsOnTheLastEventItProduced) {
  // Feed chunk by chunk: a chunk's bytes (plus bytes held from chunks that produced nothing)
  // are on its last event; its other events have none.
  const auto events = split_events(read_fixture("text_then_tool_stream.sse"));
  ASSERT_EQ(events.size(), 6u);
  StreamDecoder decoder("m");
  std::vector<StreamEvent> out;

  ASSERT_TRUE(decoder.feed(events[0].data, events[0].raw, out));  // role chunk
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].raw, events[0].raw);

  out.clear();
  ASSERT_TRUE(decoder.feed(events[1].data, events[1].raw, out));  // "Let me check."
  ASSERT_EQ(describe_all(out), (std::vector<std::string>{"start 0 " + std::string(kTextBlock),
                                                         "text 0 Let me check."}));
  EXPECT_EQ(out[0].raw, "");
  EXPECT_EQ(out[1].raw, events[1].raw);

  out.clear();
  ASSERT_TRUE(decoder.feed(events[2].data, events[2].raw, out));  // tool call opens
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].raw, "");
  EXPECT_EQ(out[1].raw, events[2].raw);

  out.clear();
  ASSERT_TRUE(decoder.feed(events[3].data, events[3].raw, out));  // finish chunk: held
  ASSERT_TRUE(decoder.feed(events[4].data, events[4].raw, out));  // usage chunk: held
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(decoder.feed(events[5].data, events[5].raw, out));  // [DONE]
  ASSERT_EQ(out.size(), 4u);  // "{}" delta, stop, message_delta, message_stop
  for (std::size_t i = 0; i + 1 < out.size(); ++i) EXPECT_EQ(out[i].raw, "") << i;
  EXPECT_TRUE(out.back().is<core::MessageStop>());
  EXPECT_EQ(out.back().raw, events[3].raw + events[4].raw + events[5].raw);

  out.clear();
  decoder.finish(out);
  EXPECT_TRUE(out.empty());
}

TEST(StreamDecoderRaw, HeldBytesGoOnTheLastEventOfFinish) {
  // No [DONE]: the finish chunk produces nothing, so its bytes ride on finish()'s last event.
  const std::string finish_chunk = R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})";
  StreamDecoder decoder("m");
  std::vector<StreamEvent> out;
  ASSERT_TRUE(decoder.feed(R"({"choices":[{"index":0,"delta":{"content":"x"}}]})", "A", out));
  ASSERT_TRUE(decoder.feed(finish_chunk, "B", out));
  ASSERT_TRUE(decoder.feed("  ", "C", out));  // blank data: nothing to decode, bytes held
  decoder.finish(out);
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(out.back().is<core::MessageStop>());
  EXPECT_EQ(out.back().raw, "BC");
  std::string joined;
  for (const auto& e : out) joined += e.raw;
  EXPECT_EQ(joined, "ABC");
}

// --- Edge cases -----------------------------------------------------------------------------

TEST(StreamDecoderEdge, DataThatIsNotAJsonObjectFails) {
  for (std::string_view data : {"not json", "[1,2]", "\"text\"", "{\"choices\":"}) {
    StreamDecoder decoder("m");
    std::vector<StreamEvent> out;
    auto result = decoder.feed(data, "raw", out);
    ASSERT_FALSE(result.has_value()) << data;
    EXPECT_EQ(result.error().kind, core::ErrorKind::kUpstreamFailed);
  }
}

TEST(StreamDecoderEdge, DoneAloneStillClosesTheMessage) {
  const auto events = decode_data({"[DONE]"});
  EXPECT_EQ(describe_all(events),
            (std::vector<std::string>{std::string(kStart), message_delta("end_turn", 0, 0, 0),
                                      "message_stop"}));
}

TEST(StreamDecoderEdge, EmptyBodyIsACutStream) {
  const auto events = decode_data({});
  EXPECT_EQ(
      describe_all(events),
      (std::vector<std::string>{"error api_error: Upstream stream ended before finish_reason"}));
}

TEST(StreamDecoderEdge, FinishReasonWithoutDoneClosesAtTheEnd) {
  const auto events = decode_data({delta_chunk(R"({"content":"Hi"})"), finish_chunk("length")});
  EXPECT_EQ(describe_all(events),
            (std::vector<std::string>{std::string(kStart), "start 0 " + std::string(kTextBlock),
                                      "text 0 Hi", "stop 0", message_delta("max_tokens", 0, 0, 0),
                                      "message_stop"}));
}

TEST(StreamDecoderEdge, ContentFilterMapsToRefusal) {
  const auto events = decode_data({finish_chunk("content_filter"), "[DONE]"});
  EXPECT_EQ(describe_all(events),
            (std::vector<std::string>{std::string(kStart), message_delta("refusal", 0, 0, 0),
                                      "message_stop"}));
}

TEST(StreamDecoderEdge, OnlyChoiceZeroIsDecoded) {
  const auto events =
      decode_data({R"({"choices":[{"index":1,"delta":{"content":"other"}},)"
                   R"({"index":0,"delta":{"content":"mine"}}]})",
                   R"({"choices":[{"index":1,"delta":{"content":"other again"}}]})", "[DONE]"});
  EXPECT_EQ(describe_all(events),
            (std::vector<std::string>{std::string(kStart), "start 0 " + std::string(kTextBlock),
                                      "text 0 mine", "stop 0", message_delta("end_turn", 0, 0, 0),
                                      "message_stop"}));
}

TEST(StreamDecoderEdge, ChoiceWithoutIndexCountsAsChoiceZero) {
  const auto events = decode_data({R"({"choices":[{"delta":{"content":"x"}}]})", "[DONE]"});
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(describe(events[2]), "text 0 x");
}

TEST(StreamDecoderEdge, RefusalIsText) {
  const auto events = decode_data(
      {delta_chunk(R"({"role":"assistant","content":null,"refusal":"I can't help with that."})"),
       "[DONE]"});
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(describe(events[2]), "text 0 I can't help with that.");
}

TEST(StreamDecoderEdge, ReasoningFieldOpensAThinkingBlock) {
  const auto events = decode_data(
      {delta_chunk(R"({"reasoning":"hmm"})"), delta_chunk(R"({"content":"ok"})"), "[DONE]"});
  EXPECT_EQ(describe_all(events),
            (std::vector<std::string>{std::string(kStart), "start 0 " + std::string(kThinkingBlock),
                                      "thinking 0 hmm", "stop 0",
                                      "start 1 " + std::string(kTextBlock), "text 1 ok", "stop 1",
                                      message_delta("end_turn", 0, 0, 0), "message_stop"}));
}

TEST(StreamDecoderEdge, MissingToolCallIdIsGenerated) {
  const auto events = decode_data(
      {tool_chunk(R"({"index":0,"function":{"name":"f","arguments":"{\"a\":1}"}})"), "[DONE]"});
  ASSERT_GE(events.size(), 2u);
  const auto* start = events[1].as<core::BlockStart>();
  ASSERT_NE(start, nullptr);
  const std::string id(start->block.at("id").as_string());
  EXPECT_TRUE(id.starts_with("toolu_")) << id;
  EXPECT_EQ(id.size(), 6u + 24u);
  EXPECT_TRUE(is_base62(id.substr(6))) << id;
  EXPECT_EQ(describe(events[2]), R"(json 0 {"a":1})");
}

TEST(StreamDecoderEdge, ToolCallWhoseNameNeverArrivesIsAnError) {
  const auto events =
      decode_data({tool_chunk(R"({"index":0,"id":"call_x","function":{"arguments":"{}"}})"),
                   finish_chunk("tool_calls"), "[DONE]"});
  EXPECT_EQ(describe_all(events),
            (std::vector<std::string>{std::string(kStart),
                                      "error api_error: Upstream sent tool call call_x without a "
                                      "function name"}));
}

TEST(StreamDecoderEdge, NameArrivingInALaterPieceIsUsed) {
  const auto events = decode_data(
      {tool_chunk(R"({"index":0,"function":{"arguments":"{\"q\""}})"),
       tool_chunk(R"({"index":0,"id":"call_late","function":{"name":"search","arguments":":1}"}})"),
       "[DONE]"});
  EXPECT_EQ(
      describe_all(events),
      (std::vector<std::string>{std::string(kStart), "start 0 " + tool_block("call_late", "search"),
                                R"(json 0 {"q":1})", "stop 0", message_delta("tool_use", 0, 0, 0),
                                "message_stop"}));
}

TEST(StreamDecoderEdge, PiecesWithoutIndexFollowTheLastCallOrStartANewOne) {
  const auto events = decode_data(
      {tool_chunk(R"({"id":"call_1","function":{"name":"a","arguments":"{\"x\":"}})"),
       tool_chunk(R"({"function":{"arguments":"1}"}})"),
       tool_chunk(R"({"id":"call_2","function":{"name":"b","arguments":"{}"}})"), "[DONE]"});
  EXPECT_EQ(describe_all(events),
            (std::vector<std::string>{std::string(kStart), "start 0 " + tool_block("call_1", "a"),
                                      R"(json 0 {"x":)", "json 0 1}", "stop 0",
                                      "start 1 " + tool_block("call_2", "b"), "json 1 {}", "stop 1",
                                      message_delta("tool_use", 0, 0, 0), "message_stop"}));
}

TEST(StreamDecoderEdge, OneIndexReusedWithDistinctIdsIsTwoCalls) {
  const auto events = decode_data(
      {tool_chunk(R"({"index":0,"id":"call_1","function":{"name":"a","arguments":"{}"}})"),
       tool_chunk(R"({"index":0,"id":"call_2","function":{"name":"b","arguments":"{\"y\":2}"}})"),
       "[DONE]"});
  EXPECT_EQ(describe_all(events),
            (std::vector<std::string>{std::string(kStart), "start 0 " + tool_block("call_1", "a"),
                                      "json 0 {}", "stop 0", "start 1 " + tool_block("call_2", "b"),
                                      R"(json 1 {"y":2})", "stop 1",
                                      message_delta("tool_use", 0, 0, 0), "message_stop"}));
}

TEST(StreamDecoderEdge, ArgumentsSentAsAnObjectAreSerialized) {
  const auto events = decode_data(
      {tool_chunk(R"({"index":0,"id":"c","function":{"name":"f","arguments":{"k":"v"}}})"),
       "[DONE]"});
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(describe(events[2]), R"(json 0 {"k":"v"})");
}

TEST(StreamDecoderEdge, FragmentForAToolCallClosedByTextIsAnError) {
  const auto events =
      decode_data({tool_chunk(R"({"index":0,"id":"c","function":{"name":"f","arguments":"{"}})"),
                   delta_chunk(R"({"content":"interrupting"})"),
                   tool_chunk(R"({"index":0,"function":{"arguments":"}"}})"), "[DONE]"});
  ASSERT_FALSE(events.empty());
  const auto* error = events.back().as<core::StreamError>();
  ASSERT_NE(error, nullptr) << describe(events.back());
  EXPECT_EQ(error->type, "api_error");
  // Nothing after the error, not even at [DONE] or finish().
  EXPECT_EQ(describe(events[events.size() - 2]), "text 1 interrupting");
}

TEST(StreamDecoderEdge, ToolCallsCutByTheTokenLimitAreMaxTokens) {
  const auto events =
      decode_data({tool_chunk(R"({"index":0,"id":"c","function":{"name":"f","arguments":"{\"a"}})"),
                   finish_chunk("length"), "[DONE]"});
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(describe(events[events.size() - 2]), message_delta("max_tokens", 0, 0, 0));
}

TEST(StreamDecoderEdge, ErrorTypesAreMappedToAnthropics) {
  struct Case {
    std::string data;
    std::string expected;
  };
  const Case cases[] = {
      {R"({"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}})",
       "error rate_limit_error: slow down"},
      {R"({"error":{"message":"busy","type":"server_error","code":"server_is_overloaded"}})",
       "error overloaded_error: busy"},
      {R"({"error":{"message":"too long","type":"invalid_request_error",)"
       R"("param":"messages","code":"context_length_exceeded"}})",
       "error invalid_request_error: too long"},
      {R"({"error":{"message":"bad key","type":"invalid_request_error",)"
       R"("code":"invalid_api_key"}})",
       "error authentication_error: bad key"},
      {R"({"error":{"message":"who","type":"invalid_request_error","code":"model_not_found"}})",
       "error not_found_error: who"},
      {R"({"error":{"message":"late","type":"server_error","code":"timeout"}})",
       "error timeout_error: late"},
      {R"({"error":"plain text error"})", "error api_error: plain text error"},
      {R"({"error":{}})", "error api_error: Upstream reported an error"},
      {R"({"object":"error","message":"vllm says no","type":"BadRequestError","code":400})",
       "error api_error: vllm says no"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.data);
    const auto events = decode_data({c.data});
    ASSERT_EQ(events.size(), 1u);  // no message_start before a first-chunk error
    EXPECT_EQ(describe(events[0]), c.expected);
  }
}

TEST(StreamDecoderEdge, NullErrorIsNotAnError) {
  const auto events =
      decode_data({R"({"error":null,"choices":[{"index":0,"delta":{"content":"x"}}]})", "[DONE]"});
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(describe(events[2]), "text 0 x");
}

TEST(StreamDecoderEdge, NothingIsDecodedAfterDone) {
  const auto events = decode_data(
      {"[DONE]", R"({"choices":[{"index":0,"delta":{"content":"x"}}]})", "not even json"});
  EXPECT_EQ(describe_all(events),
            (std::vector<std::string>{std::string(kStart), message_delta("end_turn", 0, 0, 0),
                                      "message_stop"}));
}

TEST(StreamDecoderEdge, EmptyContentAndRoleOnlyChunksProduceNothing) {
  StreamDecoder decoder("m");
  std::vector<StreamEvent> out;
  const std::string role_only = delta_chunk(R"({"role":"assistant","content":""})");
  ASSERT_TRUE(decoder.feed(role_only, "1", out));
  ASSERT_EQ(out.size(), 1u);  // message_start only
  ASSERT_TRUE(decoder.feed(role_only, "2", out));
  ASSERT_TRUE(decoder.feed(R"({"choices":[]})", "3", out));
  ASSERT_TRUE(decoder.feed(R"({"choices":null})", "4", out));
  ASSERT_TRUE(decoder.feed(R"({"id":"x"})", "5", out));
  EXPECT_EQ(out.size(), 1u);
  ASSERT_TRUE(decoder.feed(R"({"choices":[{"index":0,"delta":{"content":"y"}}]})", "6", out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].raw, "23456");
}

TEST(StreamDecoderEdge, UsageOnAnyChunkCountsLastOneWins) {
  const auto events = decode_data({R"({"choices":[{"index":0,"delta":{"content":"x"}}],)"
                                   R"("usage":{"prompt_tokens":1,"completion_tokens":1}})",
                                   R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],)"
                                   R"("usage":{"prompt_tokens":30,"completion_tokens":4,)"
                                   R"("prompt_tokens_details":{"cached_tokens":10}}})",
                                   "[DONE]"});
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(describe(events[events.size() - 2]), message_delta("end_turn", 20, 10, 4));
}

// --- Cheap decoding: each chunk is parsed into scratch space -------------------------------
//
// feed parses a chunk into a scratch tree that dies with the call; nothing decoded may depend
// on it afterwards, and what it accepts and rejects is what json::parse does.

TEST(StreamDecoderScratch, UsageOutlivesTheChunkItCameIn) {
  StreamDecoder decoder("claude-client-model");
  std::vector<StreamEvent> out;
  ASSERT_TRUE(decoder.feed(R"({"choices":[],"usage":{"prompt_tokens":30,"completion_tokens":4,)"
                           R"("prompt_tokens_details":{"cached_tokens":10}}})",
                           "", out));
  // Later chunks of every size, and a failing one on another decoder of this thread, reuse the
  // scratch space.
  for (int i = 0; i < 40; ++i) {
    const std::string text(static_cast<std::size_t>(i) * 2000 + 1, 'x');
    ASSERT_TRUE(decoder.feed(delta_chunk(R"({"content":")" + text + "\"}"), "", out));
    StreamDecoder other("m");
    std::vector<StreamEvent> ignored;
    EXPECT_FALSE(other.feed(R"({"choices":[{"index":0,"delta":{"content":"x"}})", "", ignored));
  }
  ASSERT_TRUE(decoder.feed(finish_chunk("stop"), "", out));
  ASSERT_TRUE(decoder.feed("[DONE]", "", out));
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(describe(out[out.size() - 2]), message_delta("end_turn", 20, 10, 4));
  EXPECT_EQ(out[2].as<core::BlockDelta>()->text, "x");
  EXPECT_EQ(out[out.size() - 4].as<core::BlockDelta>()->text, std::string(39 * 2000 + 1, 'x'));
}

TEST(StreamDecoderScratch, ChunksLargerThanTheScratchSpaceDecode) {
  for (std::size_t size : {5000u, 70000u, 300000u}) {
    SCOPED_TRACE(size);
    const std::string text(size, 'y');
    const auto events = decode_data(
        {delta_chunk(R"({"content":")" + text + "\"}"),
         tool_chunk(R"({"index":0,"id":"call_1","type":"function","function":{"name":"f",)"
                    R"("arguments":{"q":")" +
                    text + "\"}}}"),
         finish_chunk("tool_calls"), "[DONE]"});
    ASSERT_GE(events.size(), 7u);
    EXPECT_EQ(describe(events[2]), "text 0 " + text);
    EXPECT_EQ(describe(events[5]), R"(json 1 {"q":")" + text + "\"}");
  }
}

TEST(StreamDecoderScratch, AcceptsWhatJsonParseAccepts) {
  for (int depth : {30, 31, 32, 33, 40}) {
    SCOPED_TRACE(depth);
    std::string nested;
    for (int i = 0; i < depth; ++i) nested += "[";
    for (int i = 0; i < depth; ++i) nested += "]";
    const std::string data = R"({"choices":[],"x":)" + nested + "}";
    boost::system::error_code ec;
    json::parse(data, ec);
    StreamDecoder decoder("m");
    std::vector<StreamEvent> out;
    EXPECT_EQ(decoder.feed(data, "", out).has_value(), !ec);
  }
  // A later key wins.
  const auto events = decode_data(
      {R"({"choices":[{"index":0,"delta":{"content":"a","content":"b"}}],"choices":null})",
       R"({"choices":[{"index":0,"delta":{"content":"c","content":"d"}}]})", finish_chunk("stop"),
       "[DONE]"});
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(describe(events[2]), "text 0 d");
}

}  // namespace
}  // namespace warden::api::openai
