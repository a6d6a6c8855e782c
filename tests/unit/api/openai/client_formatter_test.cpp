#include "api/openai/client_formatter.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "api/openai/stream_decoder.hpp"
#include "core/stream_event.hpp"

namespace warden::api::openai {
namespace {

namespace json = boost::json;
using core::DeltaKind;
using core::StreamEvent;

// --- Reading an OpenAI stream back, checking PROTOCOLS 3.6 on the way ----------------------

struct Call {
  std::string id;
  std::string type;
  std::string name;
  std::string arguments;
};

// What an SDK's ChatCompletionStream would assemble.
struct Assembled {
  std::string content;
  std::vector<Call> calls;
  std::string finish_reason;
  int finish_chunks = 0;
  json::value usage;  // null when no chunk carried one
  bool done = false;
  bool error = false;
  std::string error_message;
  std::string error_type;
  std::string id;
  std::int64_t created = 0;
};

// The `data` of every event; each must be `data: <one line>\n\n` with no other field.
std::vector<std::string> data_lines(const std::string& bytes) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < bytes.size();) {
    const std::size_t end = bytes.find("\n\n", pos);
    if (end == std::string::npos) {
      ADD_FAILURE() << "unterminated event: " << bytes.substr(pos);
      break;
    }
    const std::string event = bytes.substr(pos, end - pos);
    EXPECT_TRUE(event.starts_with("data: ")) << "not a bare data event: " << event;
    EXPECT_EQ(event.find('\n'), std::string::npos) << "one line per event: " << event;
    EXPECT_EQ(event.find('\r'), std::string::npos) << event;
    out.push_back(event.substr(6));
    pos = end + 2;
  }
  return out;
}

std::set<std::string> keys_of(const json::object& o) {
  std::set<std::string> keys;
  for (const auto& [k, v] : o) keys.emplace(k);
  return keys;
}

