#include "policy/builtin/string_replacement.hpp"

#include <array>

#include "policy/builtin/holdback_buffer.hpp"
#include "policy/builtin/utf8.hpp"

namespace warden::policy {

namespace {

// Replaces the matches in `buffer` that can no longer grow, appends the text
// that can go out to `out`, and keeps the rest. Returns the replacements made.
std::size_t scan(const ReplacementRule& rule, HoldbackBuffer& buffer, bool final,
                 std::string& out) {
  const std::size_t limit = buffer.limit(rule.holdback, final);
  const re2::StringPiece text(buffer.text().data(), buffer.text().size());
  std::array<re2::StringPiece, 10> match;  // \0..\9
  std::size_t at = buffer.start();
  std::size_t count = 0;
  while (at < limit && rule.pattern->Match(text, at, text.size(), re2::RE2::UNANCHORED,
                                           match.data(), rule.groups + 1)) {
    const std::size_t begin = static_cast<std::size_t>(match[0].data() - text.data());
    const std::size_t end = begin + match[0].size();
    // A match starting in the held-back bytes may still grow: decide next time.
    if (begin >= limit) break;
    if (end == begin) {  // an empty match (`\b`): nothing to replace, step over a character
      std::size_t next = begin + 1;
      while (next < text.size() && is_utf8_continuation(text[next])) ++next;
      out.append(text.data() + at, next - at);
      at = next;
      continue;
    }
    out.append(text.data() + at, begin - at);
    if (rule.regex) {
      rule.pattern->Rewrite(&out, rule.replace, match.data(), rule.groups + 1);
    } else {
      out += rule.replace;
    }
    at = end;  // past `limit` when a match reaches into the held-back bytes: it is whole
    ++count;
  }
  if (at < limit) {
    out.append(text.data() + at, limit - at);
    at = limit;
  }
  if (final) {
    buffer.clear();
  } else {
    buffer.consume(at);
  }
  return count;
}

}  // namespace

// Per stream: the open text block's buffers, one per rule.
struct StringReplacement::BlockState {
  bool active = false;
  std::int64_t index = 0;
  std::vector<HoldbackBuffer> buffers;
  std::size_t replaced = 0;
};

std::string StringReplacement::run_rules(BlockState& state, std::string text, bool final) const {
  for (std::size_t i = 0; i < config_.rules.size(); ++i) {
    state.buffers[i].append(text);
    text.clear();
    state.replaced += scan(config_.rules[i], state.buffers[i], final, text);
  }
  return text;
}

awaitable<void> StringReplacement::on_content_delta(StreamContext& ctx) {
  const core::Block* block = ctx.current_block();
  auto* delta = ctx.current().as<core::BlockDelta>();
  if (block == nullptr || block->type != core::BlockType::kText || delta == nullptr) co_return;
  auto& state = ctx.state<BlockState>();
  if (!state.active) {
    state = {true, delta->index, std::vector<HoldbackBuffer>(config_.rules.size()), 0};
  }
  std::string out = run_rules(state, delta->text, false);
  if (out.empty()) {
    ctx.drop_current();
  } else if (out != delta->text) {
    delta->text = std::move(out);
    ctx.current().modified = true;
  }
}

void StringReplacement::flush(StreamContext& ctx, BlockState& state) const {
  std::string rest = run_rules(state, {}, true);
  // Emitted before the current event: the block's stop follows its last text.
  if (!rest.empty()) ctx.emit(text_delta_event(state.index, std::move(rest)));
  if (state.replaced > 0) {
    ctx.policy_context().record(
        {std::string(kType), "replaced_text", {{"index", state.index}, {"count", state.replaced}}});
  }
  state.active = false;
}

awaitable<void> StringReplacement::on_content_complete(StreamContext& ctx) {
  auto& state = ctx.state<BlockState>();
  const core::Block* block = ctx.completed_block();
  if (state.active && block != nullptr && block->type == core::BlockType::kText) flush(ctx, state);
  co_return;
}

awaitable<void> StringReplacement::on_stream_complete(StreamContext& ctx) {
  // A stream cut inside a text block: what was held back still goes out (the
  // formatter then ends the stream with an error).
  auto& state = ctx.state<BlockState>();
  if (ctx.at_end() && state.active) flush(ctx, state);
  co_return;
}

}  // namespace warden::policy
