#pragma once
// The PolicyExecutor stage: runs the policy's streaming hooks on each event and
// forwards what the StreamContext says (policy.hpp, forwarding rule). A policy
// that throws fails closed: the client gets an error event naming the policy.

#include <boost/asio/awaitable.hpp>

#include "pipeline/event_channel.hpp"
#include "policy/policy.hpp"

namespace warden::pipeline {

class PolicyExecutor final {
 public:
  PolicyExecutor(policy::Policy& policy, policy::PolicyContext& context)
      : policy_(policy), stream_context_(context) {}

  // Receives from `in` until its end marker, sends to `out`, then sends the end
  // marker on. Returns early (without the marker) if either channel is closed.
  boost::asio::awaitable<void> run(EventChannel& in, EventChannel& out);

 private:
  boost::asio::awaitable<void> run_hooks(core::StreamEvent& event);

  policy::Policy& policy_;
  policy::StreamContext stream_context_;
};

}  // namespace warden::pipeline
