#include "api/translate/response_translation.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace warden::api::translate {
namespace {

namespace json = boost::json;

json::object parse_object(std::string_view text) { return json::parse(text).as_object(); }

bool is_base62(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
}

// ---- OpenAI upstream → Anthropic client ----------------------------------------------------

// One row: choices[0].message and finish_reason of a completion → the message's content and
// stop_reason. The completion's usage is fixed; so is the rest of the expected message.
struct ToAnthropicCase {
  const char* name;
  const char* message;        // choices[0].message
  const char* finish_reason;  // JSON: "\"stop\"", "null", …
  const char* content;        // expected Anthropic content array
  const char* stop_reason;
};

json::object completion_of(std::string_view message, std::string_view finish_reason) {
  return parse_object(
      R"({"id":"chatcmpl-upstream","object":"chat.completion","created":1727894187,)"
      R"("model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":)" +
      std::string(message) + R"(,"logprobs":null,"finish_reason":)" + std::string(finish_reason) +
      R"(}],"usage":{"prompt_tokens":42,"completion_tokens":15,"total_tokens":57,)"
      R"("prompt_tokens_details":{"cached_tokens":13,"audio_tokens":0}},)"
      R"("system_fingerprint":"fp_1","service_tier":"default"})");
}

const std::vector<ToAnthropicCase> kToAnthropic = {
    {"text, stop → end_turn", R"({"role":"assistant","content":"Hello!","refusal":null})",
     R"("stop")", R"([{"type":"text","text":"Hello!"}])", "end_turn"},
    {"length → max_tokens", R"({"role":"assistant","content":"Hel"})", R"("length")",
     R"([{"type":"text","text":"Hel"}])", "max_tokens"},
    {"content_filter → refusal", R"({"role":"assistant","content":null})", R"("content_filter")",
     "[]", "refusal"},
    {"tool_calls → tool_use, ids kept, arguments parsed",
     R"({"role":"assistant","content":null,"tool_calls":[)"
     R"({"id":"call_abc","type":"function","function":{"name":"get_weather",)"
     R"("arguments":"{\"location\":\"Paris\",\"days\":[1,2]}"}},)"
     R"({"id":"call_def","type":"function","function":{"name":"get_time","arguments":""}}]})",
     R"("tool_calls")",
     R"([{"type":"tool_use","id":"call_abc","name":"get_weather",)"
     R"("input":{"location":"Paris","days":[1,2]}},)"
     R"({"type":"tool_use","id":"call_def","name":"get_time","input":{}}])",
     "tool_use"},
    {"text before tool calls",
     R"({"role":"assistant","content":"Let me check.","tool_calls":[)"
     R"({"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]})",
     R"("tool_calls")",
     R"([{"type":"text","text":"Let me check."},)"
     R"({"type":"tool_use","id":"call_1","name":"f","input":{}}])",
     "tool_use"},
    {"tool calls with finish_reason stop → tool_use",
     R"({"role":"assistant","content":null,"tool_calls":[)"
     R"({"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]})",
     R"("stop")", R"([{"type":"tool_use","id":"call_1","name":"f","input":{}}])", "tool_use"},
    {"legacy function_call finish → tool_use", R"({"role":"assistant","content":"x"})",
     R"("function_call")", R"([{"type":"text","text":"x"}])", "tool_use"},
    {"missing finish_reason → end_turn", R"({"role":"assistant","content":"x"})", "null",
     R"([{"type":"text","text":"x"}])", "end_turn"},
    {"unknown finish_reason → end_turn", R"({"role":"assistant","content":"x"})", R"("eos_token")",
     R"([{"type":"text","text":"x"}])", "end_turn"},
    {"refusal → text block", R"({"role":"assistant","content":null,"refusal":"I can't help."})",
     R"("stop")", R"([{"type":"text","text":"I can't help."}])", "end_turn"},
    {"empty content → no block", R"({"role":"assistant","content":""})", R"("stop")", "[]",
     "end_turn"},
    {"content as text parts (compatible servers)",
     R"({"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]})",
     R"("stop")", R"([{"type":"text","text":"ab"}])", "end_turn"},
    {"reasoning_content dropped",
     R"({"role":"assistant","content":"x","reasoning_content":"thinking..."})", R"("stop")",
     R"([{"type":"text","text":"x"}])", "end_turn"},
};