std::string string_or_empty(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// `strict`: the output must be Warden's canonical form (3.6's MUSTs and 4.8); otherwise the
// stream is read as liberally as an SDK would (an upstream's input).
Assembled assemble(const std::string& bytes, bool strict, bool include_usage) {
  Assembled a;
  bool saw_choice_chunk = false;
  bool saw_usage_chunk = false;
  std::string model;
  for (const auto& data : data_lines(bytes)) {
    SCOPED_TRACE(data);
    EXPECT_FALSE(a.done) << "nothing may follow [DONE]";
    EXPECT_FALSE(a.error) << "nothing may follow an error chunk";
    if (data == "[DONE]") {
      a.done = true;
      continue;
    }
    EXPECT_FALSE(saw_usage_chunk && strict) << "the usage chunk comes right before [DONE]";
    boost::system::error_code ec;
    json::value parsed = json::parse(data, ec);
    if (ec || !parsed.is_object()) {
      ADD_FAILURE() << "every data but [DONE] must be a JSON object";
      continue;
    }
    const json::object& chunk = parsed.get_object();
    if (const auto* error = chunk.if_contains("error"); error && !error->is_null()) {
      a.error = true;
      const json::object& e = error->as_object();
      a.error_message = string_or_empty(e, "message");
      a.error_type = string_or_empty(e, "type");
      if (strict) {
        EXPECT_EQ(keys_of(e), (std::set<std::string>{"message", "type", "param", "code"}));
      }
      continue;
    }
    if (strict) {
      EXPECT_EQ(keys_of(chunk).count("usage"), include_usage ? 1u : 0u);
      EXPECT_EQ(chunk.at("object"), "chat.completion.chunk");
      if (a.id.empty()) {
        a.id = chunk.at("id").as_string();
        a.created = chunk.at("created").as_int64();
        model = chunk.at("model").as_string();
        EXPECT_TRUE(a.id.starts_with("chatcmpl-")) << a.id;
        EXPECT_EQ(a.id.size(), 9u + 29u) << a.id;
      }
      EXPECT_EQ(chunk.at("id"), a.id.c_str());
      EXPECT_EQ(chunk.at("created"), a.created);
      EXPECT_EQ(chunk.at("model"), model.c_str());
    }
    if (const auto* usage = chunk.if_contains("usage"); usage && !usage->is_null()) {
      a.usage = *usage;
      if (strict) {
        saw_usage_chunk = true;
        EXPECT_EQ(chunk.at("choices"), json::array{});
        EXPECT_EQ(a.finish_chunks, 1) << "the usage chunk comes after the finish chunk";
      }
    }
    const auto* choices = chunk.if_contains("choices");
    if (choices == nullptr || !choices->is_array()) {
      EXPECT_FALSE(strict) << "choices must be an array";
      continue;
    }
    for (const auto& c : choices->get_array()) {
      const json::object& choice = c.as_object();
      if (strict) {
        EXPECT_EQ(choice.at("index"), 0);
        EXPECT_EQ(keys_of(choice),
                  (std::set<std::string>{"index", "delta", "logprobs", "finish_reason"}));
      } else if (const auto* index = choice.if_contains("index"); index && *index != 0) {
        continue;
      }
      const json::object empty;
      const auto* delta_value = choice.if_contains("delta");
      const json::object& delta =
          delta_value && delta_value->is_object() ? delta_value->get_object() : empty;
      if (strict && !saw_choice_chunk) {
        EXPECT_EQ(delta.if_contains("role") ? *delta.if_contains("role") : json::value(),
                  "assistant")
            << "the first delta carries the role";
      }
      saw_choice_chunk = true;
      a.content += string_or_empty(delta, "content");
      if (const auto* calls = delta.if_contains("tool_calls"); calls && calls->is_array()) {
        for (const auto& p : calls->get_array()) {
          const json::object& piece = p.as_object();
          const std::int64_t k = piece.at("index").to_number<std::int64_t>();
          const json::object& function =
              piece.contains("function") ? piece.at("function").as_object() : empty;
          if (k == static_cast<std::int64_t>(a.calls.size())) {
            a.calls.emplace_back();
            if (strict) {  // the first piece: id, type, name and arguments ""
              EXPECT_EQ(keys_of(piece), (std::set<std::string>{"index", "id", "type", "function"}));
              EXPECT_EQ(piece.at("type"), "function");
              EXPECT_FALSE(string_or_empty(piece, "id").empty());
              EXPECT_FALSE(string_or_empty(function, "name").empty());
              EXPECT_EQ(function.at("arguments"), "");
            }
          } else if (strict) {  // later pieces: index + arguments only
            EXPECT_LT(k, static_cast<std::int64_t>(a.calls.size())) << "dense tool indices";
            EXPECT_EQ(keys_of(piece), (std::set<std::string>{"index", "function"}));
            EXPECT_EQ(keys_of(function), (std::set<std::string>{"arguments"}));
          }
          if (k < 0 || k >= static_cast<std::int64_t>(a.calls.size())) continue;
          Call& call = a.calls[static_cast<std::size_t>(k)];
          if (auto id = string_or_empty(piece, "id"); !id.empty()) call.id = id;
          if (auto type = string_or_empty(piece, "type"); !type.empty()) call.type = type;
          if (auto name = string_or_empty(function, "name"); !name.empty()) call.name = name;
          call.arguments += string_or_empty(function, "arguments");
        }
      }
      if (auto reason = string_or_empty(choice, "finish_reason"); !reason.empty()) {
        a.finish_reason = reason;
        ++a.finish_chunks;
      }
    }
  }
  if (strict && a.done) {
    EXPECT_EQ(a.finish_chunks, 1) << "exactly one finish_reason";
    EXPECT_EQ(!a.usage.is_null(), include_usage) << "a usage chunk iff include_usage";
  }
  return a;
}

Assembled assemble_strict(const std::string& bytes, bool include_usage) {
  return assemble(bytes, true, include_usage);
}

// --- Building event sequences ---------------------------------------------------------------

StreamEvent ev(core::EventPayload payload) { return StreamEvent{std::move(payload), {}, false}; }

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

StreamEvent message_start() {
  return ev(core::MessageStart{obj(
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],
          "stop_reason":null,"stop_sequence":null,
          "usage":{"input_tokens":10,"cache_creation_input_tokens":2,
                   "cache_read_input_tokens":5,"output_tokens":1}})")});
}
StreamEvent text_start(std::int64_t i) {
  return ev(core::BlockStart{i, obj(R"({"type":"text","text":""})")});
}
StreamEvent tool_start(std::int64_t i, std::string_view id, std::string_view name,
                       std::string_view input = "{}") {
  json::object block{{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", obj(input)}};
  return ev(core::BlockStart{i, std::move(block)});
}
StreamEvent delta(std::int64_t i, DeltaKind kind, std::string text) {
  return ev(core::BlockDelta{i, kind, std::move(text), {}});
}
StreamEvent text(std::int64_t i, std::string t) { return delta(i, DeltaKind::kText, std::move(t)); }
StreamEvent args(std::int64_t i, std::string t) {
  return delta(i, DeltaKind::kInputJson, std::move(t));
}
StreamEvent stop(std::int64_t i) { return ev(core::BlockStop{i}); }
StreamEvent message_delta(std::string_view stop_reason, int output_tokens) {
  return ev(core::MessageDelta{obj(R"({"type":"message_delta","delta":{"stop_reason":")" +
                                   std::string(stop_reason) +
                                   R"(","stop_sequence":null},"usage":{"output_tokens":)" +
                                   std::to_string(output_tokens) + "}}")});
}
StreamEvent message_stop() { return ev(core::MessageStop{}); }

std::string format_all(ClientFormatter& f, const std::vector<StreamEvent>& events) {
  std::string out;
  for (const auto& e : events) f.format(e, out);
  return out;
}

std::vector<StreamEvent> text_message(std::string_view stop_reason = "end_turn") {
  return {message_start(),    text_start(0), text(0, "Hello"),
          text(0, ", world"), stop(0),       message_delta(stop_reason, 7),
          message_stop()};
}

// --- Encoding -------------------------------------------------------------------------------

TEST(ClientFormatter, TextStreamExactBytes) {
  ClientFormatter f("gpt-client", false, false);
  const std::string out = format_all(f, text_message());
  EXPECT_TRUE(f.ended());
  EXPECT_TRUE(f.completed());
  const auto lines = data_lines(out);
  ASSERT_EQ(lines.size(), 5u) << out;
  const json::object first = obj(lines[0]);
  const std::string head = R"({"id":")" + std::string(first.at("id").as_string()) +
                           R"(","object":"chat.completion.chunk","created":)" +
                           std::to_string(first.at("created").as_int64()) +
                           R"(,"model":"gpt-client","choices":[{"index":0,"delta":)";
  const auto chunk = [&](std::string_view delta_to_end) {
    return "data: " + head + std::string(delta_to_end) + "\n\n";
  };
  const std::string expected =
      chunk(R"({"role":"assistant","content":"","refusal":null},"logprobs":null,)"
            R"("finish_reason":null}]})") +
      chunk(R"({"content":"Hello"},"logprobs":null,"finish_reason":null}]})") +
      chunk(R"({"content":", world"},"logprobs":null,"finish_reason":null}]})") +
      chunk(R"({},"logprobs":null,"finish_reason":"stop"}]})") + "data: [DONE]\n\n";
  EXPECT_EQ(out, expected);
}

