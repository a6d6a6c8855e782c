#include "policy/builtin/llm_rules.hpp"

#include <chrono>
#include <cstdint>
#include <utility>

#include "core/json_util.hpp"
#include "policy/builtin/utf8.hpp"

namespace warden::policy {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxShownText = 2048;  // of the checked text, in the policy event
const char* const kTooLarge = "the text is too large to check";

std::string shortened(std::string_view text) {
  std::string out(utf8_prefix(text, kMaxShownText));
  if (out.size() < text.size()) out += "…";
  return out;
}

const core::Block* block_at(StreamContext& ctx, std::int64_t index) {
  for (const auto& block : ctx.blocks()) {
    if (block.index == index) return &block;
  }
  return nullptr;
}

}  // namespace

struct LlmRules::Outcome {
  RulesDecision decision = RulesDecision::kPass;
  std::string text;  // kRewrite: the judge's text
  std::string explanation;
  std::string error;
  std::chrono::milliseconds latency{0};
};

// Per stream. Destroying it cancels a judge call still running.
struct LlmRules::Stream {
  // scope block: the open text block.
  bool holding = false;    // its events are held (group: its index)
  bool too_large = false;  // over the hold limit: dropped, then blocked
  std::int64_t index = 0;
  // scope response: every block is held.
  struct Held {
    std::int64_t index;
    bool text;
  };
  std::vector<Held> held;  // in the stream's order
  bool overflow = false;   // over the hold limit: all dropped, then blocked
  bool finished = false;
  JudgeCall judge;  // the call in flight
};

LlmRules::Stream& LlmRules::stream(StreamContext& ctx) const {
  // A shared_ptr because the state slot must be copyable and a JudgeCall is not.
  auto& slot = ctx.state<std::shared_ptr<Stream>>();
  if (!slot) slot = std::make_shared<Stream>();
  return *slot;
}

std::string LlmRules::prompt(std::string_view text) const {
  std::string out = "Rules:\n";
  for (std::size_t i = 0; i < config_.rules.size(); ++i) {
    out += std::to_string(i + 1) + ". " + config_.rules[i] + "\n";
  }
  out += "\nText to check:\n<<<\n";
  out += text;
  out +=
      "\n>>>\n\nAnswer with JSON only: {\"verdict\": \"pass\" | \"rewrite\" | \"block\", "
      "\"text\": \"<the corrected text, for rewrite>\", \"explanation\": \"<one sentence>\"}";
  return out;
}

awaitable<LlmRules::Outcome> LlmRules::judge(StreamContext& ctx, Stream& s,
                                             std::string text) const {
  // Named first: GCC 12 and temporaries in a co_await expression (STYLE.md 9).
  ModelRequest request = config_.judge.request(prompt(text));
  auto starting = JudgeCall::start(config_.judge.client, std::move(request));
  s.judge = co_await std::move(starting);  // kept in the stream: cancelled if it goes
  co_await s.judge.wait(ctx);
  Outcome outcome;
  outcome.latency = s.judge.latency();
  s.judge.report(ctx.policy_context(), kType, config_.judge);
  const core::Result<std::string>& answer = s.judge.answer();
  core::Result<RulesVerdict> verdict =
      answer ? parse_rules_verdict(*answer)
             : core::Result<RulesVerdict>(tl::unexpect, answer.error());
  if (verdict) {
    outcome.decision = verdict->decision;
    outcome.text = std::move(verdict->text);
    outcome.explanation = std::move(verdict->explanation);
  } else {
    outcome.error = verdict.error().message;
    outcome.decision = config_.judge.block_on_error ? RulesDecision::kBlock : RulesDecision::kPass;
    outcome.explanation = "the judge gave no verdict: " + outcome.error;
  }
  s.judge = JudgeCall();
  co_return outcome;
}

void LlmRules::record(StreamContext& ctx, const Outcome& outcome, std::string_view text) const {
  const char* action = outcome.decision == RulesDecision::kPass      ? "rules_passed"
                       : outcome.decision == RulesDecision::kRewrite ? "rules_rewrote"
                                                                     : "rules_blocked";
  json::object detail{{"scope", config_.whole_response ? "response" : "block"},
                      {"explanation", outcome.explanation},
                      {"judge_latency_ms", outcome.latency.count()},
                      {"text", shortened(text)}};
  if (outcome.decision == RulesDecision::kRewrite) detail["rewritten"] = shortened(outcome.text);
  if (!outcome.error.empty()) detail["error"] = outcome.error;
  ctx.policy_context().record({std::string(kType), action, std::move(detail)});
}

// What replaces the text: the judge's correction, or the message.
std::string LlmRules::blocked_text(const Outcome& outcome) const {
  if (outcome.decision == RulesDecision::kRewrite) return outcome.text;
  return render_template(config_.judge.message, {{"explanation", outcome.explanation}});
}

awaitable<void> LlmRules::on_chunk_received(StreamContext& ctx) {
  Stream& s = stream(ctx);
  if (config_.whole_response) {
    hold_response_event(ctx, s);
  } else {
    hold_block_event(ctx, s);
  }
  co_return;
}

