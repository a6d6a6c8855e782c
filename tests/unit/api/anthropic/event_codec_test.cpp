#include "api/anthropic/event_codec.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "api/anthropic/client_formatter.hpp"
#include "core/stream_event.hpp"

namespace warden::api::anthropic {
namespace {

namespace json = boost::json;
using core::DeltaKind;
using core::ErrorKind;
using core::StreamEvent;

// `event: NAME\ndata: DATA\n\n`, the form the real API sends.
std::string wire(std::string_view name, std::string_view data) {
  return "event: " + std::string(name) + "\ndata: " + std::string(data) + "\n\n";
}

StreamEvent decode_ok(std::string_view name, std::string_view data) {
  auto result = decode_event(name, data, wire(name, data));
  EXPECT_TRUE(result.has_value()) << name << ": " << (result ? "" : result.error().message);
  if (!result) return StreamEvent{core::UnknownEvent{"decode failed", ""}, "", false};
  return std::move(*result);
}

std::string encode(const StreamEvent& event) {
  std::string out;
  encode_event(event, out);
  return out;
}

// Splits `event: X\ndata: Y\n\n` into X and Y; fails the test on any other shape.
struct Wire {
  std::string name;
  std::string data;
};
Wire split_wire(const std::string& bytes) {
  Wire w;
  const std::string_view s(bytes);
  const auto nl = s.find('\n');
  if (!s.starts_with("event: ") || nl == std::string_view::npos ||
      s.substr(nl + 1, 6) != "data: " || !s.ends_with("\n\n")) {
    ADD_FAILURE() << "not an Anthropic SSE event: " << testing::PrintToString(bytes);
    return w;
  }
  w.name = s.substr(7, nl - 7);
  w.data = s.substr(nl + 7, s.size() - nl - 9);
  EXPECT_EQ(w.data.find('\n'), std::string::npos) << "data must be one line";
  return w;
}

// --- Decoding every event type of PROTOCOLS.md 2.5 ------------------------------------------

constexpr std::string_view kMessageStart =
    R"({"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message",)"
    R"("role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,)"
    R"("stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,)"
    R"("cache_read_input_tokens":0,"output_tokens":2}}})";

TEST(DecodeEvent, MessageStartKeepsTheMessageObject) {
  const auto event = decode_ok("message_start", kMessageStart);
  const auto* start = event.as<core::MessageStart>();
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->message.at("id").as_string(), "msg_014p7gG3wDgGV9EUtLvnow3U");
  EXPECT_EQ(start->message.at("usage").at("input_tokens").as_int64(), 472);
  EXPECT_TRUE(start->message.at("content").as_array().empty());
  EXPECT_FALSE(event.modified);
  EXPECT_EQ(event.raw, wire("message_start", kMessageStart));
  EXPECT_EQ(core::event_name(event), "message_start");
}

TEST(DecodeEvent, ContentBlockStartOfEachBlockType) {
  for (std::string_view block : {
           R"({"type":"text","text":""})",
           R"({"type":"tool_use","id":"toolu_01T1x1","name":"get_weather","input":{}})",
           R"({"type":"thinking","thinking":"","signature":""})",
           R"({"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4a"})",
           R"({"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{}})",
           R"({"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[)"
           R"({"type":"web_search_result","title":"t","url":"https://x","page_age":null}]})",
       }) {
    SCOPED_TRACE(block);
    const std::string data =
        R"({"type":"content_block_start","index":3,"content_block":)" + std::string(block) + "}";
    const auto event = decode_ok("content_block_start", data);
    const auto* start = event.as<core::BlockStart>();
    ASSERT_NE(start, nullptr);
    EXPECT_EQ(start->index, 3);
    EXPECT_EQ(json::value(start->block), json::parse(block));
  }
}