TEST(OpenAiToAnthropicResponse, Table) {
  for (const ToAnthropicCase& c : kToAnthropic) {
    SCOPED_TRACE(c.name);
    auto result =
        openai_to_anthropic_response(completion_of(c.message, c.finish_reason), "claude-via-gpt");
    ASSERT_TRUE(result.has_value()) << result.error().message;
    json::object message = *result;
    const std::string_view id = message.at("id").as_string();
    EXPECT_TRUE(id.starts_with("msg_") && id.size() == 28 && is_base62(id.substr(4))) << id;
    message.erase("id");
    const json::object expected = parse_object(
        R"({"type":"message","role":"assistant","model":"claude-via-gpt","content":)" +
        std::string(c.content) + R"(,"stop_reason":")" + c.stop_reason +
        R"(","stop_sequence":null,"usage":{"input_tokens":29,"cache_creation_input_tokens":0,)"
        R"("cache_read_input_tokens":13,"output_tokens":15}})");
    EXPECT_EQ(message, expected) << "got:      " << json::serialize(message)
                                 << "\nexpected: " << json::serialize(expected);
  }
}

TEST(OpenAiToAnthropicResponse, FreshIdsEachTime) {
  const json::object completion = completion_of(R"({"role":"assistant","content":"x"})", "null");
  auto a = openai_to_anthropic_response(completion, "m");
  auto b = openai_to_anthropic_response(completion, "m");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->at("id"), b->at("id"));
}

TEST(OpenAiToAnthropicResponse, MissingUsageCountsZero) {
  json::object completion = completion_of(R"({"role":"assistant","content":"x"})", R"("stop")");
  completion.erase("usage");
  auto result = openai_to_anthropic_response(completion, "m");
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->at("usage"), json::parse(R"({"input_tokens":0,"cache_creation_input_tokens":0,)"
                                             R"("cache_read_input_tokens":0,"output_tokens":0})"));
}

TEST(OpenAiToAnthropicResponse, MissingToolCallIdIsMinted) {
  auto result = openai_to_anthropic_response(
      completion_of(
          R"({"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]})",
          R"("tool_calls")"),
      "m");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const std::string_view id = result->at("content").at(0).at("id").as_string();
  EXPECT_TRUE(id.starts_with("toolu_") && id.size() == 30 && is_base62(id.substr(6))) << id;
}

// Answers that cannot be read as a completion: the upstream's fault (502), with the path.
TEST(OpenAiToAnthropicResponse, UnreadableAnswers) {
  struct Bad {
    const char* name;
    const char* completion;
    const char* error;
  };
  const std::vector<Bad> cases = {
      {"no choices", R"({"id":"x","object":"chat.completion"})", "choices"},
      {"empty choices", R"({"choices":[]})", "choices"},
      {"choice without message", R"({"choices":[{"index":0,"finish_reason":"stop"}]})",
       "choices[0].message"},
      {"arguments not JSON",
       R"({"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"c","type":"function",)"
       R"("function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":"tool_calls"}]})",
       "choices[0].message.tool_calls[0].function.arguments"},
      {"arguments not an object",
       R"({"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"c","type":"function",)"
       R"("function":{"name":"f","arguments":"3"}}]},"finish_reason":"tool_calls"}]})",
       "choices[0].message.tool_calls[0].function.arguments"},
      {"tool call without a name",
       R"({"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"c","type":"function",)"
       R"("function":{"arguments":"{}"}}]},"finish_reason":"tool_calls"}]})",
       "choices[0].message.tool_calls[0].function.name"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.name);
    auto result = openai_to_anthropic_response(parse_object(c.completion), "m");
    ASSERT_FALSE(result.has_value()) << json::serialize(*result);
    EXPECT_EQ(result.error().kind, core::ErrorKind::kUpstreamFailed);
    EXPECT_NE(result.error().message.find(std::string(c.error) + ":"), std::string::npos)
        << result.error().message;
  }
}