// scope block: a text block's start and deltas (its stop is on_content_complete's).
void LlmRules::hold_block_event(StreamContext& ctx, Stream& s) const {
  if (ctx.current().is<core::BlockStart>()) {
    const core::Block* block = ctx.current_block();
    s.holding = block != nullptr && block->type == core::BlockType::kText;
    s.too_large = false;
    s.index = block != nullptr ? block->index : 0;
    if (!s.holding) return;
  } else if (!ctx.current().is<core::BlockDelta>() || !s.holding) {
    return;
  }
  if (s.too_large) {
    ctx.drop_current();
  } else if (!ctx.hold(s.index)) {
    // Fail closed: text that cannot be checked whole does not go out.
    ctx.discard_held(s.index);
    ctx.drop_current();
    s.too_large = true;
  }
}

awaitable<void> LlmRules::on_content_complete(StreamContext& ctx) {
  if (config_.whole_response) co_return;
  Stream& s = stream(ctx);
  const core::Block* block = ctx.completed_block();
  if (!s.holding || block == nullptr || block->index != s.index) co_return;
  s.holding = false;
  std::string text = block->text;
  Outcome outcome;
  if (s.too_large || block->overflow) {
    outcome = {RulesDecision::kBlock, "", kTooLarge, kTooLarge};
  } else if (core::trim(text).empty()) {
    ctx.release_held(s.index);  // nothing to check
    co_return;
  } else {
    auto judging = judge(ctx, s, text);
    outcome = co_await std::move(judging);
  }
  record(ctx, outcome, text);
  if (outcome.decision == RulesDecision::kPass) {
    ctx.release_held(s.index);  // byte for byte, then this stop
    co_return;
  }
  ctx.discard_held(s.index);
  ctx.drop_current();
  std::string replacement = blocked_text(outcome);
  // An empty text block is refused when the client sends the turn back.
  if (!replacement.empty()) emit_text(ctx, s.index, std::move(replacement));
}

// scope response: every event of every block.
void LlmRules::hold_response_event(StreamContext& ctx, Stream& s) const {
  const core::StreamEvent& event = ctx.current();
  std::int64_t index = 0;
  bool start = false;
  if (const auto* e = event.as<core::BlockStart>()) {
    index = e->index;
    start = true;
  } else if (const auto* d = event.as<core::BlockDelta>()) {
    index = d->index;
  } else if (const auto* stop = event.as<core::BlockStop>()) {
    index = stop->index;
  } else {
    return;  // message events go on
  }
  if (s.overflow) {
    ctx.drop_current();
    return;
  }
  if (start) {
    const core::Block* block = ctx.current_block();
    s.held.push_back({index, block != nullptr && block->type == core::BlockType::kText});
  }
  if (ctx.hold(index)) return;
  // Fail closed: a response that cannot be checked whole does not go out.
  for (const auto& held : s.held) ctx.discard_held(held.index);
  s.held.clear();
  ctx.drop_current();
  s.overflow = true;
}

awaitable<void> LlmRules::finish_response(StreamContext& ctx, Stream& s) const {
  if (s.finished) co_return;
  s.finished = true;
  if (s.overflow) {
    const Outcome outcome{RulesDecision::kBlock, "", kTooLarge, kTooLarge};
    record(ctx, outcome, "");
    emit_text(ctx, static_cast<std::int64_t>(ctx.blocks().size()), blocked_text(outcome));
    co_return;
  }
  std::string text;
  bool too_large = false;
  for (const auto& held : s.held) {
    const core::Block* block = held.text ? block_at(ctx, held.index) : nullptr;
    if (block == nullptr) continue;
    too_large = too_large || block->overflow;
    if (!text.empty()) text += "\n\n";
    text += block->text;
  }
  Outcome outcome;
  if (too_large) {
    outcome = {RulesDecision::kBlock, "", kTooLarge, kTooLarge};
  } else if (core::trim(text).empty()) {
    for (const auto& held : s.held) ctx.release_held(held.index);  // nothing to check
    s.held.clear();
    co_return;
  } else {
    auto judging = judge(ctx, s, text);
    outcome = co_await std::move(judging);
  }
  record(ctx, outcome, text);
  // In order: the other blocks as they came; the text blocks kept (pass), or
  // replaced by one block where the first of them was.
  bool replaced = false;
  for (const auto& held : s.held) {
    if (outcome.decision == RulesDecision::kPass || !held.text) {
      ctx.release_held(held.index);
      continue;
    }
    ctx.discard_held(held.index);
    if (std::exchange(replaced, true)) continue;
    std::string replacement = blocked_text(outcome);
    if (!replacement.empty()) emit_text(ctx, held.index, std::move(replacement));
  }
  s.held.clear();
}

awaitable<void> LlmRules::on_finish_reason(StreamContext& ctx) {
  // Emitted events go out before this message_delta.
  if (config_.whole_response) co_await finish_response(ctx, stream(ctx));
}

awaitable<void> LlmRules::on_stream_complete(StreamContext& ctx) {
  Stream& s = stream(ctx);
  if (!ctx.at_end()) {
    if (config_.whole_response) co_await finish_response(ctx, s);  // no stop_reason came
    co_return;
  }
  // Cut off: nothing held goes out; a judge still thinking is cancelled.
  if (s.holding) ctx.discard_held(s.index);
  for (const auto& held : s.held) ctx.discard_held(held.index);
  s.held.clear();
  s.holding = false;
  s.finished = true;
  s.judge = JudgeCall();
}

}  // namespace warden::policy