TEST(ClientFormatter, IncludeUsageAddsNullUsageAndAUsageChunk) {
  ClientFormatter f("gpt-client", true, false);
  const std::string out = format_all(f, text_message());
  const Assembled a = assemble_strict(out, true);
  EXPECT_EQ(a.content, "Hello, world");
  EXPECT_EQ(a.finish_reason, "stop");
  EXPECT_TRUE(a.done);
  // 4.5: prompt = input + cache creation + cache read; usage from message_start overlaid by
  // message_delta's cumulative counts.
  EXPECT_EQ(a.usage, json::parse(R"({"prompt_tokens":17,"completion_tokens":7,"total_tokens":24,
      "prompt_tokens_details":{"cached_tokens":5,"audio_tokens":0},
      "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,
        "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})"));
  const auto lines = data_lines(out);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.back(), "[DONE]");
  EXPECT_TRUE(lines[lines.size() - 2].find(R"("choices":[],"usage":{)") != std::string::npos);
}

TEST(ClientFormatter, WithoutIncludeUsageThereIsNoUsageAnywhere) {
  ClientFormatter f("gpt-client", false, false);
  const std::string out = format_all(f, text_message());
  EXPECT_EQ(out.find("usage"), std::string::npos);
  const Assembled a = assemble_strict(out, false);
  EXPECT_TRUE(a.usage.is_null());
}

