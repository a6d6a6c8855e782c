#pragma once
// Blocks tool calls by name and by argument, and tells the user why: a denied
// call is replaced by a text block (so the model's turn ends in end_turn, not
// in a tool call nobody will run). Calls whose arguments must be checked are
// held until their input is complete; calls the name alone decides stream on
// (allowed) or are dropped (denied) without waiting.
//
//   policy:
//     type: tool_filter
//     allow: ["Read", "Grep", "Bash"]            # optional: anything else is denied
//     deny:
//       - "mcp__*"                               # by name (globs: * and ?)
//       - { tool: Bash, argument: command, argument_pattern: 'rm\s+-rf' }
//     message: "Warden blocked a call to tool `{tool_name}`: {reason}."

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>
#include <re2/re2.h>

#include "config/options.hpp"
#include "policy/policy.hpp"

namespace warden::policy {

struct ToolGlob {
  std::string source;  // as configured
  std::shared_ptr<const re2::RE2> re;
  bool matches(std::string_view tool) const;
};

struct ToolDenyRule {
  ToolGlob tool;
  std::string pattern_source;                        // "" with no argument_pattern
  std::shared_ptr<const re2::RE2> argument_pattern;  // null: the name alone denies
  std::string argument;                              // "": every string leaf of the input
};

struct ToolFilterConfig {
  std::optional<std::vector<ToolGlob>> allow;
  std::vector<ToolDenyRule> deny;
  std::string message;  // {tool_name}, {reason}, {tool_arguments}
};

// Throws config::ConfigError naming the key.
ToolFilterConfig parse_tool_filter(const config::Options& spec);

class ToolFilter final : public Policy {
 public:
  static constexpr std::string_view kType = "tool_filter";
  static constexpr std::string_view kDefaultMessage =
      "Warden blocked a call to tool `{tool_name}`: {reason}.";
  static std::shared_ptr<Policy> create(const config::Options& spec);
  explicit ToolFilter(ToolFilterConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return kType; }
  awaitable<void> on_chunk_received(StreamContext& ctx) override;
  awaitable<void> on_tool_call_complete(StreamContext& ctx) override;

  // What the name alone decides: a reason to deny, "" to allow, nullopt when
  // the arguments must be seen.
  std::optional<std::string> check_name(std::string_view tool) const;
  // A reason to deny a call given its complete input (null: unreadable), or "".
  std::string check_input(std::string_view tool, const boost::json::value& input) const;

 private:
  struct CallState;
  void hold_or_refuse(StreamContext& ctx, CallState& state) const;
  void deny(StreamContext& ctx, const core::Block& block, const std::string& reason) const;

  const ToolFilterConfig config_;  // immutable: one object serves every stream
};

}  // namespace warden::policy
