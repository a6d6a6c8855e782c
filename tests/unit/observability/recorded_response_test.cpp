// assemble_response: the message a transaction's captured bytes assemble to.
// Every recorded stream under tests/data (both dialects) assembles to the
// text and tool calls it carried; whole answers are kept (Anthropic) or
// translated (OpenAI chat.completion); error bodies are kept as they are; and
// garbage or bytes cut anywhere give "" or a partial message, never a crash.

#include "observability/recorded_response.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

namespace warden::observability::test {
namespace {

namespace json = boost::json;
using core::Dialect;

constexpr std::string_view kModel = "client-model";

std::string data_dir() {
  const char* dir = std::getenv("WARDEN_TEST_DATA");
  if (dir == nullptr) {
    ADD_FAILURE() << "WARDEN_TEST_DATA is not set (run through ctest or set it to tests/data)";
    return {};
  }
  return dir;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string assemble(Dialect dialect, bool stream, std::string_view bytes) {
  return assemble_response(dialect, stream, bytes, std::string(kModel));
}

// The JSON text as an object; an empty object (and a failure) when it is not one.
json::object object_of(const std::string& text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 256;
  json::value v = json::parse(text, ec, {}, options);
  EXPECT_FALSE(ec) << ec.message() << ": " << text;
  EXPECT_TRUE(v.is_object()) << text;
  return v.is_object() ? v.as_object() : json::object{};
}

std::string string_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// One line per content block, then the stop reason and the token counts:
//   text:Hello | thinking:… | tool_use:get_weather#toolu_1{"a":1} | <type>
std::string describe(const json::object& message) {
  std::string out;
  if (const auto* content = message.if_contains("content"); content && content->is_array()) {
    for (const auto& item : content->as_array()) {
      const auto& block = item.as_object();
      const std::string type = string_of(block, "type");
      out += type;
      if (type == "text") {
        out += ":" + string_of(block, "text");
      } else if (type == "thinking") {
        out += ":" + string_of(block, "thinking");
      } else if (type == "tool_use" || type == "server_tool_use") {
        out += ":" + string_of(block, "name") + "#" + string_of(block, "id") +
               json::serialize(block.at("input"));
      }
      out += "\n";
    }
  }
  const auto* reason = message.if_contains("stop_reason");
  out += "stop:" + (reason && reason->is_string() ? std::string(reason->as_string()) : "null");
  if (const auto* usage = message.if_contains("usage"); usage && usage->is_object()) {
    for (std::string_view key : {"input_tokens", "output_tokens", "cache_read_input_tokens"}) {
      if (const auto* n = usage->as_object().if_contains(key)) {
        out += " " + std::string(key) + "=" + json::serialize(*n);
      }
    }
  }
  return out;
}

// What each recorded stream carried. A fixture added to tests/data without an
// entry here fails the test, so the table stays complete.
const std::map<std::string, std::string>& expected_streams() {
  static const std::map<std::string, std::string> kExpected = {
      {"anthropic/text_stream.sse",
       "text:Hello! Here is a haiku:\n\nAutumn moonlight—\na worm digs silently\ninto the "
       "chestnut. 🌰 Café \"quotes\" and a backslash \\ too.\n"
       "stop:end_turn input_tokens=472 output_tokens=35 cache_read_input_tokens=0"},
      {"anthropic/thinking_stream.sse",
       "thinking:Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + "
       "50 + 3\n"
       "text:27 * 453 = 12,231\n"
       "stop:end_turn input_tokens=85 output_tokens=97 cache_read_input_tokens=0"},
      {"anthropic/tool_use_stream.sse",
       "text:Okay, let me check the weather for San Francisco, CA:\n"
       "tool_use:get_weather#toolu_01T1x1fJ34qAmk2tNTrN7Up6"
       "{\"location\":\"San Francisco, CA\",\"unit\":\"fahrenheit\"}\n"
       "stop:tool_use input_tokens=658 output_tokens=89 cache_read_input_tokens=0"},
      // Cut by an error event: the message so far, without a stop reason.
      {"anthropic/error_stream.sse",
       "text:Partial ans\n"
       "stop:null input_tokens=12 output_tokens=1 cache_read_input_tokens=0"},
      // Blocks without a message_start (a fragment for the codec tests): no message.
      {"anthropic/other_events.sse", ""},
      {"openai/text_stream.sse",
       "text:Hello, wörld! \"quoted\"\\n\n"
       "stop:end_turn input_tokens=8 output_tokens=9 cache_read_input_tokens=0"},
      {"openai/compat_stream.sse",
       "thinking:The user wants the weather.\n"
       "text:Checking.\n"
       "tool_use:get_weather#chatcmpl-tool-9a8b{\"city\":\"Oslo\"}\n"
       "stop:tool_use input_tokens=50 output_tokens=20 cache_read_input_tokens=0"},
      {"openai/cut_stream.sse",
       "text:This answer is cut\n"
       "stop:null input_tokens=0 output_tokens=1"},
      {"openai/error_stream.sse",
       "text:Partial\n"
       "stop:null input_tokens=0 output_tokens=1"},
      {"openai/interleaved_tools_stream.sse",
       "tool_use:read_file#call_A{\"path\":\"a.txt\"}\n"
       "tool_use:read_file#call_B{\"path\":\"b.txt\"}\n"
       "stop:tool_use input_tokens=10 output_tokens=5 cache_read_input_tokens=0"},
      {"openai/text_then_tool_stream.sse",
       "text:Let me check.\n"
       "tool_use:list_files#call_noargs0000000000000001{}\n"
       "stop:tool_use input_tokens=20 output_tokens=30 cache_read_input_tokens=100"},
      {"openai/tool_calls_stream.sse",
       "tool_use:get_weather#call_abc123{\"location\":\"Paris\"}\n"
       "tool_use:get_time#call_def456{}\n"
       "stop:tool_use input_tokens=0 output_tokens=0 cache_read_input_tokens=0"},
  };
  return kExpected;
}

struct Fixture {
  std::string name;  // "anthropic/text_stream.sse"
  Dialect dialect;
  std::string bytes;
};

std::vector<Fixture> fixtures() {
  std::vector<Fixture> out;
  const std::string dir = data_dir();
  if (dir.empty()) return out;
  for (const auto* sub : {"anthropic", "openai"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/" + sub)) {
      if (entry.path().extension() != ".sse") continue;
      out.push_back({std::string(sub) + "/" + entry.path().filename().string(),
                     std::string_view(sub) == "openai" ? Dialect::kOpenAi : Dialect::kAnthropic,
                     read_file(entry.path())});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

TEST(AssembleResponse, EveryRecordedStream) {
  const auto all = fixtures();
  EXPECT_EQ(all.size(), expected_streams().size());
  for (const auto& f : all) {
    SCOPED_TRACE(f.name);
    const auto it = expected_streams().find(f.name);
    ASSERT_NE(it, expected_streams().end()) << "no expectation for " << f.name;
    const std::string out = assemble(f.dialect, true, f.bytes);
    if (it->second.empty()) {
      EXPECT_EQ(out, "");
      continue;
    }
    const json::object message = object_of(out);
    EXPECT_EQ(describe(message), it->second);
    EXPECT_EQ(string_of(message, "type"), "message");
    EXPECT_EQ(string_of(message, "role"), "assistant");
    EXPECT_TRUE(string_of(message, "id").starts_with("msg_")) << out;
    // The Anthropic upstream names its model; an OpenAI stream gets the client's.
    EXPECT_EQ(string_of(message, "model"),
              f.dialect == Dialect::kOpenAi ? std::string(kModel) : "claude-sonnet-4-5-20250929");
  }
}

TEST(AssembleResponse, AnthropicMessageIdIsTheUpstreams) {
  const std::string dir = data_dir();
  const auto message =
      object_of(assemble(Dialect::kAnthropic, true, read_file(dir + "/anthropic/text_stream.sse")));
  EXPECT_EQ(string_of(message, "id"), "msg_014p7gG3wDgGV9EUtLvnow3U");
}

TEST(AssembleResponse, OtherBlockTypesOnceTheMessageStarted) {
  const std::string start =
      "event: message_start\n"
      "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
      "\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,"
      "\"stop_sequence\":null,\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n";
  const auto message = object_of(assemble(
      Dialect::kAnthropic, true, start + read_file(data_dir() + "/anthropic/other_events.sse")));
  EXPECT_EQ(describe(message),
            "redacted_thinking\n"
            "server_tool_use:web_search#srvtoolu_014hJH82Qum7Td6UV8gDXThB"
            "{\"query\":\"weather NYC today\"}\n"
            "web_search_tool_result\n"
            "text:The sky is blue — café ☕ \"quoted\" \\ tab\tend\n"
            "stop:end_turn input_tokens=10682 output_tokens=510 cache_read_input_tokens=0");
  const auto& content = message.at("content").as_array();
  ASSERT_EQ(content.size(), 4u);
  EXPECT_EQ(content[0].at("data"), "EmwKAhgBEgy3va3pzix/LafPsn4a");
  EXPECT_EQ(content[2].at("content").as_array().size(), 1u);
  ASSERT_TRUE(content[3].as_object().contains("citations"));
  EXPECT_EQ(content[3].at("citations").as_array()[0].at("cited_text"), "The sky is blue.");
}

TEST(AssembleResponse, ThinkingKeepsItsSignature) {
  const auto message = object_of(
      assemble(Dialect::kAnthropic, true, read_file(data_dir() + "/anthropic/thinking_stream.sse")));
  const auto& thinking = message.at("content").as_array()[0].as_object();
  EXPECT_TRUE(string_of(thinking, "signature").starts_with("EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxB"));
}

TEST(AssembleResponse, CrlfAndUnnamedAnthropicEvents) {
  // Event names are optional (the JSON type names the event) and lines may end in CRLF.
  const std::string sse =
      "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\","
      "\"role\":\"assistant\",\"model\":\"m\",\"content\":[]}}\r\n\r\n"
      "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
      "\"text\":\"\"}}\r\n\r\n"
      ": a comment\r\n\r\n"
      "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
      "\"text\":\"hi\"}}\r\n\r\n"
      "data: {\"type\":\"content_block_stop\",\"index\":0}\r\n\r\n"
      "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
      "\"usage\":{\"output_tokens\":2}}\r\n\r\n"
      "data: {\"type\":\"message_stop\"}\r\n\r\n";
  EXPECT_EQ(describe(object_of(assemble(Dialect::kAnthropic, true, sse))),
            "text:hi\nstop:end_turn output_tokens=2");
}

// --- whole answers -------------------------------------------------------------------------

TEST(AssembleResponse, WholeAnthropicMessageIsKeptAsItIs) {
  const std::string message =
      R"({"id":"msg_9","type":"message","role":"assistant","model":"claude-x",)"
      R"("content":[{"type":"text","text":"Hi"},{"type":"tool_use","id":"toolu_1","name":"f",)"
      R"("input":{"a":[1,2]}}],"stop_reason":"tool_use","stop_sequence":null,)"
      R"("usage":{"input_tokens":4,"output_tokens":6},"unknown_field":{"kept":true}})";
  const std::string out = assemble(Dialect::kAnthropic, false, message);
  EXPECT_EQ(json::parse(out), json::parse(message));
  // Whitespace is not kept, the value is.
  const std::string spaced = "  {\n  \"type\": \"message\", \"content\": [] }\n";
  EXPECT_EQ(json::parse(assemble(Dialect::kAnthropic, false, spaced)), json::parse(spaced));
}

TEST(AssembleResponse, WholeOpenAiCompletionBecomesAnAnthropicMessage) {
  const std::string completion =
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1727889370,"model":"gpt-4o",)"
      R"("choices":[{"index":0,"message":{"role":"assistant","content":"Let me look.",)"
      R"("tool_calls":[{"id":"call_1","type":"function","function":{"name":"read_file",)"
      R"("arguments":"{\"path\":\"a.txt\"}"}}]},"finish_reason":"tool_calls"}],)"
      R"("usage":{"prompt_tokens":25,"completion_tokens":7,"total_tokens":32,)"
      R"("prompt_tokens_details":{"cached_tokens":5}}})";
  const auto message = object_of(assemble(Dialect::kOpenAi, false, completion));
  EXPECT_EQ(describe(message),
            "text:Let me look.\n"
            "tool_use:read_file#call_1{\"path\":\"a.txt\"}\n"
            "stop:tool_use input_tokens=20 output_tokens=7 cache_read_input_tokens=5");
  EXPECT_EQ(string_of(message, "type"), "message");
  EXPECT_EQ(string_of(message, "role"), "assistant");
  EXPECT_EQ(string_of(message, "model"), kModel);
  EXPECT_FALSE(message.contains("choices"));
}

