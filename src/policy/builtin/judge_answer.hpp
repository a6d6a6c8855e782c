#pragma once
// Reading a judge model's answer. Models wrap JSON in code fences, put a
// sentence before or after it, or quote their numbers; these readers take the
// first JSON object in the text that has the expected key and ignore the rest.
// Pure functions, so their tolerance is tested directly.
//
// Example:
//   parse_risk_verdict("Sure.\n```json\n{\"probability\": \"0.9\", \"explanation\": \"x\"}\n```")
//     → {0.9, "x"}

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/result.hpp"

namespace warden::policy {

// tool_call_judge: {"probability": <0..1>, "explanation": "<one sentence>"}.
struct RiskVerdict {
  double probability = 0;  // clamped to 0..1
  std::string explanation;
};

// llm_rules: {"verdict": "pass"|"rewrite"|"block", "text": "...", "explanation": "..."}.
enum class RulesDecision { kPass, kRewrite, kBlock };
struct RulesVerdict {
  RulesDecision decision = RulesDecision::kPass;
  std::string text;  // kRewrite: the corrected text
  std::string explanation;
};

// Errors (kUpstreamFailed) say what the answer lacks, for the policy event.
core::Result<RiskVerdict> parse_risk_verdict(std::string_view answer);
core::Result<RulesVerdict> parse_rules_verdict(std::string_view answer);

// The first JSON object starting anywhere in `text` (nested ones included)
// that has `key`; comments and trailing commas are tolerated.
std::optional<boost::json::object> find_json_object(std::string_view text, std::string_view key);

}  // namespace warden::policy
