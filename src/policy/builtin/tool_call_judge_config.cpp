#include <algorithm>
#include <cmath>

#include "policy/builtin/pattern.hpp"
#include "policy/builtin/tool_call_judge.hpp"

namespace warden::policy {

ToolCallJudgeConfig parse_tool_call_judge(const config::Options& spec, const PolicyDeps& deps) {
  spec.allow_keys({"type", "provider", "model", "threshold", "temperature", "max_tokens",
                   "timeout_seconds", "on_error", "tools", "context", "instructions", "message",
                   "cache"});
  ToolCallJudgeConfig config;
  config.judge = read_judge_settings(
      spec, deps,
      {.max_tokens = 256,
       .timeout_seconds = 10,
       .instructions = ToolCallJudge::kDefaultInstructions,
       .message = ToolCallJudge::kDefaultMessage});
  config.threshold = spec.number("threshold", config.threshold, 0, 1);

  const config::Options tools = spec["tools"];
  if (!tools.present()) {
    config.tools.push_back({"*", compile_glob(spec, "*")});
  } else {
    for (const auto& item : tools.is_list() ? tools.items() : std::vector{tools}) {
      const std::string glob = item.text();
      config.tools.push_back({glob, compile_glob(item, glob)});
    }
    if (config.tools.empty()) tools.fail("an empty list judges nothing; leave it out for all");
  }

  const std::string context = spec.text("context", "tool_call");
  if (context != "tool_call" && context != "last_user_message") {
    spec["context"].fail("expected tool_call or last_user_message, got '" + context + "'");
  }
  config.with_user_message = context == "last_user_message";

  const config::Options cache = spec["cache"];
  if (cache.present()) {
    if (!cache.is_map()) cache.fail("expected a map: { max_entries: 1000, ttl_seconds: 600 }");
    cache.allow_keys({"max_entries", "ttl_seconds"});
    config.cache_entries = cache.count("max_entries", config.cache_entries, 0, 10'000'000);
    const double ttl = cache.number("ttl_seconds", 600, 0.001, 365.0 * 24 * 3600);
    config.cache_ttl = std::chrono::milliseconds(std::max<long long>(1, std::llround(ttl * 1000)));
  }
  return config;
}

std::shared_ptr<Policy> ToolCallJudge::create(const config::Options& spec,
                                              const PolicyDeps& deps) {
  return std::make_shared<ToolCallJudge>(parse_tool_call_judge(spec, deps));
}

}  // namespace warden::policy
