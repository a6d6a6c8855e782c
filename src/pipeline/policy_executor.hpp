#pragma once
// The PolicyExecutor stage (DESIGN.md, "The pipeline"): per policy of the
// chain, it assembles blocks from the events it receives, calls the hooks at
// the right moments (policy.hpp), applies the forwarding rule, and puts a
// StreamBuilder behind the policy so the next policy — and in the end the
// client — always sees a valid stream. No-op policies cost nothing: with no
// stage the executor is the builder alone.
//
// Failure is closed: a hook that throws, or that makes no progress (and calls
// no keepalive()) for the policy timeout, ends the stream with an error event
// naming the policy; nothing it had not checked goes out.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "pipeline/event_channel.hpp"
#include "pipeline/stream_builder.hpp"
#include "policy/policy.hpp"

namespace warden::pipeline {

struct ExecutorLimits {
  std::chrono::milliseconds policy_timeout{60'000};
  std::size_t max_buffer_bytes = 16 << 20;  // per policy: assembled content, and held events
};

class PolicyExecutor final {
 public:
  PolicyExecutor(policy::Policy& policy, policy::PolicyContext& context, ExecutorLimits limits);
  ~PolicyExecutor();
  PolicyExecutor(const PolicyExecutor&) = delete;
  PolicyExecutor& operator=(const PolicyExecutor&) = delete;

  // The streaming stage: receives from `in` until its end marker, sends to
  // `out`, then sends the end marker on. Returns early (without the marker)
  // if either channel is closed.
  boost::asio::awaitable<void> run(EventChannel& in, EventChannel& out);

  // No stages (no-ops only): the stream needs only the builder, which the
  // upstream reader then applies itself with build(), sparing a stage.
  bool builder_only() const { return stages_.empty(); }
  void build(EventBatch& batch, bool end, EventBatch& out);

  // A whole message (Anthropic shape) through the same hooks, then on_response.
  // Returns the message the client gets, or nullopt when nothing changed it.
  // A failing policy is an error (kInternal) naming it.
  boost::asio::awaitable<core::Result<std::optional<boost::json::object>>> run_whole(
      const boost::json::object& message);

 public:
  struct Stage;

 private:

  // One event (end = the input ended) through every stage; results appended to `out`.
  boost::asio::awaitable<void> process(core::StreamEvent* event, std::vector<core::StreamEvent>& out);
  unsigned begin_event(Stage& stage, core::StreamEvent& event);
  boost::asio::awaitable<void> end_stage(Stage& stage);
  boost::asio::awaitable<void> call_hooks(Stage& stage, unsigned bits);
  boost::asio::awaitable<void> pump(EventChannel& in, EventChannel& out,
                                    std::optional<std::string>& failure, bool& aborted);
  boost::asio::awaitable<void> replay(const boost::json::object& message,
                                      std::optional<boost::json::object>& result,
                                      std::optional<std::string>& failure);
  // Completes when a busy hook made no progress for the policy timeout.
  boost::asio::awaitable<void> watch_progress();
  std::uint64_t progress() const;
  std::string stalled_message() const;

  policy::PolicyContext& context_;
  ExecutorLimits limits_;
  std::vector<std::unique_ptr<Stage>> stages_;  // none: no-ops only
  StreamBuilder builder_;                        // used when there are no stages
  std::vector<core::StreamEvent> input_;
  const policy::Policy* busy_ = nullptr;  // the policy whose hook is running
  const policy::Policy* failed_policy_ = nullptr;
  policy::Policy& policy_;
};

}  // namespace warden::pipeline
