#pragma once
// Test support: build upstream streams, run them through the PolicyExecutor
// the way the pipeline does (real channels on an io_context), and encode and
// validate what a client would receive, in either dialect.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/stream_event.hpp"
#include "pipeline/policy_executor.hpp"
#include "policy/policy.hpp"

namespace warden::testing {

// An Anthropic SSE stream, written the way the API writes it.
class AnthropicStream {
 public:
  explicit AnthropicStream(std::string model = "claude-test");
  AnthropicStream& text(std::string_view text, int pieces = 1);
  AnthropicStream& tool(std::string_view name, const boost::json::object& input, int pieces = 1,
                        std::string id = "");
  AnthropicStream& thinking(std::string_view text, int pieces = 1);
  AnthropicStream& ping();
  // Ends with message_delta(stop_reason) and message_stop; "" = tool_use when a
  // tool was written, else end_turn.
  std::string finish(std::string stop_reason = "");
  // Without message_delta/message_stop (a cut stream).
  std::string unfinished() const { return sse_; }

 private:
  void event(std::string_view name, const boost::json::object& data);
  std::string sse_;
  int index_ = 0;
  bool has_tool_ = false;
};

// Upstream bytes → the core events the pipeline's decoders make.
std::vector<core::StreamEvent> decode_anthropic(std::string_view sse);
std::vector<core::StreamEvent> decode_openai(std::string_view sse, std::string model = "gpt-test");
std::string read_data_file(std::string_view relative);  // tests/data/<relative>

// Runs `events` through a PolicyExecutor for `policy`, streaming, and returns
// what it sent on (without the end marker).
std::vector<core::StreamEvent> run_policy(policy::Policy& policy,
                                          std::vector<core::StreamEvent> events,
                                          pipeline::ExecutorLimits limits = {},
                                          policy::PolicyContext* context = nullptr);

// A whole message through PolicyExecutor::run_whole (the non-streaming path).
core::Result<std::optional<boost::json::object>> run_whole(policy::Policy& policy,
                                                           const boost::json::object& message,
                                                           pipeline::ExecutorLimits limits = {});

// Encodes events as a client of each dialect receives them (`passthrough`:
// the upstream spoke that dialect too), including the formatter's ending.
std::string to_anthropic_sse(const std::vector<core::StreamEvent>& events, bool passthrough = true);
std::string to_openai_sse(const std::vector<core::StreamEvent>& events, bool passthrough = false,
                          bool include_usage = false);

// Grammar violations of a client stream, "" when valid.
std::string anthropic_violations(std::string_view sse);
std::string openai_violations(std::string_view sse);

// "message_start", "content_block_start(0,text)", "delta(0,text:Hi)", … for assertions.
std::vector<std::string> describe(const std::vector<core::StreamEvent>& events);

}  // namespace warden::testing