TEST(DecodeEvent, TextInputJsonThinkingAndSignatureDeltas) {
  struct Case {
    std::string_view delta;
    DeltaKind kind;
    std::string_view text;
  };
  for (const Case& c : {
           Case{R"({"type":"text_delta","text":"Okay, let me check"})", DeltaKind::kText,
                "Okay, let me check"},
           Case{R"({"type":"input_json_delta","partial_json":"{\"location\": \"San Fra"})",
                DeltaKind::kInputJson, R"({"location": "San Fra)"},
           Case{R"({"type":"input_json_delta","partial_json":""})", DeltaKind::kInputJson, ""},
           Case{R"({"type":"thinking_delta","thinking":"Let me solve this step by step..."})",
                DeltaKind::kThinking, "Let me solve this step by step..."},
           Case{R"({"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxB"})",
                DeltaKind::kSignature, "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxB"},
           Case{R"({"type":"text_delta","text":"caf\u00e9 \ud83c\udf30 \"q\"\n"})",
                DeltaKind::kText, "caf\xC3\xA9 \xF0\x9F\x8C\xB0 \"q\"\n"},
       }) {
    SCOPED_TRACE(c.delta);
    const std::string data =
        R"({"type":"content_block_delta","index":1,"delta":)" + std::string(c.delta) + "}";
    const auto event = decode_ok("content_block_delta", data);
    const auto* delta = event.as<core::BlockDelta>();
    ASSERT_NE(delta, nullptr);
    EXPECT_EQ(delta->index, 1);
    EXPECT_EQ(delta->kind, c.kind);
    EXPECT_EQ(delta->text, c.text);
  }
}

TEST(DecodeEvent, CitationsDeltaIsKindOtherWithTheWholeDelta) {
  constexpr std::string_view kDelta =
      R"({"type":"citations_delta","citation":{"type":"char_location","cited_text":"the sky",)"
      R"("document_index":0,"document_title":"Doc","start_char_index":0,"end_char_index":42}})";
  const auto event =
      decode_ok("content_block_delta",
                R"({"type":"content_block_delta","index":3,"delta":)" + std::string(kDelta) + "}");
  const auto* delta = event.as<core::BlockDelta>();
  ASSERT_NE(delta, nullptr);
  EXPECT_EQ(delta->index, 3);
  EXPECT_EQ(delta->kind, DeltaKind::kOther);
  EXPECT_TRUE(delta->text.empty());
  EXPECT_EQ(json::value(delta->other), json::parse(kDelta));
}

TEST(DecodeEvent, UnknownDeltaTypeIsKindOther) {
  const auto event = decode_ok(
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"future_delta","x":[1,2]}})");
  ASSERT_TRUE(event.is<core::BlockDelta>());
  EXPECT_EQ(event.as<core::BlockDelta>()->kind, DeltaKind::kOther);
}

TEST(DecodeEvent, ContentBlockStop) {
  const auto event = decode_ok("content_block_stop", R"({"type":"content_block_stop","index":7})");
  ASSERT_TRUE(event.is<core::BlockStop>());
  EXPECT_EQ(event.as<core::BlockStop>()->index, 7);
}

TEST(DecodeEvent, MessageDeltaKeepsTheWholeEventAndItsStopReason) {
  constexpr std::string_view kData =
      R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},)"
      R"("usage":{"output_tokens":89},"context_management":{"applied_edits":[]}})";
  const auto event = decode_ok("message_delta", kData);
  const auto* delta = event.as<core::MessageDelta>();
  ASSERT_NE(delta, nullptr);
  EXPECT_EQ(json::value(delta->data), json::parse(kData));
  EXPECT_EQ(core::stop_reason(*delta), "tool_use");
}

TEST(DecodeEvent, MessageStopAndPing) {
  EXPECT_TRUE(decode_ok("message_stop", R"({"type":"message_stop"})").is<core::MessageStop>());
  EXPECT_TRUE(decode_ok("ping", R"({"type": "ping"})").is<core::Ping>());
}

TEST(DecodeEvent, ErrorEventCarriesTypeAndMessage) {
  const auto event = decode_ok(
      "error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  const auto* error = event.as<core::StreamError>();
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->type, "overloaded_error");
  EXPECT_EQ(error->message, "Overloaded");
}

