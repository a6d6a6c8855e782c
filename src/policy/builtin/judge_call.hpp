#pragma once
// What the judge policies (tool_call_judge, llm_rules) share: their common
// options, and one call to the judge model run beside the stream.
//
// A JudgeCall runs as its own coroutine on the stream's executor, so a hook
// can start several and return at once; `wait` awaits one while telling the
// timeout monitor the policy is alive. The JudgeCall object owns its call:
// when it goes (the stream ended, or was aborted and its state destroyed) an
// unfinished call is cancelled, so nobody pays for an answer no one reads.
//
//   provider: judge           # required: a configured provider
//   model: claude-haiku-4-5   # required
//   temperature: 0
//   max_tokens: 256
//   timeout_seconds: 10       # per judge call
//   on_error: block           # block | allow: what a failed judge call does
//   instructions: "..."       # the system prompt
//   message: "..."            # the text that replaces what was blocked

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "config/options.hpp"
#include "core/result.hpp"
#include "policy/builtin/message_template.hpp"
#include "policy/model_client.hpp"
#include "policy/policy.hpp"
#include "policy/registry.hpp"

namespace warden::policy {

struct JudgeSettings {
  std::shared_ptr<ModelClient> client;
  std::string provider;
  std::string model;
  std::string instructions;
  std::string message;
  double temperature = 0;
  std::int64_t max_tokens = 256;
  std::chrono::milliseconds timeout{10'000};
  bool block_on_error = true;

  ModelRequest request(std::string user) const;
};

struct JudgeDefaults {
  std::int64_t max_tokens;
  double timeout_seconds;
  std::string_view instructions;
  std::string_view message;
};

// Reads the keys above from `spec` (the policy checks allow_keys itself).
// Throws config::ConfigError naming the key; an unknown provider fails on
// `provider`: "no provider named 'x'".
JudgeSettings read_judge_settings(const config::Options& spec, const PolicyDeps& deps,
                                  const JudgeDefaults& defaults);

class JudgeCall final {
 public:
  JudgeCall() = default;  // no call
  ~JudgeCall();           // cancels an unfinished call
  JudgeCall(JudgeCall&&) noexcept = default;
  JudgeCall& operator=(JudgeCall&& other) noexcept;

  // Starts asking; returns at once. Must be awaited on the stream's executor:
  // the call runs there too, so its state needs no lock.
  static awaitable<JudgeCall> start(std::shared_ptr<ModelClient> client, ModelRequest request);

  bool started() const { return state_ != nullptr; }
  bool done() const;
  // Until done, calling ctx.keepalive() at least every second.
  awaitable<void> wait(StreamContext& ctx);
  // After done: the model's text, or why there is none (kTimeout after the
  // request's timeout, whatever the client does).
  const core::Result<std::string>& answer() const;
  std::chrono::milliseconds latency() const;
  void cancel();
  // After done: counts the call in metrics, and adds it to the transaction's
  // trace when tracing.
  void report(PolicyContext& ctx, std::string_view policy, const JudgeSettings& judge) const;

 private:
  struct State;
  explicit JudgeCall(std::shared_ptr<State> state) : state_(std::move(state)) {}
  static awaitable<void> ask(std::shared_ptr<ModelClient> client, ModelRequest request,
                             std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// Emits a whole text block at `index` (the builder renumbers it).
void emit_text(StreamContext& ctx, std::int64_t index, std::string text);

// "0.3 s", "10 s"
std::string seconds_text(std::chrono::milliseconds ms);

}  // namespace warden::policy
