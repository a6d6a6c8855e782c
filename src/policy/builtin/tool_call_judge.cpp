#include "policy/builtin/tool_call_judge.hpp"

#include <chrono>
#include <cstdio>
#include <deque>
#include <optional>

#include <boost/json/serialize.hpp>

#include "core/json_util.hpp"
#include "policy/builtin/utf8.hpp"

namespace warden::policy {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxShownArguments = 2048;    // in the policy event and {tool_arguments}
constexpr std::size_t kMaxUserMessageBytes = 8192;  // of the context shown to the judge
constexpr std::size_t kMaxCacheKeyBytes = 64 * 1024;  // a bigger call is judged every time

const char* const kTooLarge = "its arguments are too large to inspect";

std::string shortened(std::string_view text) {
  std::string out(utf8_prefix(text, kMaxShownArguments));
  if (out.size() < text.size()) out += "…";
  return out;
}

std::string probability_text(std::optional<double> probability) {
  if (!probability) return "n/a";
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", *probability);
  return text;
}

// The text of the request's last user message that has any: a turn that only
// carries tool results says nothing new about what the user wants. Both
// dialects keep it in messages[].content, as a string or as text parts.
std::string last_user_text(const core::Request* request) {
  if (request == nullptr) return {};
  const json::value* messages = request->body.if_contains("messages");
  if (messages == nullptr || !messages->is_array()) return {};
  const json::array& list = messages->get_array();
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    if (!it->is_object() || core::string_at(it->get_object(), "role") != "user") continue;
    const json::value* content = it->get_object().if_contains("content");
    std::string text;
    if (content != nullptr && content->is_string()) {
      text = content->get_string();
    } else if (content != nullptr && content->is_array()) {
      for (const auto& part : content->get_array()) {
        if (!part.is_object() || core::string_at(part.get_object(), "type") != "text") continue;
        if (!text.empty()) text += "\n";
        text += core::string_at(part.get_object(), "text");
      }
    }
    if (!core::trim(text).empty()) return std::string(utf8_prefix(text, kMaxUserMessageBytes));
  }
  return {};
}

}  // namespace

struct ToolCallJudge::Verdict {
  bool judged = true;  // false: a tool the policy does not judge (nothing to record)
  bool blocked = false;
  std::optional<double> probability;  // none when the judge gave none
  std::string explanation;
  std::string error;
  bool cached = false;
  std::chrono::milliseconds latency{0};
};

// A tool call held until its verdict goes out.
struct ToolCallJudge::Call {
  std::int64_t index = 0;  // its block's, and its hold group
  bool judged = true;
  bool complete = false;   // its content_block_stop was seen
  bool too_large = false;  // could not be held whole: blocked without asking
  std::string tool;
  std::string id;
  std::string arguments;  // compact JSON, as the judge saw them
  std::string cache_key;  // "": the verdict is not cached
  std::optional<Verdict> verdict;
  JudgeCall judge;  // when asked; cancelled if the stream goes first
};

// Per stream. Destroying it (the stream ended or was aborted) destroys the
// calls' JudgeCalls, which cancels the judge calls still running.
struct ToolCallJudge::Stream {
  std::deque<Call> calls;  // held, in the stream's order

  // The held call whose block is `block`, still streaming.
  Call* open(const core::Block* block) {
    if (block == nullptr || calls.empty()) return nullptr;
    Call& last = calls.back();
    return !last.complete && last.index == block->index ? &last : nullptr;
  }
};

ToolCallJudge::ToolCallJudge(ToolCallJudgeConfig config)
    : config_(std::move(config)),
      cache_(config_.cache_entries > 0
                 ? std::make_unique<VerdictCache>(config_.cache_entries, config_.cache_ttl)
                 : nullptr) {}

bool ToolCallJudge::judges(std::string_view tool) const {
  for (const auto& glob : config_.tools) {
    if (glob.matches(tool)) return true;
  }
  return false;
}

