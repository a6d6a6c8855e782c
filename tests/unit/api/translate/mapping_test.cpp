#include "api/translate/mapping.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace warden::api::translate {
namespace {

namespace json = boost::json;

// ---- 4.4 stop_reason ↔ finish_reason -------------------------------------------------------

TEST(FinishReasonFromStopReason, Table) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"end_turn", "stop"},
      {"stop_sequence", "stop"},
      {"max_tokens", "length"},
      {"model_context_window_exceeded", "length"},
      {"tool_use", "tool_calls"},
      {"pause_turn", "stop"},
      {"refusal", "content_filter"},
      {"something_new", "stop"},
      {"", "stop"},
  };
  for (const auto& [stop_reason, finish_reason] : cases) {
    EXPECT_EQ(finish_reason_from_stop_reason(stop_reason), finish_reason) << stop_reason;
  }
}

TEST(StopReasonFromFinishReason, Table) {
  struct Case {
    std::string_view finish_reason;
    bool saw_tool_calls;
    std::string_view stop_reason;
  };
  const std::vector<Case> cases = {
      {"stop", false, "end_turn"},
      {"length", false, "max_tokens"},
      {"tool_calls", false, "tool_use"},
      {"function_call", false, "tool_use"},
      {"content_filter", false, "refusal"},
      {"", false, "end_turn"},  // missing
      {"eos", false, "end_turn"},
      // Some compatible servers end a tool-calling turn with "stop"; Claude Code only
      // runs tools on tool_use.
      {"stop", true, "tool_use"},
      {"", true, "tool_use"},
      {"length", true, "tool_use"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(stop_reason_from_finish_reason(c.finish_reason, c.saw_tool_calls), c.stop_reason)
        << c.finish_reason << " tools=" << c.saw_tool_calls;
  }
}

// ---- 4.5 usage -----------------------------------------------------------------------------

struct UsageCase {
  const char* name;
  const char* input;
  const char* expected;
};

TEST(AnthropicUsageFromOpenAi, Table) {
  const std::vector<UsageCase> cases = {
      {"cached tokens are a subset of prompt tokens",
       R"({"prompt_tokens":42,"completion_tokens":15,"total_tokens":57,)"
       R"("prompt_tokens_details":{"cached_tokens":13,"audio_tokens":0},)"
       R"("completion_tokens_details":{"reasoning_tokens":4}})",
       R"({"input_tokens":29,"cache_creation_input_tokens":0,"cache_read_input_tokens":13,)"
       R"("output_tokens":15})"},
      {"cache writes where an upstream reports them",
       R"({"prompt_tokens":100,"completion_tokens":1,)"
       R"("prompt_tokens_details":{"cached_tokens":20,"cache_write_tokens":30}})",
       R"({"input_tokens":50,"cache_creation_input_tokens":30,"cache_read_input_tokens":20,)"
       R"("output_tokens":1})"},
      {"no details", R"({"prompt_tokens":8,"completion_tokens":9,"total_tokens":17})",
       R"({"input_tokens":8,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,)"
       R"("output_tokens":9})"},
      {"empty usage counts zero", "{}",
       R"({"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,)"
       R"("output_tokens":0})"},
      {"null details and non-numbers count zero",
       R"({"prompt_tokens":"7","completion_tokens":null,"prompt_tokens_details":null})",
       R"({"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,)"
       R"("output_tokens":0})"},
      {"doubles and counts beyond 32 bits",
       R"({"prompt_tokens":10.0,"completion_tokens":5000000000})",
       R"({"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,)"
       R"("output_tokens":5000000000})"},
      {"inconsistent cached > prompt never goes negative",
       R"({"prompt_tokens":5,"prompt_tokens_details":{"cached_tokens":9}})",
       R"({"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":9,)"
       R"("output_tokens":0})"},
  };
  for (const UsageCase& c : cases) {
    SCOPED_TRACE(c.name);
    const json::object got = anthropic_usage_from_openai(json::parse(c.input).as_object());
    EXPECT_EQ(got, json::parse(c.expected).as_object()) << json::serialize(got);
  }
}

TEST(OpenAiUsageFromAnthropic, Table) {
  const std::vector<UsageCase> cases = {
      {"prompt = uncached + cache writes + cache reads",
       R"({"input_tokens":472,"output_tokens":89,"cache_creation_input_tokens":10,)"
       R"("cache_read_input_tokens":20,"service_tier":"standard"})",
       R"({"prompt_tokens":502,"completion_tokens":89,"total_tokens":591,)"
       R"("prompt_tokens_details":{"cached_tokens":20,"audio_tokens":0},)"
       R"("completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,)"
       R"("accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})"},
      {"thinking tokens → reasoning_tokens",
       R"({"input_tokens":1,"output_tokens":50,"output_tokens_details":{"thinking_tokens":30}})",
       R"({"prompt_tokens":1,"completion_tokens":50,"total_tokens":51,)"
       R"("prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},)"
       R"("completion_tokens_details":{"reasoning_tokens":30,"audio_tokens":0,)"
       R"("accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})"},
      {"empty usage counts zero", "{}",
       R"({"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,)"
       R"("prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},)"
       R"("completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,)"
       R"("accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})"},
  };
  for (const UsageCase& c : cases) {
    SCOPED_TRACE(c.name);
    const json::object got = openai_usage_from_anthropic(json::parse(c.input).as_object());
    EXPECT_EQ(got, json::parse(c.expected).as_object()) << json::serialize(got);
  }
}

// Totals agree both ways when no cache writes are involved (OpenAI cannot report them).
TEST(UsageRoundTrip, AnthropicThroughOpenAi) {
  const json::object original =
      json::parse(
          R"({"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":30,)"
          R"("output_tokens":7})")
          .as_object();
  EXPECT_EQ(anthropic_usage_from_openai(openai_usage_from_anthropic(original)), original);
}

}  // namespace
}  // namespace warden::api::translate
