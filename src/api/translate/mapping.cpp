#include "api/translate/mapping.hpp"

#include <algorithm>
#include <cstdint>

namespace warden::api::translate {

namespace json = boost::json;

namespace {

std::int64_t count(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return 0;
}

std::int64_t nested_count(const json::object& o, std::string_view outer, std::string_view key) {
  const auto* v = o.if_contains(outer);
  return v != nullptr && v->is_object() ? count(v->get_object(), key) : 0;
}

}  // namespace

std::string_view stop_reason_from_finish_reason(std::string_view finish_reason,
                                                bool saw_tool_calls) {
  if (saw_tool_calls || finish_reason == "tool_calls" || finish_reason == "function_call") {
    return "tool_use";
  }
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

std::string_view finish_reason_from_stop_reason(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") {
    return "length";
  }
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";
}

json::object anthropic_usage_from_openai(const json::object& usage) {
  const std::int64_t prompt = count(usage, "prompt_tokens");
  const std::int64_t cached = nested_count(usage, "prompt_tokens_details", "cached_tokens");
  const std::int64_t written = nested_count(usage, "prompt_tokens_details", "cache_write_tokens");
  return {{"input_tokens", std::max<std::int64_t>(0, prompt - cached - written)},
          {"cache_creation_input_tokens", written},
          {"cache_read_input_tokens", cached},
          {"output_tokens", count(usage, "completion_tokens")}};
}

json::object openai_usage_from_anthropic(const json::object& usage) {
  const std::int64_t cached = count(usage, "cache_read_input_tokens");
  const std::int64_t prompt =
      count(usage, "input_tokens") + count(usage, "cache_creation_input_tokens") + cached;
  const std::int64_t completion = count(usage, "output_tokens");
  // Newer Anthropic responses say how many output tokens were thinking (4.5).
  const std::int64_t thinking = nested_count(usage, "output_tokens_details", "thinking_tokens");
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion},
          {"prompt_tokens_details", {{"cached_tokens", cached}, {"audio_tokens", 0}}},
          {"completion_tokens_details",
           {{"reasoning_tokens", thinking},
            {"audio_tokens", 0},
            {"accepted_prediction_tokens", 0},
            {"rejected_prediction_tokens", 0}}}};
}

}  // namespace warden::api::translate
