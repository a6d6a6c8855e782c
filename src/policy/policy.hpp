#pragma once
// The policy API (DESIGN.md, "Policies"). A Policy object is shared by every
// transaction and may be called from several threads at once: per-transaction
// state lives in the contexts, never in the policy.
//
// Streaming hooks run per event, in this order, after the event has been added
// to the assembled state (so `current_block()` includes the current delta):
//   on_chunk_received            every event
//   on_content_delta             text_delta
//   on_tool_call_delta           input_json_delta of a tool_use block
//   on_content_complete          content_block_stop of any block but tool_use
//   on_tool_call_complete        content_block_stop of a tool_use block (input complete)
//   on_finish_reason             message_delta carrying a stop_reason
//   on_stream_complete           message_stop, before it goes out; or, when the
//                                upstream ended without one, once at the end
//
// Forwarding rule: after the hooks for an event, what `emit` queued goes out
// first, in order, then the current event — unless a hook dropped or held it.
// Replacing an event = modify it in place (set `modified`), or drop + emit.
// Whatever a policy emits, the stream builder after it keeps the client's
// grammar valid (pipeline/stream_builder.hpp), so a policy never needs to
// renumber blocks or fix the stop reason itself.
//
// Non-streaming responses run through the same hooks: the whole message is
// replayed as the events a stream of it would carry (one delta per block), so a
// policy written once behaves the same both ways. `on_response` then sees the
// whole message as the client will get it, for policies that need all of it.

#include <any>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "core/message_assembly.hpp"
#include "core/request.hpp"
#include "core/stream_event.hpp"

namespace warden::policy {

template <class T>
using awaitable = boost::asio::awaitable<T>;

// Something a policy did that operators should see ("tool call blocked"); kept
// with the transaction and logged.
struct PolicyEvent {
  std::string policy;
  std::string action;          // "blocked_tool_call", "replaced_text", …
  boost::json::object detail;  // tool, arguments, pattern, …
  std::int64_t at_us = 0;      // wall clock, set by record()
};

// A piece of work worth a trace span: a judge call, a policy stage that acted.
struct WorkSpan {
  std::string name;
  std::int64_t start_us = 0;  // wall clock, µs since the Unix epoch
  std::int64_t end_us = 0;
  boost::json::object attributes;
  bool error = false;
};

// What a policy sees of one transaction. One transaction runs on one thread,
// so nothing here needs a lock.
struct PolicyContext {
  std::string transaction_id;
  core::Request* request = nullptr;
  std::map<std::string, std::any, std::less<>> scratchpad;  // per transaction, per policy key
  std::vector<PolicyEvent> events;
  // Filled only when `tracing`: the recorder turns them into child spans.
  bool tracing = false;
  std::vector<WorkSpan> spans;
  // Told of each event as it is recorded (the live view, metrics); may be empty.
  std::function<void(const PolicyEvent&)> on_event;

  // Records and logs a policy event.
  void record(PolicyEvent event);
};

// Wall clock in µs since the Unix epoch, as records and spans keep time.
std::int64_t now_us();

// The streaming state a hook works on (one per policy per stream).
class StreamContext {
 public:
  StreamContext(PolicyContext& policy_context, const core::MessageAssembly& assembly,
                std::size_t max_held_bytes)
      : policy_context_(policy_context), assembly_(assembly), max_held_bytes_(max_held_bytes) {}

  PolicyContext& policy_context() { return policy_context_; }
  const core::Request& request() const { return *policy_context_.request; }

  // The stream as this policy received it so far.
  const core::MessageAssembly& assembled() const { return assembly_; }
  const std::vector<core::Block>& blocks() const { return assembly_.blocks(); }
  const core::Block* current_block() const { return assembly_.current(); }
  // The block the current content_block_stop closed; null for other events.
  const core::Block* completed_block() const {
    return current_->is<core::BlockStop>() ? assembly_.last_completed() : nullptr;
  }
  std::string_view finish_reason() const { return assembly_.stop_reason(); }

  // The event the hooks run for. At the end of a stream without message_stop it
  // is a placeholder ping and `at_end()` is true.
  core::StreamEvent& current() { return *current_; }
  bool at_end() const { return at_end_; }

  // Queues an event to go out before the current one. An event without raw
  // bytes is marked modified, so formatters encode it.
  void emit(core::StreamEvent event);
  // Queues a whole text block (start, one delta, stop).
  void emit_text_block(std::string text);
  // The current event does not go out.
  void drop_current() { disposition_ = Disposition::kDropped; }
  // The current event does not go out now: it is kept, in order, until
  // `release_held()` emits or `discard_held()` forgets the held events. False
  // (and nothing held) when that would keep more than the per-stream limit of
  // bytes: the event is then still the current one and goes out unless
  // dropped, and what was held before stays held (discard it to fail closed).
  // A held event has moved: later hooks for it must use the assembled state
  // (`current_block()`, `completed_block()`), not `current()`.
  // `group` keeps several runs of held events apart (e.g. one per tool call,
  // by block index); the byte limit counts them all.
  bool hold(std::int64_t group = 0);
  void release_held(std::int64_t group = 0);
  void discard_held(std::int64_t group = 0);
  std::size_t held_count(std::int64_t group = 0) const;