TEST(DecodeEvent, ErrorEventWithoutDetailsGetsAGenericApiError) {
  for (std::string_view data : {R"({"type":"error"})", R"({"type":"error","error":"boom"})",
                                R"({"type":"error","error":{}})"}) {
    SCOPED_TRACE(data);
    const auto event = decode_ok("error", data);
    const auto* error = event.as<core::StreamError>();
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->type, "api_error");
    EXPECT_FALSE(error->message.empty());
  }
}

TEST(DecodeEvent, UnknownEventTypeIsAnUnknownEventWithItsNameAndData) {
  const auto event =
      decode_ok("content_block_flush", R"({"type":"content_block_flush","index":0,"extra":[1]})");
  const auto* unknown = event.as<core::UnknownEvent>();
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->name, "content_block_flush");
  EXPECT_EQ(json::parse(unknown->data),
            json::parse(R"({"type":"content_block_flush","index":0,"extra":[1]})"));
  EXPECT_EQ(core::event_name(event), "content_block_flush");
}

TEST(DecodeEvent, UnnamedSseEventTakesItsNameFromTheJsonType) {
  // No `event:` line: the SSE parser names it "message".
  auto event = decode_ok("message", R"({"type":"message_stop"})");
  EXPECT_TRUE(event.is<core::MessageStop>());
  event = decode_ok("message", R"({"type":"something_new"})");
  ASSERT_TRUE(event.is<core::UnknownEvent>());
  EXPECT_EQ(core::event_name(event), "something_new");
}

TEST(DecodeEvent, UnnamedEventWhoseTypeHasALineBreakKeepsTheNameMessage) {
  // Found by event_codec_fuzz: the type, used as the name, broke the `event:` line on encode.
  auto event = decode_ok("message", R"({"type":"a\nb","x":1})");
  ASSERT_TRUE(event.is<core::UnknownEvent>());
  EXPECT_EQ(core::event_name(event), "message");
  event.modified = true;
  EXPECT_EQ(encode(event), wire("message", R"({"type":"a\nb","x":1})"));
}

TEST(DecodeEvent, MissingJsonTypeFallsBackToTheSseName) {
  const auto event = decode_ok("content_block_stop", R"({"index":2})");
  ASSERT_TRUE(event.is<core::BlockStop>());
  EXPECT_EQ(event.as<core::BlockStop>()->index, 2);
}

// --- Errors ---------------------------------------------------------------------------------

void expect_upstream_error(std::string_view name, std::string_view data) {
  SCOPED_TRACE(std::string(name) + " " + std::string(data));
  const auto result = decode_event(name, data, wire(name, data));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::kUpstreamFailed);
  EXPECT_FALSE(result.error().message.empty());
}

TEST(DecodeEventErrors, MalformedOrNonObjectJsonIsAnUpstreamError) {
  for (std::string_view data : {"", "{", R"({"type":"ping")", "[DONE]", "null", "42", R"("ping")",
                                "[]", R"({"type":"ping"} x)", "{'type':'ping'}"}) {
    expect_upstream_error("ping", data);
  }
}

TEST(DecodeEventErrors, KnownEventMissingItsFieldsIsAnUpstreamError) {
  expect_upstream_error(
      "content_block_delta",
      R"({"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}})");
  expect_upstream_error("content_block_delta", R"({"type":"content_block_delta","index":0})");
  expect_upstream_error("content_block_delta",
                        R"({"type":"content_block_delta","index":0,"delta":"text"})");
  expect_upstream_error(
      "content_block_delta",
      R"({"type":"content_block_delta","index":"0","delta":{"type":"text_delta","text":"x"}})");
  expect_upstream_error(
      "content_block_delta",
      R"({"type":"content_block_delta","index":-1,"delta":{"type":"text_delta","text":"x"}})");
  expect_upstream_error(
      "content_block_delta",
      R"({"type":"content_block_delta","index":1.5,"delta":{"type":"text_delta","text":"x"}})");
  expect_upstream_error(
      "content_block_start",
      R"({"type":"content_block_start","content_block":{"type":"text","text":""}})");
  expect_upstream_error("content_block_start", R"({"type":"content_block_start","index":0})");
  expect_upstream_error("content_block_start",
                        R"({"type":"content_block_start","index":0,"content_block":null})");
  expect_upstream_error("content_block_stop", R"({"type":"content_block_stop"})");
  expect_upstream_error("message_start", R"({"type":"message_start"})");
  expect_upstream_error("message_start", R"({"type":"message_start","message":[]})");
  expect_upstream_error("message_delta", R"({"type":"message_delta","usage":{"output_tokens":1}})");
}

