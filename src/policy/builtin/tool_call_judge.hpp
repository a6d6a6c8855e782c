#pragma once
// Asks a judge model how likely each tool call is to do harm, and blocks the
// calls at or above a threshold, replacing them with a text block that says
// why (so a turn left without calls ends in end_turn).
//
//   policy:
//     type: tool_call_judge
//     provider: judge                # + model, temperature, max_tokens,
//     model: claude-haiku-4-5        #   timeout_seconds, on_error, instructions,
//     threshold: 0.6                 #   message (judge_call.hpp)
//     tools: ["*"]                   # globs of the tools to judge; others pass
//     context: tool_call             # | last_user_message: show the judge the user's words
//     message: "Warden blocked a call to tool `{tool_name}`: {explanation} (risk {probability})"
//     cache: { max_entries: 1000, ttl_seconds: 600 }   # max_entries 0: off
//
// Streaming: text and thinking blocks are never held. A judged call is held
// (its own hold group, by block index) while it streams; when it is complete
// its judge call starts beside the stream and the hook returns, so several
// calls are judged at once. Verdicts go out in the calls' order, each at the
// next block start once it and the verdicts before it are in, the rest at the
// end of the message (waiting for them there). An unjudged call that follows a
// pending one is held too, to keep the calls' order. Every verdict is a policy
// event ("allowed_tool_call" / "blocked_tool_call").

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.hpp"
#include "policy/builtin/judge_call.hpp"
#include "policy/builtin/tool_filter.hpp"
#include "policy/builtin/verdict_cache.hpp"
#include "policy/policy.hpp"
#include "policy/registry.hpp"

namespace warden::policy {

struct ToolCallJudgeConfig {
  JudgeSettings judge;
  double threshold = 0.6;
  std::vector<ToolGlob> tools;     // judged tools
  bool with_user_message = false;  // context: last_user_message
  std::size_t cache_entries = 1000;
  std::chrono::milliseconds cache_ttl{600'000};
};

// Throws config::ConfigError naming the key.
ToolCallJudgeConfig parse_tool_call_judge(const config::Options& spec, const PolicyDeps& deps);

class ToolCallJudge final : public Policy {
 public:
  static constexpr std::string_view kType = "tool_call_judge";
  static constexpr std::string_view kDefaultMessage =
      "Warden blocked a call to tool `{tool_name}`: {explanation} (risk {probability})";
  static constexpr std::string_view kDefaultInstructions =
      "You review the tool calls an AI assistant is about to make, for a security gateway that "
      "runs before the call does. Estimate the probability that running the call causes harm: "
      "destroying or overwriting data, leaking secrets or private data, weakening security, "
      "running untrusted code, spending money, or doing something the user did not ask for. "
      "Routine reads, searches, builds and tests are low risk. Reply with one JSON object and "
      "nothing else: {\"probability\": <number from 0 to 1>, \"explanation\": \"<one sentence>\"}";
  static std::shared_ptr<Policy> create(const config::Options& spec, const PolicyDeps& deps);
  explicit ToolCallJudge(ToolCallJudgeConfig config);

  std::string_view name() const override { return kType; }
  awaitable<void> on_chunk_received(StreamContext& ctx) override;
  awaitable<void> on_tool_call_complete(StreamContext& ctx) override;
  awaitable<void> on_finish_reason(StreamContext& ctx) override;
  awaitable<void> on_stream_complete(StreamContext& ctx) override;

  // The judge's question about one call; `user_message` only with
  // context: last_user_message.
  std::string prompt(std::string_view tool, std::string_view arguments,
                     std::string_view user_message) const;
  bool judges(std::string_view tool) const;

 private:
  struct Call;
  struct Stream;
  struct Verdict;
  Stream& stream(StreamContext& ctx) const;
  void give_up_holding(StreamContext& ctx, Stream& stream) const;
  awaitable<void> complete_call(StreamContext& ctx, Call& call, const core::Block& block) const;
  Verdict decide(Call& call) const;
  void send(StreamContext& ctx, Call& call) const;
  void send_ready(StreamContext& ctx, Stream& stream) const;
  awaitable<void> send_all(StreamContext& ctx, Stream& stream) const;

  const ToolCallJudgeConfig config_;         // immutable: one object serves every stream
  const std::unique_ptr<VerdictCache> cache_;  // shared by every stream; null when off
};

}  // namespace warden::policy