TEST(ClientFormatter, ToolCallsHaveDenseIndicesAndCanonicalPieces) {
  ClientFormatter f("gpt-client", true, false);
  const std::string out = format_all(
      f, {message_start(), text_start(0), text(0, "Let me look."), stop(0),
          tool_start(1, "toolu_1", "get_weather"), args(1, ""), args(1, R"({"city":)"),
          args(1, R"("Paris"})"), stop(1),
          ev(core::BlockStart{2, obj(R"({"type":"thinking","thinking":"","signature":""})")}),
          delta(2, DeltaKind::kThinking, "hmm"), delta(2, DeltaKind::kSignature, "sig"), stop(2),
          tool_start(3, "toolu_2", "list_files"), stop(3), message_delta("tool_use", 30),
          message_stop()});
  const Assembled a = assemble_strict(out, true);
  EXPECT_EQ(a.content, "Let me look.");
  ASSERT_EQ(a.calls.size(), 2u);
  EXPECT_EQ(a.calls[0].id, "toolu_1");
  EXPECT_EQ(a.calls[0].type, "function");
  EXPECT_EQ(a.calls[0].name, "get_weather");
  EXPECT_EQ(a.calls[0].arguments, R"({"city":"Paris"})");
  EXPECT_EQ(a.calls[1].id, "toolu_2");
  EXPECT_EQ(a.calls[1].name, "list_files");
  EXPECT_EQ(a.calls[1].arguments, "{}");  // no argument bytes → "{}" at the block's stop
  EXPECT_EQ(a.finish_reason, "tool_calls");
  // Empty fragments are skipped, thinking is dropped.
  EXPECT_EQ(out.find(R"({"arguments":""}})"), std::string::npos);
  EXPECT_EQ(out.find("hmm"), std::string::npos);
  EXPECT_NE(out.find(R"("tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}])"),
            std::string::npos);
  EXPECT_NE(out.find(R"("tool_calls":[{"index":1,"id":"toolu_2","type":"function",)"
                     R"("function":{"name":"list_files","arguments":""}}])"),
            std::string::npos);
}

TEST(ClientFormatter, ToolBlockWithInputAtStartSendsThatInput) {
  // A policy-made tool_use block may carry its whole input in content_block_start.
  ClientFormatter f("m", false, false);
  const std::string out =
      format_all(f, {message_start(), tool_start(0, "toolu_p", "run", R"({"cmd":"ls"})"), stop(0),
                     message_delta("tool_use", 1), message_stop()});
  const Assembled a = assemble_strict(out, false);
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].arguments, R"({"cmd":"ls"})");
}

TEST(ClientFormatter, ThinkingCitationsPingsAndUnknownEventsProduceNothing) {
  ClientFormatter f("m", true, false);
  std::string out;
  f.format(message_start(), out);
  ASSERT_FALSE(out.empty());  // the role chunk
  out.clear();
  for (const auto& e : std::vector<StreamEvent>{
           ev(core::BlockStart{0, obj(R"({"type":"thinking","thinking":"","signature":""})")}),
           delta(0, DeltaKind::kThinking, "private"), delta(0, DeltaKind::kSignature, "c2ln"),
           stop(0), ev(core::BlockStart{1, obj(R"({"type":"redacted_thinking","data":"x"})")}),
           stop(1), ev(core::Ping{}), ev(core::UnknownEvent{"content_block_flush", "{}"}),
           text_start(2),
           ev(core::BlockDelta{2, DeltaKind::kOther, "",
                               obj(R"({"type":"citations_delta","citation":{}})")}),
           text(2, "")}) {
    f.format(e, out);
  }
  EXPECT_EQ(out, "");
}