TEST(DecodeEventErrors, KnownDeltaWhoseTextIsNotAStringIsAnUpstreamError) {
  expect_upstream_error(
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta"}})");
  expect_upstream_error(
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":5}})");
  expect_upstream_error("content_block_delta",
                        R"({"type":"content_block_delta","index":0,)"
                        R"("delta":{"type":"input_json_delta","partial_json":{}}})");
  expect_upstream_error("content_block_delta",
                        R"({"type":"content_block_delta","index":0,)"
                        R"("delta":{"type":"thinking_delta","thinking":null}})");
  expect_upstream_error(
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta"}})");
}

// --- Cheap decoding: the compact delta path, the scratch tree -------------------------------
//
// decode_event reads a delta in the exact compact shape the API sends without building a JSON
// tree, and parses everything else into a per-call scratch tree. Neither may show: the result
// is what the same JSON in any other spelling gives, errors are json::parse's, and what an
// event keeps is its own.

// `delta` (a JSON object) as content_block_delta data, compact or spaced out and reordered.
std::string delta_event(std::string_view index, std::string_view delta, bool compact) {
  if (compact) {
    return R"({"type":"content_block_delta","index":)" + std::string(index) + R"(,"delta":)" +
           std::string(delta) + "}";
  }
  return R"({ "delta" : )" + std::string(delta) + R"(, "index": )" + std::string(index) +
         R"(, "type": "content_block_delta" })";
}

TEST(DecodeEventCompact, CompactDeltaDecodesLikeAnyOtherSpelling) {
  for (std::string_view index : {"0", "7", "-0", "123456789012345678", "1234567890123456789"}) {
    for (std::string_view delta : {
             R"({"type":"text_delta","text":"Hello"})",
             R"({"type":"text_delta","text":""})",
             R"({"type":"text_delta","text":"q\"uo\\te\/s \b\f\n\r\t end"})",
             R"({"type":"text_delta","text":"caf\u00e9 \ud83c\udf30"})",
             "{\"type\":\"text_delta\",\"text\":\"caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x8C\xB0 "
             "\x7F\"}",
             R"({"type":"input_json_delta","partial_json":"{\"location\": \"San Fra"})",
             R"({"type":"thinking_delta","thinking":"Let me think\n"})",
             R"({"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxB"})",
             R"({"type":"citations_delta","citation":{"type":"char_location"}})",
         }) {
      SCOPED_TRACE(std::string(index) + " " + std::string(delta));
      const auto compact = decode_ok("content_block_delta", delta_event(index, delta, true));
      const auto spaced = decode_ok("content_block_delta", delta_event(index, delta, false));
      const auto* a = compact.as<core::BlockDelta>();
      const auto* b = spaced.as<core::BlockDelta>();
      ASSERT_NE(a, nullptr);
      ASSERT_NE(b, nullptr);
      EXPECT_EQ(a->index, b->index);
      EXPECT_EQ(a->kind, b->kind);
      EXPECT_EQ(a->text, b->text);
      EXPECT_EQ(a->other, b->other);
      EXPECT_EQ(compact.raw, wire("content_block_delta", delta_event(index, delta, true)));
    }
  }
}

