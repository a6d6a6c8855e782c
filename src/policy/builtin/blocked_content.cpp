#include "policy/builtin/blocked_content.hpp"

#include "policy/builtin/holdback_buffer.hpp"

namespace warden::policy {

// Per stream: the open text block.
struct BlockedContent::BlockState {
  bool active = false;
  std::int64_t index = 0;
  HoldbackBuffer buffer;
  bool blocked = false;  // the message went out: the rest of the block is dropped
};

std::string BlockedContent::check(StreamContext& ctx, BlockState& state, std::string_view text,
                                  bool final) const {
  HoldbackBuffer& buffer = state.buffer;
  buffer.append(text);
  const std::size_t limit = buffer.limit(config_.max_match_bytes, final);
  const std::string_view all = buffer.text();
  const re2::StringPiece subject(all.data(), all.size());
  // The earliest match of any pattern.
  const BlockedPattern* hit = nullptr;
  std::size_t begin = all.size();
  for (const auto& pattern : config_.patterns) {
    re2::StringPiece match;
    if (pattern.re->Match(subject, buffer.start(), all.size(), re2::RE2::UNANCHORED, &match, 1)) {
      const auto at = static_cast<std::size_t>(match.data() - all.data());
      if (hit == nullptr || at < begin) {
        hit = &pattern;
        begin = at;
      }
    }
  }
  // A match that starts in the held-back bytes may yet fail (`foo\b` before
  // "bar"): decide when more text came. One starting earlier is final.
  if (hit == nullptr || (begin >= limit && !final)) {
    std::string out(all.substr(buffer.start(), limit - buffer.start()));
    buffer.consume(limit);
    return out;
  }
  std::string out(all.substr(buffer.start(), begin - buffer.start()));
  out += config_.message;
  buffer.clear();
  state.blocked = true;
  ctx.policy_context().record(
      {std::string(kType), "blocked_content", {{"index", state.index}, {"pattern", hit->source}}});
  return out;
}

awaitable<void> BlockedContent::on_content_delta(StreamContext& ctx) {
  const core::Block* block = ctx.current_block();
  auto* delta = ctx.current().as<core::BlockDelta>();
  if (block == nullptr || block->type != core::BlockType::kText || delta == nullptr) co_return;
  auto& state = ctx.state<BlockState>();
  if (!state.active) state = {true, delta->index, {}, false};
  if (state.blocked) {
    ctx.drop_current();
    co_return;
  }
  std::string out = check(ctx, state, delta->text, false);
  if (out.empty()) {
    ctx.drop_current();
  } else if (out != delta->text) {
    delta->text = std::move(out);
    ctx.current().modified = true;
  }
}

awaitable<void> BlockedContent::on_content_complete(StreamContext& ctx) {
  auto& state = ctx.state<BlockState>();
  const core::Block* block = ctx.completed_block();
  if (!state.active || block == nullptr || block->type != core::BlockType::kText) co_return;
  if (!state.blocked) {
    std::string rest = check(ctx, state, {}, true);
    if (!rest.empty()) ctx.emit(text_delta_event(state.index, std::move(rest)));
  }
  state = {};
}

awaitable<void> BlockedContent::on_stream_complete(StreamContext& ctx) {
  // A stream cut inside a text block: the held-back text is checked and goes out.
  auto& state = ctx.state<BlockState>();
  if (ctx.at_end() && state.active && !state.blocked) {
    std::string rest = check(ctx, state, {}, true);
    if (!rest.empty()) ctx.emit(text_delta_event(state.index, std::move(rest)));
  }
  co_return;
}

}  // namespace warden::policy