TEST(ClientFormatter, ErrorEventEndsTheStream) {
  ClientFormatter f("m", false, false);
  std::string out = format_all(f, {message_start(), text_start(0), text(0, "Hi"),
                                   ev(core::StreamError{"overloaded_error", "Overloaded"})});
  EXPECT_TRUE(f.ended());
  EXPECT_FALSE(f.completed());
  const auto lines = data_lines(out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(),
            R"({"error":{"message":"Overloaded","type":"server_error","param":null,"code":null}})");
  const std::size_t size = out.size();
  f.format(text(0, "more"), out);
  f.format(message_stop(), out);
  f.finish("late", out);
  EXPECT_EQ(out.size(), size) << "nothing after an error chunk";
  EXPECT_FALSE(f.completed());
}

TEST(ClientFormatter, ErrorTypesAreMappedToOpenAis) {
  const std::pair<std::string, std::string> cases[] = {
      {"invalid_request_error", "invalid_request_error"},
      {"authentication_error", "invalid_request_error"},
      {"permission_error", "permission_error"},
      {"not_found_error", "invalid_request_error"},
      {"rate_limit_error", "requests"},
      {"billing_error", "insufficient_quota"},
      {"api_error", "server_error"},
      {"timeout_error", "server_error"},
      {"something_new", "server_error"},
  };
  for (const auto& [anthropic, openai] : cases) {
    ClientFormatter f("m", false, false);
    std::string out;
    f.format(ev(core::StreamError{anthropic, "why"}), out);
    const Assembled a = assemble_strict(out, false);
    EXPECT_TRUE(a.error);
    EXPECT_EQ(a.error_type, openai) << anthropic;
    EXPECT_EQ(a.error_message, "why");
  }
}

TEST(ClientFormatter, FinishWithoutAnEndWritesAnErrorChunk) {
  {
    ClientFormatter f("m", false, false);
    std::string out = format_all(f, {message_start(), text_start(0), text(0, "Hi")});
    f.finish("Upstream connection reset", out);
    EXPECT_TRUE(f.ended());
    EXPECT_FALSE(f.completed());
    const Assembled a = assemble_strict(out, false);
    EXPECT_TRUE(a.error);
    EXPECT_EQ(a.error_message, "Upstream connection reset");
    EXPECT_EQ(a.error_type, "server_error");
    const std::size_t size = out.size();
    f.finish("again", out);
    EXPECT_EQ(out.size(), size);
  }
  {
    ClientFormatter f("m", false, false);
    std::string out;
    f.finish("", out);
    EXPECT_EQ(out, R"(data: {"error":{"message":"Upstream stream ended before [DONE]",)"
                   R"("type":"server_error","param":null,"code":null}})"
                   "\n\n");
  }
  {
    ClientFormatter f("m", false, false);
    std::string out = format_all(f, text_message());
    const std::size_t size = out.size();
    f.finish("", out);
    EXPECT_EQ(out.size(), size) << "a completed stream gets no error";
  }
}

TEST(ClientFormatter, StopReasonsMapToFinishReasons) {
  const std::pair<std::string, std::string> cases[] = {
      {"end_turn", "stop"},          {"stop_sequence", "stop"},
      {"max_tokens", "length"},      {"model_context_window_exceeded", "length"},
      {"tool_use", "tool_calls"},    {"pause_turn", "stop"},
      {"refusal", "content_filter"}, {"whatever", "stop"},
  };
  for (const auto& [stop_reason, finish_reason] : cases) {
    ClientFormatter f("m", false, false);
    const Assembled a = assemble_strict(format_all(f, text_message(stop_reason)), false);
    EXPECT_EQ(a.finish_reason, finish_reason) << stop_reason;
  }
}