TEST(DecodeEventCompact, CompactDeltaThatIsNotJsonIsStillAnError) {
  const std::string head =
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")";
  for (std::string_view text : {
           "a\x01",             // a control character
           "a\\xb",             // not an escape
           "a\\",               // an escape cut short
           "\xC3",              // a UTF-8 sequence cut short
           "\xC0\xAF",          // overlong
           "\xED\xA0\x80",      // a surrogate
           "\xF4\x90\x80\x80",  // past U+10FFFF
           "\xFF",
       }) {
    expect_upstream_error("content_block_delta", head + std::string(text) + "\"}}");
  }
  expect_upstream_error("content_block_delta", head + "x\"}}x");
  expect_upstream_error("content_block_delta", head + "x\"}");
  expect_upstream_error("content_block_delta", head + "}}");
  expect_upstream_error(
      "content_block_delta",
      R"({"type":"content_block_delta","index":01,"delta":{"type":"text_delta","text":"x"}})");
  expect_upstream_error("content_block_delta",
                        R"({"type":"content_block_delta","index":9223372036854775808,)"
                        R"("delta":{"type":"text_delta","text":"x"}})");
}

TEST(DecodeEventCompact, ErrorsAreTheOnesJsonParseReports) {
  // The nesting limit, duplicate keys, numbers: decode_event accepts exactly what json::parse
  // does, and a later key wins.
  for (int depth : {30, 31, 32, 33, 40}) {
    SCOPED_TRACE(depth);
    std::string block = R"({"type":"text","x":)";
    for (int i = 0; i < depth; ++i) block += "[";
    for (int i = 0; i < depth; ++i) block += "]";
    block += "}";
    const std::string data =
        R"({"type":"content_block_start","index":0,"content_block":)" + block + "}";
    boost::system::error_code ec;
    json::parse(data, ec);
    EXPECT_EQ(decode_event("content_block_start", data, "").has_value(), !ec);
  }
  const auto event =
      decode_ok("content_block_delta", R"({"type":"content_block_delta","index":0,"index":2,)"
                                       R"("delta":{"type":"text_delta","text":"a","text":"b"}})");
  ASSERT_TRUE(event.is<core::BlockDelta>());
  EXPECT_EQ(event.as<core::BlockDelta>()->index, 2);
  EXPECT_EQ(event.as<core::BlockDelta>()->text, "b");
}

// `v` and all in it are on the default storage, as an event that outlives the call needs.
bool on_default_storage(const json::value& v) {
  if (v.storage().get() != json::storage_ptr().get()) return false;
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (!on_default_storage(kv.value())) return false;
    }
  }
  if (v.is_array()) {
    for (const auto& x : v.get_array()) {
      if (!on_default_storage(x)) return false;
    }
  }
  return true;
}
bool on_default_storage(const json::object& o) {
  if (o.storage().get() != json::storage_ptr().get()) return false;
  for (const auto& kv : o) {
    if (!on_default_storage(kv.value())) return false;
  }
  return true;
}

TEST(DecodeEventCompact, KeptJsonIsTheEventsOwnAndOutlivesLaterDecodes) {
  constexpr std::string_view kBlock =
      R"({"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"a":[1,2,{"b":null}]}})";
  constexpr std::string_view kCitation =
      R"({"type":"citations_delta","citation":{"type":"char_location","cited_text":"the sky"}})";
  constexpr std::string_view kDelta =
      R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},)"
      R"("usage":{"output_tokens":89}})";
  std::vector<StreamEvent> kept;
  // message_start and message_delta under their own names and under another one.
  for (std::string_view name : {"message_start", "message"}) {
    kept.push_back(decode_ok(name, kMessageStart));
    kept.push_back(decode_ok(name, kDelta));
  }
  kept.push_back(decode_ok(
      "content_block_start",
      R"({"type":"content_block_start","index":1,"content_block":)" + std::string(kBlock) + "}"));
  kept.push_back(decode_ok("content_block_delta", delta_event("3", kCitation, true)));
  // Later decodes on this thread, of every size and some failing, reuse the scratch space.
  for (int i = 0; i < 50; ++i) {
    const std::string text(static_cast<std::size_t>(i) * 300, 'x');
    decode_ok("content_block_start",
              R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":")" +
                  text + "\"}}");
    EXPECT_FALSE(decode_event("content_block_delta", delta_event("0", "{", true), "").has_value());
  }
  for (const auto& event : kept) {
    if (const auto* e = event.as<core::MessageStart>()) {
      EXPECT_EQ(json::value(e->message), json::parse(kMessageStart).at("message"));
      EXPECT_TRUE(on_default_storage(e->message));
    } else if (const auto* e = event.as<core::MessageDelta>()) {
      EXPECT_EQ(json::value(e->data), json::parse(kDelta));
      EXPECT_TRUE(on_default_storage(e->data));
    } else if (const auto* e = event.as<core::BlockStart>()) {
      EXPECT_EQ(json::value(e->block), json::parse(kBlock));
      EXPECT_TRUE(on_default_storage(e->block));
    } else if (const auto* e = event.as<core::BlockDelta>()) {
      EXPECT_EQ(json::value(e->other), json::parse(kCitation));
      EXPECT_TRUE(on_default_storage(e->other));
    } else {
      ADD_FAILURE() << "unexpected event " << core::event_name(event);
    }
  }
}