// ---- Anthropic upstream → OpenAI client ----------------------------------------------------

struct ToOpenAiCase {
  const char* name;
  const char* content;      // the Anthropic message's content
  const char* stop_reason;  // JSON
  const char* message;      // expected choices[0].message
  const char* finish_reason;
};

json::object message_of(std::string_view content, std::string_view stop_reason) {
  return parse_object(
      R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant",)"
      R"("model":"claude-sonnet-4-5-20250929","content":)" +
      std::string(content) + R"(,"stop_reason":)" + std::string(stop_reason) +
      R"(,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":5,)"
      R"("cache_creation_input_tokens":2,"cache_read_input_tokens":3,)"
      R"("cache_creation":{"ephemeral_5m_input_tokens":2,"ephemeral_1h_input_tokens":0},)"
      R"("service_tier":"standard"}})");
}

#define TEXT_HI R"([{"type":"text","text":"Hi"}])"
#define MESSAGE_HI R"({"role":"assistant","content":"Hi","refusal":null,"annotations":[]})"

const std::vector<ToOpenAiCase> kToOpenAi = {
    {"text, end_turn → stop", TEXT_HI, R"("end_turn")", MESSAGE_HI, "stop"},
    {"stop_sequence → stop", TEXT_HI, R"("stop_sequence")", MESSAGE_HI, "stop"},
    {"max_tokens → length", TEXT_HI, R"("max_tokens")", MESSAGE_HI, "length"},
    {"model_context_window_exceeded → length", TEXT_HI, R"("model_context_window_exceeded")",
     MESSAGE_HI, "length"},
    {"pause_turn → stop", TEXT_HI, R"("pause_turn")", MESSAGE_HI, "stop"},
    {"refusal → content_filter", TEXT_HI, R"("refusal")", MESSAGE_HI, "content_filter"},
    {"unknown stop_reason → stop", TEXT_HI, R"("something_new")", MESSAGE_HI, "stop"},
    {"null stop_reason → stop", TEXT_HI, "null", MESSAGE_HI, "stop"},
    {"tool_use → tool_calls with JSON string arguments",
     R"([{"type":"text","text":"Let me check."},)"
     R"({"type":"tool_use","id":"toolu_01T1","name":"get_weather",)"
     R"("input":{"location":"San Francisco, CA"}},)"
     R"({"type":"tool_use","id":"toolu_01T2","name":"get_time","input":{}}])",
     R"("tool_use")",
     R"({"role":"assistant","content":"Let me check.","refusal":null,"annotations":[],)"
     R"("tool_calls":[{"id":"toolu_01T1","type":"function","function":{"name":"get_weather",)"
     R"("arguments":"{\"location\":\"San Francisco, CA\"}"}},)"
     R"({"id":"toolu_01T2","type":"function","function":{"name":"get_time","arguments":"{}"}}]})",
     "tool_calls"},
    {"tool_use only → content null",
     R"([{"type":"tool_use","id":"toolu_1","name":"f","input":{"a":1}}])", R"("tool_use")",
     R"({"role":"assistant","content":null,"refusal":null,"annotations":[],)"
     R"("tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"f",)"
     R"("arguments":"{\"a\":1}"}}]})",
     "tool_calls"},
    {"text blocks concatenated",
     R"([{"type":"text","text":"Hel"},{"type":"text","text":"lo","citations":[]}])",
     R"("end_turn")", R"({"role":"assistant","content":"Hello","refusal":null,"annotations":[]})",
     "stop"},
    {"thinking and redacted_thinking dropped",
     R"([{"type":"thinking","thinking":"hmm","signature":"EqQB"},)"
     R"({"type":"redacted_thinking","data":"xyz"},{"type":"text","text":"Hi"}])",
     R"("end_turn")", MESSAGE_HI, "stop"},
    {"no content → null", "[]", R"("end_turn")",
     R"({"role":"assistant","content":null,"refusal":null,"annotations":[]})", "stop"},
};