TEST(ClientFormatter, MessageStopWithoutMessageDeltaStillSendsAFinishReason) {
  ClientFormatter f("m", true, false);
  const Assembled a = assemble_strict(
      format_all(f, {message_start(), text_start(0), text(0, "x"), stop(0), message_stop()}), true);
  EXPECT_EQ(a.finish_reason, "stop");
  EXPECT_TRUE(a.done);
}

TEST(ClientFormatter, OnlyOneFinishChunkUsageFromTheLastDelta) {
  ClientFormatter f("m", true, false);
  const Assembled a =
      assemble_strict(format_all(f, {message_start(), message_delta("end_turn", 3),
                                     message_delta("max_tokens", 9), message_stop()}),
                      true);
  EXPECT_EQ(a.finish_chunks, 1);
  EXPECT_EQ(a.finish_reason, "stop");
  EXPECT_EQ(a.usage.at("completion_tokens"), 9);
}

TEST(ClientFormatter, ContentBeforeMessageStartStillStartsWithTheRole) {
  ClientFormatter f("m", false, false);
  const Assembled a =
      assemble_strict(format_all(f, {text_start(0), text(0, "early"), message_stop()}), false);
  EXPECT_EQ(a.content, "early");
}

TEST(ClientFormatter, NothingAfterDone) {
  ClientFormatter f("m", false, false);
  std::string out = format_all(f, text_message());
  const std::size_t size = out.size();
  f.format(text(0, "late"), out);
  f.format(ev(core::StreamError{"api_error", "late"}), out);
  EXPECT_EQ(out.size(), size);
  EXPECT_TRUE(f.completed());
}

