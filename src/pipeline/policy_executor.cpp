#include "pipeline/policy_executor.hpp"

#include <cstdio>
#include <exception>
#include <limits>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "observability/log.hpp"

namespace warden::pipeline {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

asio::awaitable<bool> send(EventChannel& out, EventBatch& batch) {
  const boost::system::error_code ok;
  auto [ec] = co_await out.async_send(ok, std::move(batch), kNoThrow);
  batch.clear();  // moved from: make it a valid empty batch again
  co_return !ec;
}

// Whether what a batch produced so far goes out before `event` is processed:
// a block's end, the finish reason and the message's end are where policies
// deliberate (a judge call), and text already checked must not wait for that.
bool flush_before(const core::StreamEvent& event) {
  return event.is<core::BlockStop>() || event.is<core::MessageDelta>() ||
         event.is<core::MessageStop>();
}

// The hook an event calls after on_chunk_received (decided before the hooks
// run: a hook may move the event away with hold()).
enum class Hook { kNone, kContentDelta, kToolCallDelta, kBlockComplete, kFinishReason, kStreamComplete };

Hook hook_for(const core::StreamEvent& event, const core::MessageAssembly& assembly) {
  if (const auto* delta = event.as<core::BlockDelta>()) {
    if (delta->kind == core::DeltaKind::kText) return Hook::kContentDelta;
    const core::Block* block = assembly.current();
    if (delta->kind == core::DeltaKind::kInputJson && block != nullptr &&
        block->type == core::BlockType::kToolUse) {
      return Hook::kToolCallDelta;
    }
    return Hook::kNone;
  }
  if (event.is<core::BlockStop>()) return Hook::kBlockComplete;
  if (const auto* delta = event.as<core::MessageDelta>()) {
    return core::stop_reason(*delta).empty() ? Hook::kNone : Hook::kFinishReason;
  }
  if (event.is<core::MessageStop>()) return Hook::kStreamComplete;
  return Hook::kNone;
}

std::string failure_message(const policy::Policy* policy, std::string_view what) {
  return "Warden policy '" + std::string(policy != nullptr ? policy->name() : "?") + "' " +
         std::string(what);
}

std::string seconds(std::chrono::milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", static_cast<double>(ms.count()) / 1000.0);
  return text;
}

}  // namespace

struct PolicyExecutor::Stage {
  Stage(policy::Policy* p, policy::PolicyContext& context, std::size_t max_bytes)
      : policy(p), assembly(max_bytes), ctx(context, assembly, max_bytes) {}

  policy::Policy* policy;
  core::MessageAssembly assembly;
  policy::StreamContext ctx;
  StreamBuilder builder;
  std::vector<core::StreamEvent> out;
  bool intervened = false;  // the policy changed, emitted, dropped or held something
  bool completed = false;   // on_stream_complete ran
  // For the trace (context.tracing): when the hooks ran, and for how long.
  std::int64_t first_us = 0;
  std::int64_t last_us = 0;
  std::chrono::nanoseconds busy{0};
  std::uint64_t calls = 0;
};

// Times the hooks of one event when the transaction is traced.
class HookTimer {
 public:
  HookTimer(PolicyExecutor::Stage& stage, bool tracing) : stage_(tracing ? &stage : nullptr) {
    if (stage_ != nullptr) start_ = std::chrono::steady_clock::now();
  }
  ~HookTimer() {
    if (stage_ == nullptr) return;
    stage_->busy += std::chrono::steady_clock::now() - start_;
    stage_->last_us = policy::now_us();
    if (stage_->calls++ == 0) {
      stage_->first_us = stage_->last_us - std::chrono::duration_cast<std::chrono::microseconds>(
                                               stage_->busy).count();
    }
  }

 private:
  PolicyExecutor::Stage* stage_;
  std::chrono::steady_clock::time_point start_;
};

