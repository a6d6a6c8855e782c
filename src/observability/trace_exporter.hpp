#pragma once
// Sends finished spans to an OTLP/HTTP collector as JSON, in batches, from its own thread.
//
// Example:
//   if (!config.otlp_endpoint.empty()) {
//     exporter = std::make_unique<TraceExporter>(config.otlp_endpoint, "warden");
//   }
//   exporter->submit(std::move(spans));  // from any thread; never blocks
//   exporter->stop(std::chrono::seconds(2));

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "observability/trace.hpp"

namespace warden::observability {

namespace detail {
struct OtlpTarget;  // the parsed endpoint and its TLS context (trace_exporter.cpp)
}

struct TraceExporterOptions {
  std::size_t max_queue_spans = 8192;  // spans waiting to be sent; beyond this submit() drops
  std::size_t max_batch = 512;         // spans per POST
  std::chrono::milliseconds flush_interval{2000};  // a partial batch waits at most this long
  std::chrono::milliseconds timeout{5000};         // one POST: connect, TLS, write, read
};

class TraceExporter final {
 public:
  // `endpoint_url` is the full URL, e.g. http://127.0.0.1:4318/v1/traces; https verifies the
  // collector's certificate against the system CAs. Throws std::invalid_argument for a URL
  // that is not http(s)://host[:port]/path or a zero option. Starts the sending thread.
  TraceExporter(std::string endpoint_url, std::string service_name,
                TraceExporterOptions options = {});
  ~TraceExporter();  // stop() with its default deadline, unless already stopped
  TraceExporter(const TraceExporter&) = delete;
  TraceExporter& operator=(const TraceExporter&) = delete;

  // Queues the spans of one unit of work, all or none: when they do not fit (or after stop())
  // they are dropped and counted in metrics().spans_dropped. Thread-safe, never blocks on I/O.
  void submit(std::vector<Span> spans);

  // Sends what was accepted until `deadline` has passed, drops (and counts) the rest, and
  // joins the thread. A POST in flight is abandoned at the deadline, except that a DNS lookup
  // cannot be interrupted. Idempotent; call from one thread.
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds(5));

 private:
  using Clock = std::chrono::steady_clock;

  void run();
  // One POST; on failure the batch is dropped and counted.
  void send(const std::vector<Span>& batch, Clock::time_point deadline);
  Clock::time_point stop_deadline();
  // Counts in metrics() and logs at most once a minute, with the count since the last line.
  void note_dropped(std::size_t spans, const std::string& why);

  const std::string endpoint_url_;
  const std::string service_name_;
  const TraceExporterOptions options_;
  const std::unique_ptr<detail::OtlpTarget> target_;  // used by the sending thread only

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Span> queue_;
  bool stopping_ = false;
  Clock::time_point stop_deadline_ = Clock::time_point::max();
  Clock::time_point last_drop_log_{};
  std::uint64_t drops_since_log_ = 0;

  std::thread thread_;
};

}  // namespace warden::observability