TEST(ClientFormatter, IdIsChatcmplPlus29Base62AndCreatedIsNow) {
  ClientFormatter f1("m", false, false);
  ClientFormatter f2("m", false, false);
  const Assembled a1 = assemble_strict(format_all(f1, text_message()), false);
  const Assembled a2 = assemble_strict(format_all(f2, text_message()), false);
  for (char c : a1.id.substr(9)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << a1.id;
  EXPECT_NE(a1.id, a2.id);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_LE(std::abs(a1.created - now), 5);
}

// --- OpenAI upstream → decoder → formatter --------------------------------------------------

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

// Decodes a canonical fixture (`data: X\n\n` events) as the pipeline does: feed, then finish.
std::vector<StreamEvent> decode(const std::string& bytes) {
  StreamDecoder decoder("gpt-client");
  std::vector<StreamEvent> events;
  for (std::size_t pos = 0; pos < bytes.size();) {
    const std::size_t end = bytes.find("\n\n", pos);
    if (end == std::string::npos) break;
    std::string raw = bytes.substr(pos, end + 2 - pos);
    const std::string data = raw.substr(6, raw.size() - 8);
    EXPECT_TRUE(decoder.feed(data, std::move(raw), events).has_value()) << data;
    pos = end + 2;
  }
  decoder.finish(events);
  return events;
}

std::string run(ClientFormatter& f, const std::vector<StreamEvent>& events) {
  std::string out = format_all(f, events);
  f.finish("", out);
  return out;
}

TEST(ClientFormatterRoundTrip, AssembledContentSurvivesDecodeAndEncode) {
  for (const char* file : {"text_stream.sse", "tool_calls_stream.sse", "text_then_tool_stream.sse",
                           "compat_stream.sse", "interleaved_tools_stream.sse"}) {
    for (const bool include_usage : {true, false}) {
      SCOPED_TRACE(std::string(file) + (include_usage ? " with usage" : " without usage"));
      const std::string input = read_fixture(file);
      const Assembled in = assemble(input, false, include_usage);
      ClientFormatter f("gpt-client", include_usage, false);
      const std::string output = run(f, decode(input));
      EXPECT_TRUE(f.completed());
      const Assembled out = assemble_strict(output, include_usage);

      EXPECT_EQ(out.content, in.content);
      ASSERT_EQ(out.calls.size(), in.calls.size());
      for (std::size_t k = 0; k < in.calls.size(); ++k) {
        EXPECT_EQ(out.calls[k].id, in.calls[k].id);
        EXPECT_EQ(out.calls[k].name, in.calls[k].name);
        EXPECT_EQ(out.calls[k].type, "function");
        EXPECT_EQ(out.calls[k].arguments,
                  in.calls[k].arguments.empty() ? "{}" : in.calls[k].arguments);
      }
      // Tool calls make it tool_calls even where the upstream said "stop" (4.4).
      EXPECT_EQ(out.finish_reason, in.calls.empty() ? in.finish_reason : "tool_calls");
      if (include_usage) {
        // An upstream that sent no usage gives zeros.
        ASSERT_TRUE(out.usage.is_object());
        const json::object none;
        const json::object& usage = in.usage.is_object() ? in.usage.get_object() : none;
        for (const char* key : {"prompt_tokens", "completion_tokens", "total_tokens"}) {
          EXPECT_EQ(out.usage.at(key), usage.contains(key) ? usage.at(key) : json::value(0)) << key;
        }
        const auto* details = usage.if_contains("prompt_tokens_details");
        EXPECT_EQ(out.usage.at("prompt_tokens_details").at("cached_tokens"),
                  details ? details->at("cached_tokens") : json::value(0));
      }
    }
  }
}

// --- Passthrough ----------------------------------------------------------------------------

TEST(ClientFormatterPassthrough, UntouchedStreamsAreTheUpstreamBytes) {
  for (const char* file : {"text_stream.sse", "tool_calls_stream.sse", "text_then_tool_stream.sse",
                           "interleaved_tools_stream.sse"}) {
    SCOPED_TRACE(file);
    const std::string input = read_fixture(file);
    ClientFormatter f("gpt-client", true, true);
    EXPECT_EQ(run(f, decode(input)), input);
    EXPECT_TRUE(f.completed());
  }
  const std::string input = read_fixture("error_stream.sse");
  ClientFormatter f("gpt-client", false, true);
  EXPECT_EQ(run(f, decode(input)), input);
  EXPECT_TRUE(f.ended());
  EXPECT_FALSE(f.completed());
}

TEST(ClientFormatterPassthrough, MissingDoneIsAdded) {
  // A compatible upstream without [DONE]: the client still gets the end marker.
  const std::string input = read_fixture("compat_stream.sse");
  ClientFormatter f("gpt-client", false, true);
  EXPECT_EQ(run(f, decode(input)), input + "data: [DONE]\n\n");
  EXPECT_TRUE(f.completed());
}

TEST(ClientFormatterPassthrough, CutStreamGetsTheDecodersError) {
  // The decoder's error has no bytes of its own; it must still reach the client.
  const std::string input = read_fixture("cut_stream.sse");
  ClientFormatter f("gpt-client", false, true);
  EXPECT_EQ(run(f, decode(input)),
            input + R"(data: {"error":{"message":"Upstream stream ended before finish_reason",)"
                    R"("type":"server_error","param":null,"code":null}})"
                    "\n\n");
  EXPECT_TRUE(f.ended());
  EXPECT_FALSE(f.completed());
}

TEST(ClientFormatterPassthrough, AChangedEventSwitchesTheRestToEncoding) {
  const std::string input = read_fixture("text_stream.sse");
  auto events = decode(input);
  ASSERT_GE(events.size(), 4u);
  auto* changed = events[3].as<core::BlockDelta>();  // start, block start, "Hello", ", wörld"
  ASSERT_NE(changed, nullptr);
  ASSERT_EQ(changed->text, ", wörld");
  const std::string original_raw = events[3].raw;
  changed->text = ", WORLD";
  events[3].modified = true;

  // The upstream's model, so the strict check (one model per stream) applies to all chunks.
  ClientFormatter f("gpt-4o-mini-2024-07-18", true, true);
  const std::string out = run(f, events);
  EXPECT_TRUE(f.completed());
  EXPECT_TRUE(out.starts_with(events[0].raw + events[2].raw));
  EXPECT_EQ(out.find(original_raw), std::string::npos);
  const Assembled a = assemble_strict(out, true);  // ids and created learned from upstream
  EXPECT_EQ(a.id, "chatcmpl-ADxFKtX6xIwdWRN42QvBj2u1RZpCK");
  EXPECT_EQ(a.created, 1727889370);
  EXPECT_EQ(a.content, R"(Hello, WORLD! "quoted"\n)");
  EXPECT_EQ(a.finish_reason, "stop");
  EXPECT_EQ(a.usage.at("prompt_tokens"), 8);
  EXPECT_EQ(a.usage.at("completion_tokens"), 9);
}

TEST(ClientFormatterPassthrough, AnEventAddedBeforeTheEndComesBeforeTheFinishChunk) {
  // The finish and usage chunks travel with [DONE] on message_stop, so text a policy adds at
  // the end lands before them, and the finish chunk is not sent twice.
  const std::string input = read_fixture("text_stream.sse");
  auto events = decode(input);
  auto stop_at = std::find_if(events.begin(), events.end(),
                              [](const StreamEvent& e) { return e.is<core::BlockStop>(); });
  ASSERT_NE(stop_at, events.end());
  StreamEvent added{core::BlockDelta{0, DeltaKind::kText, " [checked]", {}}, {}, true};
  events.insert(stop_at, added);
  ClientFormatter f("gpt-4o-mini-2024-07-18", true, true);
  const Assembled a = assemble_strict(run(f, events), true);
  EXPECT_EQ(a.content, R"(Hello, wörld! "quoted"\n [checked])");
  EXPECT_EQ(a.finish_chunks, 1);
  EXPECT_TRUE(a.done);
}

TEST(ClientFormatterPassthrough, ChangedArgumentsKeepTheToolIdentity) {
  // A compatible server sends a whole call in one chunk: its events are block start (no bytes)
  // and the argument delta (the chunk's bytes). Changing the delta must not lose the start.
  const std::string input =
      R"(data: {"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1",)"
      R"("type":"function","function":{"name":"bash","arguments":"{\"cmd\":\"rm -rf /\"}"}}]}}]})"
      "\n\n"
      R"(data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"
      "\n\n"
      "data: [DONE]\n\n";
  auto events = decode(input);
  ASSERT_GE(events.size(), 3u);
  auto* arguments = events[2].as<core::BlockDelta>();
  ASSERT_NE(arguments, nullptr);
  arguments->text = R"({"cmd":"ls"})";
  events[2].modified = true;
  ClientFormatter f("m", false, true);
  const std::string out = run(f, events);
  EXPECT_EQ(out.find("rm -rf"), std::string::npos);
  const Assembled a = assemble_strict(out, false);
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].id, "call_1");
  EXPECT_EQ(a.calls[0].name, "bash");
  EXPECT_EQ(a.calls[0].arguments, R"({"cmd":"ls"})");
  EXPECT_EQ(a.finish_reason, "tool_calls");
  EXPECT_TRUE(a.done);
}

TEST(ClientFormatterPassthrough, ADroppedEventTakesItsChunkAway) {
  // Dropping the event that carries a chunk's bytes removes that chunk from the output.
  const std::string input = read_fixture("text_stream.sse");
  auto events = decode(input);
  const std::string dropped_raw = events[3].raw;
  events.erase(events.begin() + 3);
  ClientFormatter f("gpt-client", true, true);
  const std::string out = run(f, events);
  EXPECT_EQ(out.find(dropped_raw), std::string::npos);
  std::string expected = input;
  expected.erase(expected.find(dropped_raw), dropped_raw.size());
  EXPECT_EQ(out, expected);
}

}  // namespace
}  // namespace warden::api::openai
