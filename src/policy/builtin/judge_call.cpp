#include "policy/builtin/judge_call.hpp"

#include <cmath>
#include <cstdio>
#include <exception>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "observability/log.hpp"
#include "observability/metrics.hpp"

namespace warden::policy {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using core::ErrorKind;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Under the once-a-second keepalive the executor's monitor expects.
constexpr std::chrono::milliseconds kKeepaliveSlice{250};

}  // namespace

std::string seconds_text(std::chrono::milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", static_cast<double>(ms.count()) / 1000.0);
  return text;
}

ModelRequest JudgeSettings::request(std::string user) const {
  ModelRequest out;
  out.system = instructions;
  out.user = std::move(user);
  out.temperature = temperature;
  out.max_tokens = max_tokens;
  out.timeout = timeout;
  return out;
}

JudgeSettings read_judge_settings(const config::Options& spec, const PolicyDeps& deps,
                                  const JudgeDefaults& defaults) {
  JudgeSettings out;
  if (!spec.has("provider")) spec["provider"].fail("required: the name of a configured provider");
  out.provider = spec["provider"].text();
  if (!spec.has("model")) spec["model"].fail("required: the judge's model");
  out.model = spec["model"].text();
  if (out.model.empty()) spec["model"].fail("must not be empty");
  out.temperature = spec.number("temperature", 0, 0, 2);
  out.max_tokens =
      static_cast<std::int64_t>(spec.count("max_tokens", defaults.max_tokens, 1, 1'000'000));
  const double timeout = spec.number("timeout_seconds", defaults.timeout_seconds, 0.001, 3600);
  out.timeout = std::chrono::milliseconds(std::max<long long>(1, std::llround(timeout * 1000)));
  const std::string on_error = spec.text("on_error", "block");
  if (on_error != "block" && on_error != "allow") {
    spec["on_error"].fail("expected block or allow, got '" + on_error + "'");
  }
  out.block_on_error = on_error == "block";
  out.instructions = spec.text("instructions", defaults.instructions);
  out.message = spec.text("message", defaults.message);
  if (deps.model_client) out.client = deps.model_client(out.provider, out.model);
  if (!out.client) spec["provider"].fail("no provider named '" + out.provider + "'");
  return out;
}

// Shared by the JudgeCall (the stream's side) and the coroutine asking.
struct JudgeCall::State {
  explicit State(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;            // a waiter sleeps on it; the answer cancels it
  asio::cancellation_signal cancel;   // bound to the coroutine
  bool running = true;                // the coroutine's frame exists
  std::optional<core::Result<std::string>> answer;
  std::chrono::milliseconds latency{0};
  std::int64_t started_us = 0;  // wall clock, for the trace
};

namespace {

// Marks the call finished however its frame goes: completed, or destroyed
// with its io_context; a signal must not reach a destroyed operation.
struct RunningGuard {
  bool& running;
  ~RunningGuard() { running = false; }
};

}  // namespace

asio::awaitable<JudgeCall> JudgeCall::start(std::shared_ptr<ModelClient> client,
                                            ModelRequest request) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto state = std::make_shared<State>(executor);
  asio::cancellation_slot slot = state->cancel.slot();
  asio::co_spawn(executor, ask(std::move(client), std::move(request), state),
                 asio::bind_cancellation_slot(slot, [](std::exception_ptr error) {
                   if (!error) return;
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     observability::log(observability::LogLevel::kError, "judge call failed",
                                        {{"error", e.what()}});
                   }
                 }));
  co_return JudgeCall(std::move(state));
}

// Named, by-value parameters (STYLE.md 9): this coroutine outlives the hook
// that spawned it.
asio::awaitable<void> JudgeCall::ask(std::shared_ptr<ModelClient> client, ModelRequest request,
                                     std::shared_ptr<State> state) {
  RunningGuard guard{state->running};
  const auto started = std::chrono::steady_clock::now();
  state->started_us = now_us();
  const auto timeout = request.timeout;
  std::optional<core::Result<std::string>> answer;
  try {
    // The policy's own deadline too: whatever client it was given, a judge
    // call never takes longer than timeout_seconds.
    asio::steady_timer deadline(co_await asio::this_coro::executor, timeout);
    auto asking = client->complete(std::move(request));  // named: GCC 12 (STYLE.md 9)
    auto expiring = deadline.async_wait(asio::use_awaitable);
    auto first = co_await (std::move(asking) || std::move(expiring));
    if (first.index() == 0) {
      answer = std::move(std::get<0>(first));
    } else {
      answer = core::fail(ErrorKind::kTimeout,
                          "the judge did not answer within " + seconds_text(timeout));
    }
  } catch (const std::exception& e) {  // cancelled, or a client that throws
    answer = core::fail(ErrorKind::kUpstreamFailed, std::string("the judge call failed: ") + e.what());
  }
  state->latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  state->answer = std::move(answer);
  state->wake.cancel();
}

JudgeCall::~JudgeCall() { cancel(); }

JudgeCall& JudgeCall::operator=(JudgeCall&& other) noexcept {
  if (this != &other) {
    cancel();
    state_ = std::move(other.state_);
  }
  return *this;
}

void JudgeCall::cancel() {
  if (state_ && state_->running && !state_->answer) {
    state_->cancel.emit(asio::cancellation_type::terminal);
  }
}

bool JudgeCall::done() const { return state_ && state_->answer.has_value(); }

asio::awaitable<void> JudgeCall::wait(StreamContext& ctx) {
  while (!state_->answer) {
    ctx.keepalive();
    state_->wake.expires_after(kKeepaliveSlice);
    // Woken early by the answer (operation_aborted). If this hook itself is
    // cancelled, the next co_await throws and ends the loop.
    co_await state_->wake.async_wait(kNoThrow);
  }
  ctx.keepalive();
}

const core::Result<std::string>& JudgeCall::answer() const { return *state_->answer; }

std::chrono::milliseconds JudgeCall::latency() const { return state_->latency; }

void JudgeCall::report(PolicyContext& ctx, std::string_view policy,
                       const JudgeSettings& judge) const {
  if (!done()) return;
  const auto& result = *state_->answer;
  observability::metrics().judge_call(judge.provider, judge.model,
                                      static_cast<double>(state_->latency.count()) / 1000.0,
                                      result.has_value());
  if (!ctx.tracing) return;
  WorkSpan span{"judge " + judge.model, state_->started_us,
                state_->started_us + state_->latency.count() * 1000,
                {{"warden.policy", policy},
                 {"gen_ai.system", judge.provider},
                 {"gen_ai.request.model", judge.model}},
                !result.has_value()};
  if (!result) span.attributes["error.message"] = result.error().message;
  ctx.spans.push_back(std::move(span));
}

void emit_text(StreamContext& ctx, std::int64_t index, std::string text) {
  core::StreamEvent start{core::BlockStart{index, {{"type", "text"}, {"text", ""}}}, {}, true};
  ctx.emit(std::move(start));
  ctx.emit(text_delta_event(index, std::move(text)));
  core::StreamEvent stop{core::BlockStop{index}, {}, true};
  ctx.emit(std::move(stop));
}

}  // namespace warden::policy