TEST(AssembleResponse, ErrorBodiesAreKeptAsTheyAre) {
  for (const auto& [dialect, body] : std::vector<std::pair<Dialect, std::string>>{
           {Dialect::kAnthropic,
            R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"},
           {Dialect::kOpenAi,
            R"({"error":{"message":"Rate limit reached","type":"requests","param":null,)"
            R"("code":"rate_limit_exceeded"}})"},
           // vLLM's shape, and a completion without a usable choice.
           {Dialect::kOpenAi, R"({"object":"error","message":"bad","type":"BadRequestError","code":400})"},
           {Dialect::kOpenAi, R"({"id":"c","object":"chat.completion","choices":[]})"},
           // An Anthropic upstream's body is never translated, whatever it holds.
           {Dialect::kAnthropic, R"({"choices":[{"message":{"content":"x"}}]})"},
       }) {
    EXPECT_EQ(json::parse(assemble(dialect, false, body)), json::parse(body)) << body;
  }
}

TEST(AssembleResponse, NothingReadableGivesEmpty) {
  for (Dialect dialect : {Dialect::kAnthropic, Dialect::kOpenAi}) {
    for (bool stream : {false, true}) {
      for (std::string_view bytes : {
               std::string_view(""), std::string_view("not json"), std::string_view("[1,2]"),
               std::string_view("42"), std::string_view("\"text\""), std::string_view("null"),
               std::string_view("{\"a\":"), std::string_view("\xff\xfe\x00\x01", 4),
               std::string_view("data: not json\n\n"), std::string_view("data: [DONE]\n\n"),
               std::string_view("event: ping\ndata: {\"type\":\"ping\"}\n\n"),
               std::string_view("\n\n\n\n"), std::string_view(":::\n\n"),
           }) {
        const std::string out = assemble(dialect, stream, bytes);
        // The OpenAI decoder is lenient: [DONE] closes a message, and any JSON object
        // chunk opens one, so these are messages without content.
        if (dialect == Dialect::kOpenAi && stream && bytes == "data: [DONE]\n\n") {
          EXPECT_EQ(describe(object_of(out)), "stop:end_turn input_tokens=0 output_tokens=0 "
                                              "cache_read_input_tokens=0");
          continue;
        }
        if (dialect == Dialect::kOpenAi && stream && bytes.starts_with("event: ping")) {
          EXPECT_EQ(describe(object_of(out)), "stop:null input_tokens=0 output_tokens=1");
          continue;
        }
        EXPECT_EQ(out, "") << "stream=" << stream << " openai=" << (dialect == Dialect::kOpenAi)
                           << " bytes=" << bytes;
      }
    }
  }
}

TEST(AssembleResponse, StreamBytesReadAsWholeJsonAndTheOtherWayGiveEmpty) {
  const std::string sse = read_file(data_dir() + "/anthropic/text_stream.sse");
  EXPECT_EQ(assemble(Dialect::kAnthropic, false, sse), "");
  EXPECT_EQ(assemble(Dialect::kAnthropic, true, R"({"type":"message","content":[]})"), "");
}

// --- cut anywhere ------------------------------------------------------------------------

// Every prefix of every fixture, read as a stream in both dialects and as a
// whole answer: no crash, and the result is "" or a JSON object. Read in its
// own dialect, a cut stream is a partial message: its blocks are the first
// blocks of the whole stream's, each text a prefix of the whole text.
TEST(AssembleResponse, CutAtEveryOffset) {
  for (const auto& f : fixtures()) {
    SCOPED_TRACE(f.name);
    const std::string whole_text = assemble(f.dialect, true, f.bytes);
    const json::object whole = whole_text.empty() ? json::object{} : object_of(whole_text);
    const auto* whole_content = whole.if_contains("content");
    for (std::size_t cut = 0; cut <= f.bytes.size(); ++cut) {
      const std::string_view prefix = std::string_view(f.bytes).substr(0, cut);
      for (Dialect dialect : {Dialect::kAnthropic, Dialect::kOpenAi}) {
        for (bool stream : {true, false}) {
          const std::string out = assemble(dialect, stream, prefix);
          if (out.empty()) continue;
          const json::object partial = object_of(out);
          if (dialect != f.dialect || !stream || whole_content == nullptr) continue;
          const auto& blocks = partial.at("content").as_array();
          const auto& all = whole_content->as_array();
          ASSERT_LE(blocks.size(), all.size()) << "cut at " << cut;
          for (std::size_t i = 0; i < blocks.size(); ++i) {
            const auto& got = blocks[i].as_object();
            const auto& want = all[i].as_object();
            ASSERT_EQ(string_of(got, "type"), string_of(want, "type")) << "cut at " << cut;
            for (std::string_view key : {"text", "thinking", "name"}) {
              EXPECT_TRUE(string_of(want, key).starts_with(string_of(got, key)))
                  << "cut at " << cut << ", block " << i << ", " << key;
            }
          }
        }
      }
    }
  }
}

TEST(AssembleResponse, WholeAnswerCutAnywhereGivesEmpty) {
  const std::string completion =
      R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,)"
      R"("message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]})";
  for (std::size_t cut = 0; cut < completion.size(); ++cut) {
    for (Dialect dialect : {Dialect::kAnthropic, Dialect::kOpenAi}) {
      EXPECT_EQ(assemble(dialect, false, std::string_view(completion).substr(0, cut)), "")
          << "cut at " << cut;
    }
  }
}

}  // namespace
}  // namespace warden::observability::test