TEST(DecodeEventCompact, EventsLargerThanTheScratchSpaceDecode) {
  for (std::size_t size : {5000u, 70000u, 300000u}) {
    SCOPED_TRACE(size);
    const std::string text(size, 'y');
    const std::string delta = R"({"type":"text_delta","text":")" + text + "\"}";
    for (bool compact : {true, false}) {
      const auto event = decode_ok("content_block_delta", delta_event("0", delta, compact));
      ASSERT_TRUE(event.is<core::BlockDelta>());
      EXPECT_EQ(event.as<core::BlockDelta>()->text, text);
    }
    std::string message(kMessageStart);
    message.insert(message.find(R"("content":[])") + 11,
                   R"({"type":"text","text":")" + text + "\"}");
    const auto start = decode_ok("message_start", message);
    ASSERT_TRUE(start.is<core::MessageStart>());
    EXPECT_EQ(start.as<core::MessageStart>()->message.at("content").at(0).at("text").as_string(),
              text);
    EXPECT_FALSE(
        decode_event("message_start", message.substr(0, message.size() - 1), "").has_value());
  }
}

// --- Round trip -----------------------------------------------------------------------------
//
// Decision: for an event in the canonical wire form — `event: X\ndata: <compact JSON>\n\n`,
// keys in the order the real API sends them, integers only, no needless \u escapes —
// encode_event(decode_event(...)) with modified = true reproduces the SAME BYTES (Boost.JSON
// keeps key order). That is every event of the golden streams in tests/data/anthropic except
// the real API's ping, which has a space (`{"type": "ping"}`); for that one, and for
// non-canonical input (whitespace, \u escapes), the JSON value is the same.

