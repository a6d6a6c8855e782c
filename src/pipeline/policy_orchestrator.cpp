#include "pipeline/policy_orchestrator.hpp"

#include <exception>

#include "observability/log.hpp"

namespace warden::pipeline {

namespace asio = boost::asio;
namespace json = boost::json;

PolicyOrchestrator::PolicyOrchestrator(policy::Policy& policy, const config::StreamConfig& stream)
    : policy_(policy),
      limits_{std::chrono::milliseconds(
                  static_cast<std::int64_t>(stream.policy_timeout_seconds * 1000)),
              stream.max_buffer_bytes},
      channel_capacity_(stream.channel_capacity),
      validate_(stream.validate) {
  std::vector<policy::Policy*> stages;
  policy.stages(stages);
  active_ = !stages.empty();
}

asio::awaitable<core::Result<void>> PolicyOrchestrator::request(
    core::Request& request, policy::PolicyContext& context) const {
  std::optional<std::string> failure;
  try {
    co_await policy_.on_request(request, context);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (failure) {
    observability::log(observability::LogLevel::kError, "policy failed",
                       {{"transaction", context.transaction_id},
                        {"policy", policy_.name()},
                        {"error", *failure}});
    co_return core::fail(core::ErrorKind::kInternal,
                         "Warden policy '" + std::string(policy_.name()) + "' failed: " + *failure);
  }
  co_return core::Result<void>{};
}

asio::awaitable<core::Result<std::optional<json::object>>> PolicyOrchestrator::response(
    const json::object& message, policy::PolicyContext& context) const {
  PolicyExecutor executor(policy_, context, limits_);
  co_return co_await executor.run_whole(message);
}

asio::awaitable<StreamOutcome> PolicyOrchestrator::stream(upstream::UpstreamCall& call,
                                                          policy::PolicyContext& context,
                                                          ClientStream& client,
                                                          StreamSpec spec) const {
  spec.channel_capacity = channel_capacity_;
  spec.limits = limits_;
  spec.validate = validate_;
  co_return co_await run_stream(call, policy_, context, client, spec);
}

}  // namespace warden::pipeline
