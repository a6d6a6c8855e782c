#pragma once
// Where the policy meets a transaction (DESIGN.md, "The pipeline"): the
// request hook before the upstream call, then either the streaming stages
// (stream_pipeline.hpp: upstream → PolicyExecutor → formatter → client) or, for
// a whole answer, the same executor replaying the message through the same
// hooks. Every policy failure is closed: an error the client can read.

#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "config/config.hpp"
#include "core/result.hpp"
#include "pipeline/policy_executor.hpp"
#include "pipeline/stream_pipeline.hpp"
#include "policy/policy.hpp"

namespace warden::pipeline {

class PolicyOrchestrator final {
 public:
  PolicyOrchestrator(policy::Policy& policy, const config::StreamConfig& stream);

  // on_request; a throwing policy → kInternal naming it.
  boost::asio::awaitable<core::Result<void>> request(core::Request& request,
                                                     policy::PolicyContext& context) const;

  // A whole answer (Anthropic shape): what the client gets, or nullopt when
  // no policy changed it (the upstream's bytes then go out as they came).
  boost::asio::awaitable<core::Result<std::optional<boost::json::object>>> response(
      const boost::json::object& message, policy::PolicyContext& context) const;

  // A 200 event stream, through the pipeline stages.
  boost::asio::awaitable<StreamOutcome> stream(upstream::UpstreamCall& call,
                                               policy::PolicyContext& context,
                                               ClientStream& client, StreamSpec spec) const;

  // False when every policy is a no-op: nothing to run per event or answer.
  bool active() const { return active_; }

 private:
  policy::Policy& policy_;
  ExecutorLimits limits_;
  std::size_t channel_capacity_;
  bool validate_;
  bool active_;
};

}  // namespace warden::pipeline