  // Long work (a judge call) calls this so the timeout monitor does not fire.
  void keepalive() { ++progress_; }

  // Per-policy, per-stream state of type T, created empty on first use.
  template <class T>
  T& state() {
    std::any& slot = state_[std::type_index(typeid(T))];
    if (!slot.has_value()) slot.emplace<T>();
    return *std::any_cast<T>(&slot);
  }

  // --- used by the PolicyExecutor ---
  enum class Disposition { kForward, kDropped, kHeld };
  void begin_event(core::StreamEvent& event, bool at_end = false);
  Disposition disposition() const { return disposition_; }
  std::vector<core::StreamEvent>& emitted() { return emitted_; }
  bool discarded() const { return discarded_; }  // an event went away for good this time
  std::uint64_t progress() const { return progress_; }

 private:
  PolicyContext& policy_context_;
  const core::MessageAssembly& assembly_;
  std::size_t max_held_bytes_;
  core::StreamEvent* current_ = nullptr;
  bool at_end_ = false;
  Disposition disposition_ = Disposition::kForward;
  bool discarded_ = false;
  std::vector<core::StreamEvent> emitted_;
  struct Held {
    std::vector<core::StreamEvent> events;
    std::size_t bytes = 0;
  };
  std::map<std::int64_t, Held> held_;
  std::size_t held_bytes_ = 0;  // all groups
  std::uint64_t progress_ = 0;
  std::map<std::type_index, std::any> state_;
};

// The streaming hooks as bits, for Policy::overrides().
enum StreamHook : unsigned {
  kOnChunkReceived = 1u << 0,
  kOnContentDelta = 1u << 1,
  kOnContentComplete = 1u << 2,
  kOnToolCallDelta = 1u << 3,
  kOnToolCallComplete = 1u << 4,
  kOnFinishReason = 1u << 5,
  kOnStreamComplete = 1u << 6,
};

class Policy {
 public:
  virtual ~Policy() = default;
  // The configured type ("tool_filter"), used in logs and error messages.
  virtual std::string_view name() const = 0;

  virtual awaitable<void> on_request(core::Request& request, PolicyContext& ctx);
  // Non-streaming, after the streaming hooks: the whole message (Anthropic
  // shape); set `modified` when changing it.
  virtual awaitable<void> on_response(boost::json::object& message, bool& modified,
                                      PolicyContext& ctx);

  virtual awaitable<void> on_chunk_received(StreamContext& ctx);
  virtual awaitable<void> on_content_delta(StreamContext& ctx);
  virtual awaitable<void> on_content_complete(StreamContext& ctx);
  virtual awaitable<void> on_tool_call_delta(StreamContext& ctx);
  virtual awaitable<void> on_tool_call_complete(StreamContext& ctx);
  virtual awaitable<void> on_finish_reason(StreamContext& ctx);
  virtual awaitable<void> on_stream_complete(StreamContext& ctx);

  // The policies a stream runs through, in order: itself, or a chain's members
  // (flattened), without no-ops.
  virtual void stages(std::vector<Policy*>& out) { out.push_back(this); }

  // False once this policy's `hook` turned out to be the default (empty)
  // one: the executor then stops calling it, sparing a coroutine per event
  // (the base hooks record it when they run; nothing else calls them).
  bool overrides(StreamHook hook) const {
    return (defaults_.load(std::memory_order_relaxed) & hook) == 0;
  }

 protected:
  void note_default(StreamHook hook) const {
    defaults_.fetch_or(hook, std::memory_order_relaxed);
  }

 private:
  mutable std::atomic<unsigned> defaults_{0};
};

// Forwards everything unchanged.
class NoopPolicy final : public Policy {
 public:
  static constexpr std::string_view kType = "noop";
  std::string_view name() const override { return kType; }
  void stages(std::vector<Policy*>&) override {}
};

// Several policies in series: each sees what the previous one let through.
class ChainPolicy final : public Policy {
 public:
  static constexpr std::string_view kType = "chain";
  explicit ChainPolicy(std::vector<std::shared_ptr<Policy>> members)
      : members_(std::move(members)) {}
  std::string_view name() const override { return kType; }
  const std::vector<std::shared_ptr<Policy>>& members() const { return members_; }

  awaitable<void> on_request(core::Request& request, PolicyContext& ctx) override;
  awaitable<void> on_response(boost::json::object& message, bool& modified,
                              PolicyContext& ctx) override;
  void stages(std::vector<Policy*>& out) override;

 private:
  std::vector<std::shared_ptr<Policy>> members_;
};

// A text delta event for `index` (helper for policies that emit content).
core::StreamEvent text_delta_event(std::int64_t index, std::string text);

}  // namespace warden::policy