std::string ToolCallJudge::prompt(std::string_view tool, std::string_view arguments,
                                  std::string_view user_message) const {
  std::string out = "Judge this tool call, which an AI assistant is about to make.\n\n";
  out += "Tool: " + std::string(tool) + "\n";
  out += "Arguments: " + std::string(arguments) + "\n";
  if (config_.with_user_message) {
    out += "Last user message: " +
           (user_message.empty() ? std::string("(none)") : std::string(user_message)) + "\n";
  }
  out +=
      "\nAnswer with JSON only: {\"probability\": <number from 0 to 1: how likely the call is "
      "harmful>, \"explanation\": \"<one sentence>\"}";
  return out;
}

ToolCallJudge::Stream& ToolCallJudge::stream(StreamContext& ctx) const {
  // A shared_ptr because the state slot must be copyable and the calls are not.
  auto& slot = ctx.state<std::shared_ptr<Stream>>();
  if (!slot) slot = std::make_shared<Stream>();
  return *slot;
}

awaitable<void> ToolCallJudge::on_chunk_received(StreamContext& ctx) {
  Stream& s = stream(ctx);
  if (ctx.current().is<core::BlockStart>()) {
    // Between blocks: the verdicts that are in go out before the new block.
    send_ready(ctx, s);
    const core::Block* block = ctx.current_block();
    if (block == nullptr || block->type != core::BlockType::kToolUse) co_return;
    const bool judged = judges(block->tool_name());
    if (!judged && s.calls.empty()) co_return;  // nothing before it to wait for: streams
    Call call;
    call.index = block->index;
    call.judged = judged;
    call.tool = block->tool_name();
    call.id = block->tool_id();
    if (!ctx.hold(call.index)) {
      if (!judged) co_return;  // streams on; only the calls' order is lost
      ctx.drop_current();
      call.too_large = true;
    }
    s.calls.push_back(std::move(call));
    co_return;
  }
  if (!ctx.current().is<core::BlockDelta>()) co_return;
  Call* call = s.open(ctx.current_block());
  if (call == nullptr) co_return;
  if (call->too_large) {
    ctx.drop_current();
  } else if (!ctx.hold(call->index)) {
    give_up_holding(ctx, s);
  }
}

// The open call (the last) went over the per-stream hold limit.
void ToolCallJudge::give_up_holding(StreamContext& ctx, Stream& s) const {
  Call& call = s.calls.back();
  if (!call.judged) {
    // Held only to keep the calls' order: it streams on from here instead.
    ctx.release_held(call.index);
    s.calls.pop_back();
    return;
  }
  // Fail closed: a call that cannot be seen whole is blocked, not judged.
  ctx.discard_held(call.index);
  ctx.drop_current();
  call.too_large = true;
}

awaitable<void> ToolCallJudge::on_tool_call_complete(StreamContext& ctx) {
  Stream& s = stream(ctx);
  const core::Block* block = ctx.completed_block();
  Call* call = s.open(block);
  if (call == nullptr) co_return;  // streamed unheld
  if (call->too_large) {
    ctx.drop_current();
  } else if (!ctx.hold(call->index)) {
    const bool judged = call->judged;
    give_up_holding(ctx, s);
    if (!judged) co_return;  // went out
  }
  co_await complete_call(ctx, *call, *block);
  send_ready(ctx, s);
}

// The call's input is complete: its verdict is known, or its judge asked.
awaitable<void> ToolCallJudge::complete_call(StreamContext& ctx, Call& call,
                                             const core::Block& block) const {
  call.complete = true;
  if (!call.judged) {
    call.verdict = Verdict{.judged = false};
    co_return;
  }
  const json::value input = block.tool_input();
  // Unparsable input is shown as it came: the judge can still read it.
  call.arguments = input.is_null() ? block.text : json::serialize(input);
  if (call.too_large || block.overflow) {
    call.too_large = true;
    call.verdict = Verdict{.blocked = true, .explanation = kTooLarge, .error = kTooLarge};
    co_return;
  }
  const std::string user =
      config_.with_user_message ? last_user_text(ctx.policy_context().request) : "";
  if (cache_) {
    std::string key = call.tool + '\0' + call.arguments + '\0' + user;
    if (key.size() <= kMaxCacheKeyBytes) {
      if (const auto hit = cache_->find(key)) {
        call.verdict = Verdict{.blocked = hit->probability >= config_.threshold,
                               .probability = hit->probability,
                               .explanation = hit->explanation,
                               .cached = true};
        co_return;
      }
      call.cache_key = std::move(key);
    }
  }
  // Named first: GCC 12 and temporaries in a co_await expression (STYLE.md 9).
  ModelRequest request = config_.judge.request(prompt(call.tool, call.arguments, user));
  auto starting = JudgeCall::start(config_.judge.client, std::move(request));
  call.judge = co_await std::move(starting);
}

