#pragma once
// Logs every hook call with the event it runs for (name, block index, delta
// kind, the first 200 bytes of its text), to see what policies see. Changes
// nothing.
//
//   policy: { type: debug_logging, level: info }   # level: debug | info (default info)

#include <memory>
#include <string_view>

#include "config/options.hpp"
#include "observability/log.hpp"
#include "policy/policy.hpp"

namespace warden::policy {

class DebugLogging final : public Policy {
 public:
  static constexpr std::string_view kType = "debug_logging";
  static std::shared_ptr<Policy> create(const config::Options& spec);
  explicit DebugLogging(observability::LogLevel level) : level_(level) {}

  std::string_view name() const override { return kType; }
  awaitable<void> on_request(core::Request& request, PolicyContext& ctx) override;
  awaitable<void> on_response(boost::json::object& message, bool& modified,
                              PolicyContext& ctx) override;
  awaitable<void> on_chunk_received(StreamContext& ctx) override;
  awaitable<void> on_content_delta(StreamContext& ctx) override;
  awaitable<void> on_content_complete(StreamContext& ctx) override;
  awaitable<void> on_tool_call_delta(StreamContext& ctx) override;
  awaitable<void> on_tool_call_complete(StreamContext& ctx) override;
  awaitable<void> on_finish_reason(StreamContext& ctx) override;
  awaitable<void> on_stream_complete(StreamContext& ctx) override;

 private:
  void log_hook(std::string_view hook, StreamContext& ctx) const;

  const observability::LogLevel level_;
};

}  // namespace warden::policy