PolicyExecutor::PolicyExecutor(policy::Policy& policy, policy::PolicyContext& context,
                               ExecutorLimits limits)
    : context_(context), limits_(limits), policy_(policy) {
  std::vector<policy::Policy*> chain;
  policy.stages(chain);
  for (auto* p : chain) {
    stages_.push_back(std::make_unique<Stage>(p, context, limits.max_buffer_bytes));
  }
}

// One span per policy that acted, over the time its hooks ran.
PolicyExecutor::~PolicyExecutor() {
  if (!context_.tracing) return;
  for (const auto& stage : stages_) {
    const std::string_view name = stage->policy->name();
    const bool recorded = std::any_of(context_.events.begin(), context_.events.end(),
                                      [&](const auto& e) { return e.policy == name; });
    if (stage->calls == 0 || (!stage->intervened && !recorded)) continue;
    context_.spans.push_back(
        {"policy " + std::string(name), stage->first_us, stage->last_us,
         {{"warden.policy", name},
          {"warden.policy.hook_calls", stage->calls},
          {"warden.policy.busy_us",
           std::chrono::duration_cast<std::chrono::microseconds>(stage->busy).count()},
          {"warden.policy.changed_output", stage->intervened}}});
  }
}

std::uint64_t PolicyExecutor::progress() const {
  std::uint64_t sum = 0;
  for (const auto& stage : stages_) sum += stage->ctx.progress();
  return sum;
}

// The hook's bit for `hook` (0 for none); a completed block's depends on its type.
unsigned hook_bit(Hook hook, const policy::StreamContext& ctx) {
  switch (hook) {
    case Hook::kNone:
      return 0;
    case Hook::kContentDelta:
      return policy::kOnContentDelta;
    case Hook::kToolCallDelta:
      return policy::kOnToolCallDelta;
    case Hook::kBlockComplete: {
      const core::Block* block = ctx.completed_block();
      if (block == nullptr) return 0;
      return block->type == core::BlockType::kToolUse ? policy::kOnToolCallComplete
                                                      : policy::kOnContentComplete;
    }
    case Hook::kFinishReason:
      return policy::kOnFinishReason;
    case Hook::kStreamComplete:
      return policy::kOnStreamComplete;
  }
  return 0;
}

// Calls the hooks `bits` names: on_chunk_received, then the event's own.
asio::awaitable<void> PolicyExecutor::call_hooks(Stage& stage, unsigned bits) {
  policy::Policy& p = *stage.policy;
  policy::StreamContext& ctx = stage.ctx;
  busy_ = &p;
  if (bits & policy::kOnChunkReceived) co_await p.on_chunk_received(ctx);
  switch (bits & ~unsigned{policy::kOnChunkReceived}) {
    case policy::kOnContentDelta:
      co_await p.on_content_delta(ctx);
      break;
    case policy::kOnToolCallDelta:
      co_await p.on_tool_call_delta(ctx);
      break;
    case policy::kOnToolCallComplete:
      co_await p.on_tool_call_complete(ctx);
      break;
    case policy::kOnContentComplete:
      co_await p.on_content_complete(ctx);
      break;
    case policy::kOnFinishReason:
      co_await p.on_finish_reason(ctx);
      break;
    case policy::kOnStreamComplete:
      co_await p.on_stream_complete(ctx);
      break;
    default:
      break;
  }
  busy_ = nullptr;
}

// Emitted events first, then the current one unless dropped or held.
void forward_outcome(StreamBuilder& builder, policy::StreamContext& ctx, core::StreamEvent* event,
                     std::vector<core::StreamEvent>& out, bool& intervened) {
  // An intervention is what changes the output: a new or changed event, a
  // dropped or discarded one. Holding and releasing unchanged events is not.
  auto& emitted = ctx.emitted();
  for (auto& e : emitted) {
    if (e.modified) intervened = true;
    builder.push(std::move(e), out);
  }
  emitted.clear();
  using Disposition = policy::StreamContext::Disposition;
  if (event != nullptr && ctx.disposition() == Disposition::kForward) {
    if (event->modified) intervened = true;
    builder.push(std::move(*event), out);
  } else if (event != nullptr && ctx.disposition() == Disposition::kDropped) {
    intervened = true;
    builder.note_discard();
  }
  if (ctx.discarded()) {
    intervened = true;
    builder.note_discard();
  }
}