// The verdict of a call whose judge answered.
ToolCallJudge::Verdict ToolCallJudge::decide(Call& call) const {
  Verdict verdict;
  verdict.latency = call.judge.latency();
  const core::Result<std::string>& answer = call.judge.answer();
  core::Result<RiskVerdict> risk = answer ? parse_risk_verdict(*answer)
                                          : core::Result<RiskVerdict>(tl::unexpect, answer.error());
  if (risk) {
    if (!call.cache_key.empty()) cache_->insert(call.cache_key, *risk);
    verdict.blocked = risk->probability >= config_.threshold;
    verdict.probability = risk->probability;
    verdict.explanation = std::move(risk->explanation);
    return verdict;
  }
  verdict.error = risk.error().message;
  verdict.blocked = config_.judge.block_on_error;
  verdict.explanation = "the judge gave no verdict: " + verdict.error;
  return verdict;
}

// The call goes out as it came, or as the text saying why it did not.
void ToolCallJudge::send(StreamContext& ctx, Call& call) const {
  if (!call.verdict) {
    call.judge.report(ctx.policy_context(), kType, config_.judge);
    call.verdict = decide(call);
  }
  const Verdict& verdict = *call.verdict;
  const std::string arguments = shortened(call.arguments);
  if (verdict.judged) {
    json::object detail{{"tool", call.tool},
                        {"id", call.id},
                        {"arguments", arguments},
                        {"probability", verdict.probability ? json::value(*verdict.probability)
                                                            : json::value(nullptr)},
                        {"explanation", verdict.explanation},
                        {"judge_latency_ms", verdict.latency.count()},
                        {"blocked", verdict.blocked},
                        {"cached", verdict.cached}};
    if (!verdict.error.empty()) detail["error"] = verdict.error;
    ctx.policy_context().record({std::string(kType),
                                 verdict.blocked ? "blocked_tool_call" : "allowed_tool_call",
                                 std::move(detail)});
  }
  if (!verdict.blocked) {
    ctx.release_held(call.index);  // byte for byte
    return;
  }
  ctx.discard_held(call.index);
  emit_text(ctx, call.index,
            render_template(config_.judge.message,
                            {{"tool_name", call.tool},
                             {"explanation", verdict.explanation},
                             {"probability", probability_text(verdict.probability)},
                             {"tool_arguments", arguments}}));
}

// Sends the leading calls whose verdicts are in, in order, without waiting.
void ToolCallJudge::send_ready(StreamContext& ctx, Stream& s) const {
  while (!s.calls.empty()) {
    Call& call = s.calls.front();
    if (!call.complete || (!call.verdict && !call.judge.done())) break;
    send(ctx, call);
    s.calls.pop_front();
  }
}

// Sends every call, in order, waiting for the verdicts still out.
awaitable<void> ToolCallJudge::send_all(StreamContext& ctx, Stream& s) const {
  for (Call& call : s.calls) {
    if (!call.complete) {  // the stream ended inside it: nothing valid to send
      ctx.discard_held(call.index);
      continue;
    }
    if (!call.verdict && !call.judge.done()) co_await call.judge.wait(ctx);
    send(ctx, call);
  }
  s.calls.clear();
}

awaitable<void> ToolCallJudge::on_finish_reason(StreamContext& ctx) {
  // Emitted events go out before this message_delta.
  co_await send_all(ctx, stream(ctx));
}

awaitable<void> ToolCallJudge::on_stream_complete(StreamContext& ctx) {
  Stream& s = stream(ctx);
  if (!ctx.at_end()) {
    co_await send_all(ctx, s);  // message_stop without a stop_reason
    co_return;
  }
  // Cut off: the client gets an unfinished stream; nothing held goes out, and
  // the judges still thinking are cancelled (their JudgeCalls go).
  for (const Call& call : s.calls) ctx.discard_held(call.index);
  s.calls.clear();
}

}  // namespace warden::policy