// Every event of tests/data/anthropic/`file`, as {name, data}.
std::vector<Wire> fixture_events(const std::string& file) {
  const char* dir = std::getenv("WARDEN_TEST_DATA");
  if (dir == nullptr) {
    ADD_FAILURE() << "WARDEN_TEST_DATA is not set (run through ctest or set it to tests/data)";
    return {};
  }
  std::ifstream in(std::string(dir) + "/anthropic/" + file, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << file;
  std::ostringstream text;
  text << in.rdbuf();
  std::vector<Wire> events;
  const std::string all = text.str();
  for (std::size_t pos = 0; pos < all.size();) {
    const std::size_t end = all.find("\n\n", pos);
    if (end == std::string::npos) break;
    events.push_back(split_wire(all.substr(pos, end + 2 - pos)));
    pos = end + 2;
  }
  EXPECT_FALSE(events.empty()) << file;
  return events;
}

std::vector<Wire> all_fixture_events() {
  std::vector<Wire> all;
  for (const char* file : {"text_stream.sse", "tool_use_stream.sse", "thinking_stream.sse",
                           "error_stream.sse", "other_events.sse"}) {
    for (auto& e : fixture_events(file)) all.push_back(std::move(e));
  }
  return all;
}

TEST(EventRoundTrip, EveryFixtureEventDecodesUnderItsOwnName) {
  const auto events = all_fixture_events();
  ASSERT_GE(events.size(), 50u);
  for (const auto& [name, data] : events) {
    SCOPED_TRACE(data);
    const auto event = decode_ok(name, data);
    EXPECT_EQ(core::event_name(event), name);
    EXPECT_EQ(event.is<core::UnknownEvent>(), name == "content_block_flush");
  }
}

TEST(EventRoundTrip, CanonicalEventsReEncodeToTheSameBytes) {
  std::size_t checked = 0;
  for (const auto& [name, data] : all_fixture_events()) {
    if (name == "ping") continue;  // not compact on the wire: see the next test
    SCOPED_TRACE(data);
    auto event = decode_ok(name, data);
    event.modified = true;
    EXPECT_EQ(encode(event), wire(name, data));
    ++checked;
  }
  EXPECT_GE(checked, 45u);
}

TEST(EventRoundTrip, EveryEventReEncodesToTheSameNameAndJsonValue) {
  std::vector<Wire> events = all_fixture_events();
  // Pretty JSON and escapes: different bytes, same value.
  events.push_back({"content_block_stop", R"({ "type" : "content_block_stop", "index" : 4 })"});
  events.push_back({"content_block_delta",
                    R"({"type":"content_block_delta","index":0,)"
                    R"("delta":{"type":"text_delta","text":"\u0041\/\u00e9"}})"});
  for (const auto& [name, data] : events) {
    SCOPED_TRACE(data);
    auto event = decode_ok(name, data);
    event.modified = true;
    const Wire out = split_wire(encode(event));
    EXPECT_EQ(out.name, name);
    EXPECT_EQ(json::parse(out.data), json::parse(data));
  }
}

TEST(EventRoundTrip, ModifiedDeltaIsEncodedWithItsNewText) {
  auto event =
      decode_ok("content_block_delta", R"({"type":"content_block_delta","index":2,)"
                                       R"("delta":{"type":"text_delta","text":"secret"}})");
  event.as<core::BlockDelta>()->text = "[redacted] \"x\"";
  event.modified = true;
  EXPECT_EQ(encode(event), wire("content_block_delta",
                                R"({"type":"content_block_delta","index":2,)"
                                R"("delta":{"type":"text_delta","text":"[redacted] \"x\""}})"));
}

TEST(EventRoundTrip, EncodingAppendsToTheOutput) {
  std::string out = "before";
  encode_event(StreamEvent{core::MessageStop{}, "", true}, out);
  EXPECT_EQ(out, "before" + wire("message_stop", R"({"type":"message_stop"})"));
}

TEST(EventRoundTrip, WardenMadeEventsEncodeInTheDocumentedShape) {
  EXPECT_EQ(
      encode(StreamEvent{core::StreamError{"api_error", "Policy failed"}, "", true}),
      wire("error", R"({"type":"error","error":{"type":"api_error","message":"Policy failed"}})"));
  EXPECT_EQ(encode(StreamEvent{core::BlockStop{5}, "", true}),
            wire("content_block_stop", R"({"type":"content_block_stop","index":5})"));
  EXPECT_EQ(
      encode(StreamEvent{core::BlockDelta{0, DeltaKind::kInputJson, "{}", {}}, "", true}),
      wire("content_block_delta", R"({"type":"content_block_delta","index":0,)"
                                  R"("delta":{"type":"input_json_delta","partial_json":"{}"}})"));
  EXPECT_EQ(encode(StreamEvent{core::Ping{}, "", true}), wire("ping", R"({"type":"ping"})"));
}

// --- ClientFormatter ------------------------------------------------------------------------

StreamEvent upstream_event(std::string_view name, std::string_view data, std::string raw) {
  auto result = decode_event(name, data, std::move(raw));
  EXPECT_TRUE(result.has_value());
  return result ? std::move(*result) : StreamEvent{core::Ping{}, "", false};
}

