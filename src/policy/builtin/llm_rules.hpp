#pragma once
// Has a judge model check the response's text against rules written in plain
// language; the judge lets it pass, corrects it, or has it removed.
//
//   policy:
//     type: llm_rules
//     provider: judge                # + model, temperature, max_tokens,
//     model: claude-haiku-4-5        #   timeout_seconds, on_error, instructions,
//     rules: ["Never reveal internal host names."]   # message (judge_call.hpp)
//     scope: block                   # block: each text block | response: all text, at the end
//     message: "[Warden removed this text: {explanation}]"
//
// scope block: each text block is held while it streams and judged when
// complete (the stream waits for that one verdict); thinking and tool blocks
// pass. pass → the block goes out byte for byte; rewrite → a text block with
// the judge's text; block → a text block with `message`.
// scope response: every block is held until the message ends; the text
// blocks' text, joined, is judged once. pass → all goes out; rewrite / block →
// the text blocks become one, where the first one was, and the other blocks
// keep their order.
// Each verdict is a policy event: rules_passed, rules_rewrote, rules_blocked.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.hpp"
#include "policy/builtin/judge_answer.hpp"
#include "policy/builtin/judge_call.hpp"
#include "policy/policy.hpp"
#include "policy/registry.hpp"

namespace warden::policy {

struct LlmRulesConfig {
  JudgeSettings judge;
  std::vector<std::string> rules;
  bool whole_response = false;  // scope: response
};

// Throws config::ConfigError naming the key.
LlmRulesConfig parse_llm_rules(const config::Options& spec, const PolicyDeps& deps);

class LlmRules final : public Policy {
 public:
  static constexpr std::string_view kType = "llm_rules";
  static constexpr std::string_view kDefaultMessage = "[Warden removed this text: {explanation}]";
  static constexpr std::string_view kDefaultInstructions =
      "You check text that an AI assistant wrote against rules, for a gateway that reviews the "
      "assistant's answers before the user sees them. If the text follows every rule, the "
      "verdict is pass. If it breaks a rule and editing can fix it, the verdict is rewrite, with "
      "the whole corrected text: change only what the rules require, keep everything else as it "
      "is. If it cannot be fixed, the verdict is block. Reply with one JSON object and nothing "
      "else: {\"verdict\": \"pass\" | \"rewrite\" | \"block\", \"text\": \"<the corrected text, "
      "for rewrite>\", \"explanation\": \"<one sentence>\"}";
  static std::shared_ptr<Policy> create(const config::Options& spec, const PolicyDeps& deps);
  explicit LlmRules(LlmRulesConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return kType; }
  awaitable<void> on_chunk_received(StreamContext& ctx) override;
  awaitable<void> on_content_complete(StreamContext& ctx) override;
  awaitable<void> on_finish_reason(StreamContext& ctx) override;
  awaitable<void> on_stream_complete(StreamContext& ctx) override;

  // The judge's question about `text`.
  std::string prompt(std::string_view text) const;

 private:
  struct Stream;
  struct Outcome;
  Stream& stream(StreamContext& ctx) const;
  awaitable<Outcome> judge(StreamContext& ctx, Stream& stream, std::string text) const;
  void record(StreamContext& ctx, const Outcome& outcome, std::string_view text) const;
  std::string blocked_text(const Outcome& outcome) const;
  void hold_block_event(StreamContext& ctx, Stream& stream) const;
  void hold_response_event(StreamContext& ctx, Stream& stream) const;
  awaitable<void> finish_response(StreamContext& ctx, Stream& stream) const;

  const LlmRulesConfig config_;  // immutable: one object serves every stream
};

}  // namespace warden::policy
