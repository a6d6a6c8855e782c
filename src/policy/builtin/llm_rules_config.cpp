#include "core/json_util.hpp"
#include "policy/builtin/llm_rules.hpp"

namespace warden::policy {

LlmRulesConfig parse_llm_rules(const config::Options& spec, const PolicyDeps& deps) {
  spec.allow_keys({"type", "provider", "model", "rules", "scope", "temperature", "max_tokens",
                   "timeout_seconds", "on_error", "instructions", "message"});
  LlmRulesConfig config;
  config.judge = read_judge_settings(spec, deps,
                                     {.max_tokens = 1024,
                                      .timeout_seconds = 20,
                                      .instructions = LlmRules::kDefaultInstructions,
                                      .message = LlmRules::kDefaultMessage});
  const config::Options rules = spec["rules"];
  if (!rules.present()) rules.fail("required: a list of rules in plain language");
  for (const auto& item : rules.is_list() ? rules.items() : std::vector{rules}) {
    const std::string rule = item.text();
    if (core::trim(rule).empty()) item.fail("a rule must not be empty");
    config.rules.push_back(rule);
  }
  if (config.rules.empty()) rules.fail("needs at least one rule");
  const std::string scope = spec.text("scope", "block");
  if (scope != "block" && scope != "response") {
    spec["scope"].fail("expected block or response, got '" + scope + "'");
  }
  config.whole_response = scope == "response";
  return config;
}

std::shared_ptr<Policy> LlmRules::create(const config::Options& spec, const PolicyDeps& deps) {
  return std::make_shared<LlmRules>(parse_llm_rules(spec, deps));
}

}  // namespace warden::policy