TEST(ClientFormatter, UnmodifiedEventsAreWrittenAsTheirRawBytes) {
  ClientFormatter formatter;
  std::string out;
  // Raw as the upstream sent it: a comment, CRLF endings and a spaced ping.
  const std::string raw = ": keep-alive\r\nevent: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n";
  formatter.format(upstream_event("ping", R"({"type": "ping"})", raw), out);
  EXPECT_EQ(out, raw);
  EXPECT_FALSE(formatter.ended());
}

TEST(ClientFormatter, ModifiedEventsAreEncoded) {
  ClientFormatter formatter;
  std::string out;
  auto event = upstream_event(
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}})",
      "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\r\n\r\n");
  event.as<core::BlockDelta>()->text = "b";
  event.modified = true;
  formatter.format(event, out);
  EXPECT_EQ(
      out,
      wire("content_block_delta",
           R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"b"}})"));
}

TEST(ClientFormatter, EventsWithoutRawBytesAreEncodedEvenIfUnmodified) {
  ClientFormatter formatter;
  std::string out;
  formatter.format(StreamEvent{core::Ping{}, "", false}, out);
  EXPECT_EQ(out, wire("ping", R"({"type":"ping"})"));
}

TEST(ClientFormatter, NothingIsWrittenAfterMessageStop) {
  ClientFormatter formatter;
  std::string out;
  formatter.format(StreamEvent{core::MessageStop{}, "", true}, out);
  EXPECT_TRUE(formatter.ended());
  EXPECT_TRUE(formatter.completed());
  const std::string after_stop = out;
  formatter.format(StreamEvent{core::Ping{}, "", true}, out);
  formatter.format(StreamEvent{core::StreamError{"api_error", "late"}, "", true}, out);
  formatter.finish("connection reset", out);
  EXPECT_EQ(out, after_stop);
  EXPECT_TRUE(formatter.completed());
}

TEST(ClientFormatter, NothingIsWrittenAfterAnError) {
  ClientFormatter formatter;
  std::string out;
  const std::string raw = wire(
      "error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  formatter.format(upstream_event("error", split_wire(raw).data, raw), out);
  EXPECT_EQ(out, raw);
  EXPECT_TRUE(formatter.ended());
  EXPECT_FALSE(formatter.completed());
  formatter.format(StreamEvent{core::MessageStop{}, "", true}, out);
  formatter.finish("", out);
  EXPECT_EQ(out, raw);
  EXPECT_FALSE(formatter.completed());
}

TEST(ClientFormatter, FinishAddsAnErrorEventOnlyWhenTheStreamDidNotEnd) {
  ClientFormatter formatter;
  std::string out;
  formatter.format(StreamEvent{core::Ping{}, "", true}, out);
  const std::size_t before = out.size();
  formatter.finish("Upstream connection reset", out);
  const Wire tail = split_wire(out.substr(before));
  EXPECT_EQ(tail.name, "error");
  const json::value error = json::parse(tail.data);
  EXPECT_EQ(error.at("type").as_string(), "error");
  EXPECT_EQ(error.at("error").at("type").as_string(), "api_error");
  EXPECT_EQ(error.at("error").at("message").as_string(), "Upstream connection reset");
  EXPECT_TRUE(formatter.ended());
  EXPECT_FALSE(formatter.completed());
  // A second finish adds nothing.
  const std::string once = out;
  formatter.finish("again", out);
  EXPECT_EQ(out, once);
}

TEST(ClientFormatter, FinishWithoutReasonUsesADefaultMessage) {
  ClientFormatter formatter;
  std::string out;
  formatter.finish("", out);
  const json::value error = json::parse(split_wire(out).data);
  EXPECT_FALSE(error.at("error").at("message").as_string().empty());
}

TEST(ClientFormatter, WholeFixtureStreamPassesThroughByteForByte) {
  ClientFormatter formatter;
  std::string expected;
  std::string out;
  for (const auto& [name, data] : fixture_events("tool_use_stream.sse")) {
    expected += wire(name, data);
    formatter.format(upstream_event(name, data, wire(name, data)), out);
  }
  formatter.finish("", out);
  EXPECT_EQ(out, expected);
  EXPECT_TRUE(formatter.completed());
}

}  // namespace
}  // namespace warden::api::anthropic
