#pragma once
// A streamed response through the pipeline stages of DESIGN.md:
//
//   upstream bytes → SSE parser → Anthropic event decode ─ingress channel─▶
//   PolicyExecutor ─egress channel─▶ ClientFormatter → client
//
// Each stage is a coroutine on the connection's executor; the channels are
// bounded, so a slow client slows the upstream read instead of growing memory.
// A client that goes away cancels the upstream request.

#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "pipeline/policy_executor.hpp"
#include "policy/policy.hpp"
#include "upstream/upstream_client.hpp"

namespace warden::pipeline {

// The client side of a stream, implemented by server/. Headers are already sent.
class ClientStream {
 public:
  virtual ~ClientStream() = default;
  // Writes bytes to the client; false when the client is gone. `last` ends
  // the response body in the same write (one syscall fewer per stream).
  virtual boost::asio::awaitable<bool> write(std::string_view bytes, bool last) = 0;
  // Completes with true when the client disconnects; false when cancelled.
  virtual boost::asio::awaitable<bool> wait_disconnect() = 0;
  // The last failed write failed because the client read nothing for the
  // configured time (the backpressure circuit breaker).
  virtual bool stalled() const { return false; }
};

// The dialects on each side decide the decoder and the formatter: the same on
// both sides means lossless passthrough of untouched events; different means
// translation (PROTOCOLS.md 4.7, 4.8).
struct StreamSpec {
  core::Dialect upstream = core::Dialect::kAnthropic;
  core::Dialect client = core::Dialect::kAnthropic;
  std::string client_model;    // the model name the client asked for
  bool include_usage = false;  // OpenAI clients: stream_options.include_usage
  std::size_t channel_capacity = 64;
  ExecutorLimits limits;
  bool validate = false;  // check the bytes sent against the client's grammar; log violations
};

struct StreamOutcome {
  bool completed = false;    // the client got message_stop
  bool body_ended = false;   // the last write ended the response body
  bool client_gone = false;  // the client went away first
  std::string error;         // why the stream ended early, if it did
};

boost::asio::awaitable<StreamOutcome> run_stream(upstream::UpstreamCall& call,
                                                 policy::Policy& policy,
                                                 policy::PolicyContext& context,
                                                 ClientStream& client, const StreamSpec& spec);

}  // namespace warden::pipeline
