#pragma once
// The policy API (DESIGN.md, "Policies"). A Policy object is shared by every
// transaction and may be called from several threads at once: per-transaction
// state lives in the contexts, never in the policy.

#include <any>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/request.hpp"
#include "core/stream_event.hpp"

namespace warden::policy {

template <class T>
using awaitable = boost::asio::awaitable<T>;

// What a policy sees of one transaction.
struct PolicyContext {
  std::string transaction_id;
  core::Request* request = nullptr;
  std::map<std::string, std::any, std::less<>> scratchpad;  // per transaction, per policy key
};

// The streaming state a hook works on.
//
// Forwarding rule: after the hooks ran for an event, the PolicyExecutor sends
// what `emit` queued (in order) followed by the current event, unless a hook
// called `drop_current()`. Replacing an event = `drop_current()` + `emit(new)`.
class StreamContext {
 public:
  explicit StreamContext(PolicyContext& policy_context) : policy_context_(policy_context) {}

  PolicyContext& policy_context() { return policy_context_; }
  core::StreamEvent& current() { return *current_; }

  void emit(core::StreamEvent event) { emitted_.push_back(std::move(event)); }
  void drop_current() { drop_current_ = true; }
  // Long work (a judge call) calls this so the timeout monitor does not fire.
  void keepalive() { ++keepalive_count_; }

  // Used by the PolicyExecutor between events.
  void begin_event(core::StreamEvent& event) {
    current_ = &event;
    drop_current_ = false;
  }
  std::vector<core::StreamEvent>& emitted() { return emitted_; }
  bool current_dropped() const { return drop_current_; }
  std::uint64_t keepalive_count() const { return keepalive_count_; }

 private:
  PolicyContext& policy_context_;
  core::StreamEvent* current_ = nullptr;
  std::vector<core::StreamEvent> emitted_;
  bool drop_current_ = false;
  std::uint64_t keepalive_count_ = 0;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view name() const = 0;

  virtual awaitable<void> on_request(core::Request& request, PolicyContext& ctx);
  // Non-streaming response body (JSON object); set `modified` when changing it.
  virtual awaitable<void> on_response(boost::json::object& response, bool& modified,
                                      PolicyContext& ctx);
  // Streaming hooks, called by the PolicyExecutor.
  virtual awaitable<void> on_chunk_received(StreamContext& ctx);
  virtual awaitable<void> on_finish_reason(StreamContext& ctx);
  virtual awaitable<void> on_stream_complete(StreamContext& ctx);
};

// Forwards everything unchanged.
class NoopPolicy final : public Policy {
 public:
  static constexpr std::string_view kType = "noop";
  std::string_view name() const override { return kType; }
};

// Builds the policy named by `type` ("noop" for now). Throws std::invalid_argument
// naming the type when it is unknown.
std::shared_ptr<Policy> make_policy(std::string_view type);

}  // namespace warden::policy
