#include "policy/builtin/tool_filter.hpp"

#include <boost/json/serialize.hpp>

#include "policy/builtin/message_template.hpp"
#include "policy/builtin/utf8.hpp"

namespace warden::policy {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxArgumentsBytes = 2048;  // in the policy event and the message

const char* const kUnreadable = "its arguments could not be read to check them";
const char* const kTooLarge = "its arguments are too large to inspect";

// Some string leaf of `value` (numbers, booleans and null as their JSON text) matches.
bool any_leaf_matches(const json::value& value, const re2::RE2& pattern) {
  switch (value.kind()) {
    case json::kind::string: {
      const json::string& s = value.get_string();
      return re2::RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), pattern);
    }
    case json::kind::object:
      for (const auto& [key, item] : value.get_object()) {
        if (any_leaf_matches(item, pattern)) return true;
      }
      return false;
    case json::kind::array:
      for (const auto& item : value.get_array()) {
        if (any_leaf_matches(item, pattern)) return true;
      }
      return false;
    default:
      return re2::RE2::PartialMatch(json::serialize(value), pattern);
  }
}

}  // namespace

bool ToolGlob::matches(std::string_view tool) const {
  return re2::RE2::FullMatch(re2::StringPiece(tool.data(), tool.size()), *re);
}

std::optional<std::string> ToolFilter::check_name(std::string_view tool) const {
  if (config_.allow) {
    bool allowed = false;
    for (const auto& glob : *config_.allow) allowed = allowed || glob.matches(tool);
    if (!allowed) return "it is not on the allow list";
  }
  bool inspect = false;
  for (const auto& rule : config_.deny) {
    if (!rule.tool.matches(tool)) continue;
    if (!rule.argument_pattern) return "it matches the deny rule `" + rule.tool.source + "`";
    inspect = true;
  }
  if (inspect) return std::nullopt;
  return std::string();
}

std::string ToolFilter::check_input(std::string_view tool, const json::value& input) const {
  for (const auto& rule : config_.deny) {
    if (!rule.argument_pattern || !rule.tool.matches(tool)) continue;
    if (input.is_null()) return kUnreadable;
    if (rule.argument.empty()) {
      if (any_leaf_matches(input, *rule.argument_pattern)) {
        return "its arguments match `" + rule.pattern_source + "`";
      }
      continue;
    }
    const json::value* argument =
        input.is_object() ? input.get_object().if_contains(rule.argument) : nullptr;
    if (argument != nullptr && any_leaf_matches(*argument, *rule.argument_pattern)) {
      return "its argument `" + rule.argument + "` matches `" + rule.pattern_source + "`";
    }
  }
  return {};
}

// Per stream: what happens to the open tool_use block's events.
struct ToolFilter::CallState {
  enum class Mode { kPass, kHold, kDrop, kTooLarge } mode = Mode::kPass;
  std::string reason;  // kDrop
};

void ToolFilter::hold_or_refuse(StreamContext& ctx, CallState& state) const {
  if (ctx.hold()) return;
  // Over the per-stream limit: fail closed, the call can no longer be checked.
  ctx.discard_held();
  ctx.drop_current();
  state.mode = CallState::Mode::kTooLarge;
}

awaitable<void> ToolFilter::on_chunk_received(StreamContext& ctx) {
  using Mode = CallState::Mode;
  const core::Block* block = ctx.current_block();
  auto& state = ctx.state<CallState>();
  if (ctx.current().is<core::BlockStart>()) {
    state = {};
    if (block == nullptr || block->type != core::BlockType::kToolUse) co_return;
    std::optional<std::string> verdict = check_name(block->tool_name());
    if (!verdict) {
      state.mode = Mode::kHold;
      hold_or_refuse(ctx, state);
    } else if (!verdict->empty()) {
      state = {Mode::kDrop, std::move(*verdict)};
      ctx.drop_current();
    }
    co_return;
  }
  // The block's deltas; its stop is on_tool_call_complete's.
  if (block == nullptr || block->type != core::BlockType::kToolUse ||
      !ctx.current().is<core::BlockDelta>()) {
    co_return;
  }
  switch (state.mode) {
    case Mode::kPass:
      break;
    case Mode::kHold:
      hold_or_refuse(ctx, state);
      break;
    case Mode::kDrop:
    case Mode::kTooLarge:
      ctx.drop_current();
      break;
  }
}

awaitable<void> ToolFilter::on_tool_call_complete(StreamContext& ctx) {
  using Mode = CallState::Mode;
  const core::Block* block = ctx.completed_block();
  auto& state = ctx.state<CallState>();
  const Mode mode = state.mode;
  std::string reason = std::move(state.reason);
  state = {};
  if (block == nullptr) co_return;
  switch (mode) {
    case Mode::kPass:
      co_return;
    case Mode::kHold:
      reason = check_input(block->tool_name(), block->tool_input());
      if (reason.empty()) {
        ctx.release_held();  // byte for byte, then this stop
        co_return;
      }
      break;
    case Mode::kDrop:
      break;
    case Mode::kTooLarge:
      reason = kTooLarge;
      break;
  }
  deny(ctx, *block, reason);
}

void ToolFilter::deny(StreamContext& ctx, const core::Block& block,
                      const std::string& reason) const {
  const json::value input = block.tool_input();
  const std::string all = input.is_null() ? block.text : json::serialize(input);
  std::string arguments(utf8_prefix(all, kMaxArgumentsBytes));
  if (arguments.size() < all.size() || block.overflow) arguments += "…";
  ctx.discard_held();
  ctx.drop_current();
  ctx.emit_text_block(render_template(
      config_.message,
      {{"tool_name", block.tool_name()}, {"reason", reason}, {"tool_arguments", arguments}}));
  ctx.policy_context().record({std::string(kType),
                               "blocked_tool_call",
                               {{"tool", block.tool_name()},
                                {"id", block.tool_id()},
                                {"arguments", arguments},
                                {"reason", reason}}});
}

}  // namespace warden::policy