// What a stage does with an event before its hooks, and which hooks (bits)
// it then calls: 0 when the policy overrides none of them, and the event
// costs no coroutine (for all_caps, only text deltas call a hook).
unsigned PolicyExecutor::begin_event(Stage& stage, core::StreamEvent& event) {
  stage.assembly.apply(event);
  stage.ctx.begin_event(event);
  const Hook hook = hook_for(event, stage.assembly);
  if (hook == Hook::kStreamComplete) stage.completed = true;
  const policy::Policy& p = *stage.policy;
  unsigned bits = p.overrides(policy::kOnChunkReceived) ? unsigned{policy::kOnChunkReceived} : 0u;
  const unsigned bit = hook_bit(hook, stage.ctx);
  if (bit != 0 && p.overrides(static_cast<policy::StreamHook>(bit))) bits |= bit;
  return bits;
}

asio::awaitable<void> PolicyExecutor::end_stage(Stage& stage) {
  if (!stage.completed) {
    stage.completed = true;
    core::StreamEvent placeholder{core::Ping{}, {}, false};
    stage.ctx.begin_event(placeholder, true);
    const HookTimer timer(stage, context_.tracing);
    busy_ = stage.policy;
    co_await stage.policy->on_stream_complete(stage.ctx);
    busy_ = nullptr;
    forward_outcome(stage.builder, stage.ctx, nullptr, stage.out, stage.intervened);
  }
  stage.builder.finish();
}

asio::awaitable<void> PolicyExecutor::process(core::StreamEvent* event,
                                              std::vector<core::StreamEvent>& out) {
  input_.clear();
  if (event != nullptr) input_.push_back(std::move(*event));
  std::vector<core::StreamEvent>* in = &input_;
  for (auto& stage : stages_) {
    stage->out.clear();
    for (auto& e : *in) {
      if (const unsigned bits = begin_event(*stage, e); bits != 0) {
        const HookTimer timer(*stage, context_.tracing);
        co_await call_hooks(*stage, bits);
      }
      forward_outcome(stage->builder, stage->ctx, &e, stage->out, stage->intervened);
    }
    if (event == nullptr) co_await end_stage(*stage);
    in = &stage->out;
  }
  for (auto& e : *in) out.push_back(std::move(e));
}

std::string PolicyExecutor::stalled_message() const {
  return failure_message(failed_policy_,
                         "made no progress for " + seconds(limits_.policy_timeout));
}

asio::awaitable<void> PolicyExecutor::watch_progress() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto tick = std::max(limits_.policy_timeout / 4, std::chrono::milliseconds(1));
  std::uint64_t last = progress();
  int still = 0;
  while (true) {
    timer.expires_after(tick);
    auto [ec] = co_await timer.async_wait(kNoThrow);
    if (ec) co_return;  // cancelled: the work finished first
    const std::uint64_t now = progress();
    if (busy_ == nullptr || now != last) {
      last = now;
      still = 0;
    } else if (++still >= 4) {
      failed_policy_ = busy_;
      co_return;
    }
  }
}

void PolicyExecutor::build(EventBatch& batch, bool end, EventBatch& out) {
  for (auto& e : batch) builder_.push(std::move(e), out);
  if (end) builder_.finish();
}