TEST(AnthropicToOpenAiResponse, Table) {
  for (const ToOpenAiCase& c : kToOpenAi) {
    SCOPED_TRACE(c.name);
    const auto before = std::chrono::system_clock::now();
    auto result =
        anthropic_to_openai_response(message_of(c.content, c.stop_reason), "gpt-via-claude");
    ASSERT_TRUE(result.has_value()) << result.error().message;
    json::object completion = *result;
    const std::string_view id = completion.at("id").as_string();
    EXPECT_TRUE(id.starts_with("chatcmpl-") && id.size() == 38 && is_base62(id.substr(9))) << id;
    const std::int64_t created = completion.at("created").as_int64();
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count();
    EXPECT_GE(created, now);
    EXPECT_LE(created, now + 5);
    completion.erase("id");
    completion.erase("created");
    const json::object expected = parse_object(
        R"({"object":"chat.completion","model":"gpt-via-claude","choices":[{"index":0,"message":)" +
        std::string(c.message) + R"(,"logprobs":null,"finish_reason":")" + c.finish_reason +
        R"("}],"usage":{"prompt_tokens":15,"completion_tokens":5,"total_tokens":20,)"
        R"("prompt_tokens_details":{"cached_tokens":3,"audio_tokens":0},)"
        R"("completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,)"
        R"("accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}})");
    EXPECT_EQ(completion, expected) << "got:      " << json::serialize(completion)
                                    << "\nexpected: " << json::serialize(expected);
  }
}

TEST(AnthropicToOpenAiResponse, ContentNotAnArrayIsAnUpstreamFailure) {
  auto result =
      anthropic_to_openai_response(parse_object(R"({"type":"message","content":"x"})"), "m");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, core::ErrorKind::kUpstreamFailed);
  EXPECT_NE(result.error().message.find("content"), std::string::npos);
}

// ---- Round trips ---------------------------------------------------------------------------

// Anthropic → OpenAI → Anthropic keeps text, tool ids, names, inputs, the stop reasons that
// exist on both sides, and usage without cache writes (OpenAI has no such count).
TEST(ResponseRoundTrip, AnthropicThroughOpenAi) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"([{"type":"text","text":"Hello"}])", "end_turn"},
      {R"([{"type":"text","text":"Hel"}])", "max_tokens"},
      {R"([{"type":"text","text":"No."}])", "refusal"},
      {R"([{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_01A",)"
       R"("name":"get_weather","input":{"city":"Paris","opts":{"units":"C","days":[1,2]}}},)"
       R"({"type":"tool_use","id":"toolu_01B","name":"get_time","input":{}}])",
       "tool_use"},
  };
  for (const auto& [content, stop_reason] : cases) {
    SCOPED_TRACE(content);
    json::object original = parse_object(
        R"({"type":"message","role":"assistant","model":"client-model","content":)" +
        std::string(content) + R"(,"stop_reason":")" + stop_reason +
        R"(","stop_sequence":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":0,)"
        R"("cache_read_input_tokens":3,"output_tokens":5}})");
    auto openai = anthropic_to_openai_response(original, "client-model");
    ASSERT_TRUE(openai.has_value());
    auto back = openai_to_anthropic_response(*openai, "client-model");
    ASSERT_TRUE(back.has_value()) << back.error().message;
    back->erase("id");
    EXPECT_EQ(*back, original) << json::serialize(*back);
  }
}

}  // namespace
}  // namespace warden::api::translate
