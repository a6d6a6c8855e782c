#pragma once
// Prometheus metrics: a registry of Warden's counters, gauges and histograms, rendered for
// `GET /metrics` in text exposition format 0.0.4.
//
// Thread-safe; every method may be called from any thread. Plain counters and the gauge are
// atomics; a labelled family takes a short mutex per update.
//
// Example:
//   observability::metrics().request_finished({.endpoint = "messages", .dialect = "anthropic",
//                                             .model = request.model, .status = 200,
//                                             .stream = true, .upstream_latency = 1.2});
//   observability::metrics().policy_action("tool_filter", "block");

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace warden::observability {

// One answered request. Durations are in seconds; an absent one is not observed.
struct RequestSample {
  std::string_view endpoint{};  // a route name from the server, never the raw target
  std::string_view dialect{};   // "anthropic" | "openai"
  std::string_view model{};     // as the client sent it: guarded, see Metrics
  int status = 0;
  bool stream = false;
  std::optional<double> upstream_latency{};
  std::optional<double> gateway_overhead{};
  std::optional<double> time_to_first_byte{};
};

class Metrics final {
 public:
  // At most this many distinct `model` label values; later ones (and any longer than
  // kMaxModelLabelBytes or not UTF-8) are counted as model="other", since clients choose it.
  static constexpr std::size_t kMaxModelLabels = 200;
  static constexpr std::size_t kMaxModelLabelBytes = 128;

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // warden_requests_total{endpoint,dialect,model,status,stream} and the three latency
  // histograms (label dialect).
  void request_finished(const RequestSample& sample);

  // warden_active_streams: call once each per client stream.
  void stream_opened();
  void stream_closed();

  // warden_policy_actions_total{policy,action}.
  void policy_action(std::string_view policy, std::string_view action);

  // warden_judge_latency_seconds{provider,model}; a failed call also counts in
  // warden_judge_errors_total{provider,model}.
  void judge_call(std::string_view provider, std::string_view model, double seconds, bool ok);

  void records_written(std::uint64_t n = 1);  // warden_records_written_total
  void records_dropped(std::uint64_t n = 1);  // warden_records_dropped_total
  void events_dropped(std::uint64_t n = 1);   // warden_live_events_dropped_total
  void spans_dropped(std::uint64_t n = 1);    // warden_trace_spans_dropped_total

  // Every family with # HELP and # TYPE, samples sorted by label values.
  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The process-wide registry that `GET /metrics` renders.
Metrics& metrics();

}  // namespace warden::observability