// Receives, runs and sends until the end marker; stops at a failure (kept in
// `failure`) or when a channel is closed (`aborted`). A batch in makes one
// batch out, split only where flush_before() says.
asio::awaitable<void> PolicyExecutor::pump(EventChannel& in, EventChannel& out,
                                           std::optional<std::string>& failure, bool& aborted) {
  EventBatch result;
  while (true) {
    auto [ec, batch] = co_await in.async_receive(kNoThrow);
    const bool end = ec == asio::error::eof;
    if (ec && !end) {
      aborted = true;
      co_return;
    }
    if (stages_.empty()) {  // no-ops only: the builder alone, no coroutine per event
      build(batch, end, result);
    } else {
      try {
        for (auto& e : batch) {
          if (flush_before(e) && !result.empty()) {
            const bool sent = co_await send(out, result);
            if (!sent) {
              aborted = true;
              co_return;
            }
          }
          co_await process(&e, result);
        }
        if (end) co_await process(nullptr, result);
      } catch (const std::exception& e) {
        failure = failure_message(busy_, std::string("failed: ") + e.what());
      }
      if (failure) {  // what the policies passed before the failure still goes out
        if (!result.empty()) co_await send(out, result);
        co_return;
      }
    }
    if (!result.empty()) {
      const bool sent = co_await send(out, result);
      if (!sent) {
        aborted = true;
        co_return;
      }
    }
    if (end) co_return;
  }
}

asio::awaitable<void> PolicyExecutor::run(EventChannel& in, EventChannel& out) {
  std::optional<std::string> failure;
  bool aborted = false;
  if (stages_.empty()) {
    co_await pump(in, out, failure, aborted);
  } else {
    auto first = co_await (pump(in, out, failure, aborted) || watch_progress());
    if (first.index() == 1) failure = stalled_message();
  }
  if (aborted) co_return;
  if (failure) {
    observability::log(observability::LogLevel::kError, "policy failed",
                       {{"transaction", context_.transaction_id}, {"error", *failure}});
    EventBatch error = batch_of({core::StreamError{"api_error", *failure}, {}, true});
    const bool sent = co_await send(out, error);
    if (!sent) co_return;
  }
  const boost::system::error_code end = asio::error::eof;
  EventBatch marker;
  co_await out.async_send(end, std::move(marker), kNoThrow);
  // After a failure nobody reads the rest: closing the input stops the reader
  // (and so the upstream read) instead of leaving it blocked on a full channel.
  if (failure) close_channel(in);
}

// The non-streaming path: the message as events through every stage, then
// on_response; `result` is set when something changed it.
asio::awaitable<void> PolicyExecutor::replay(const json::object& message,
                                             std::optional<json::object>& result,
                                             std::optional<std::string>& failure) {
  std::vector<core::StreamEvent> events = core::message_to_events(message);
  std::vector<core::StreamEvent> out;
  try {
    for (auto& e : events) co_await process(&e, out);
    co_await process(nullptr, out);
    bool changed = false;
    for (const auto& stage : stages_) changed = changed || stage->intervened || stage->builder.changed();
    for (const auto& e : out) {
      if (const auto* error = e.as<core::StreamError>()) {
        failure = error->message;
        co_return;
      }
    }
    json::object whole;
    if (changed) {
      core::MessageAssembly assembly(std::numeric_limits<std::size_t>::max());
      for (const auto& e : out) assembly.apply(e);
      whole = assembly.to_json();
    } else {
      whole = message;
    }
    busy_ = &policy_;
    bool modified = changed;
    co_await policy_.on_response(whole, modified, context_);
    busy_ = nullptr;
    if (modified) result = std::move(whole);
  } catch (const std::exception& e) {
    failure = failure_message(busy_, std::string("failed: ") + e.what());
  }
}

asio::awaitable<core::Result<std::optional<json::object>>> PolicyExecutor::run_whole(
    const json::object& message) {
  if (stages_.empty()) co_return std::nullopt;  // no-ops only
  std::optional<std::string> failure;
  std::optional<json::object> result;
  auto first = co_await (replay(message, result, failure) || watch_progress());
  if (first.index() == 1) failure = stalled_message();
  if (failure) {
    observability::log(observability::LogLevel::kError, "policy failed",
                       {{"transaction", context_.transaction_id}, {"error", *failure}});
    co_return core::fail(core::ErrorKind::kInternal, *failure);
  }
  co_return result;
}

}  // namespace warden::pipeline
