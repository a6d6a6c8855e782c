#include "observability/metrics.hpp"

#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <map>
#include <mutex>
#include <span>
#include <unordered_set>
#include <vector>

namespace warden::observability {
namespace {

// Gateway overhead is microseconds when all is well; the upper buckets catch a stalled policy.
constexpr std::array<double, 13> kOverheadBuckets{5e-5, 1e-4,   2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
                                                  1e-2, 2.5e-2, 5e-2,   0.1,  0.25, 1.0};
// Upstream and judge calls: a fast first token up to a long generation.
constexpr std::array<double, 13> kLatencyBuckets{0.01, 0.025, 0.05, 0.1,  0.25, 0.5,  1.0,
                                                 2.5,  5.0,   10.0, 30.0, 60.0, 120.0};

using Labels = std::vector<std::string>;
using LabelNames = std::vector<std::string_view>;

std::string format_double(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip
  return std::string(buf, result.ptr);
}

void append_escaped(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

// {a="x",b="y"[,le="…"]}; nothing at all when there are no labels.
void append_labels(std::string& out, const LabelNames& names, const Labels& values,
                   std::string_view le = {}) {
  if (names.empty() && le.empty()) return;
  out.push_back('{');
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(names[i]).append("=\"");
    append_escaped(out, values[i]);
    out.push_back('"');
  }
  if (!le.empty()) {
    if (!names.empty()) out.push_back(',');
    out.append("le=\"").append(le).push_back('"');
  }
  out.push_back('}');
}

void append_header(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// Structural UTF-8 check (no overlongs, no surrogates): the exposition format is UTF-8.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
    } else {
      return false;
    }
    cp = c & (0x7F >> len);  // the lead byte's payload bits
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

class CounterFamily {
 public:
  CounterFamily(std::string_view name, std::string_view help, LabelNames labels)
      : name_(name), help_(help), label_names_(std::move(labels)) {}

  void add(Labels labels, std::uint64_t n) {
    std::lock_guard lock(mu_);
    values_[std::move(labels)] += n;
  }

  void render(std::string& out) const {
    append_header(out, name_, help_, "counter");
    std::lock_guard lock(mu_);
    for (const auto& [labels, value] : values_) {
      out.append(name_);
      append_labels(out, label_names_, labels);
      out.append(" ").append(std::to_string(value)).append("\n");
    }
  }

 private:
  const std::string_view name_, help_;
  const LabelNames label_names_;
  mutable std::mutex mu_;
  std::map<Labels, std::uint64_t> values_;
};

class HistogramFamily {
 public:
  HistogramFamily(std::string_view name, std::string_view help, LabelNames labels,
                  std::span<const double> bounds)
      : name_(name), help_(help), label_names_(std::move(labels)), bounds_(bounds) {
    for (const double b : bounds_) bound_text_.push_back(format_double(b));
  }

  void observe(Labels labels, double value) {
    if (!std::isfinite(value) || value < 0) return;  // a clock hiccup must not poison _sum
    std::size_t bucket = 0;
    while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;  // le is inclusive
    std::lock_guard lock(mu_);
    Series& series = series_[std::move(labels)];
    if (series.counts.empty()) series.counts.resize(bounds_.size() + 1);
    ++series.counts[bucket];
    series.sum += value;
  }

  void render(std::string& out) const {
    append_header(out, name_, help_, "histogram");
    std::lock_guard lock(mu_);
    for (const auto& [labels, series] : series_) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        cumulative += series.counts[i];
        out.append(name_).append("_bucket");
        append_labels(out, label_names_, labels, i < bounds_.size() ? bound_text_[i] : "+Inf");
        out.append(" ").append(std::to_string(cumulative)).append("\n");
      }
      out.append(name_).append("_sum");
      append_labels(out, label_names_, labels);
      out.append(" ").append(format_double(series.sum)).append("\n");
      out.append(name_).append("_count");
      append_labels(out, label_names_, labels);
      out.append(" ").append(std::to_string(cumulative)).append("\n");
    }
  }

 private:
  struct Series {
    std::vector<std::uint64_t> counts;  // per bucket, not cumulative; last is +Inf
    double sum = 0;
  };
  const std::string_view name_, help_;
  const LabelNames label_names_;
  const std::span<const double> bounds_;
  std::vector<std::string> bound_text_;
  mutable std::mutex mu_;
  std::map<Labels, Series> series_;
};

struct PlainCounter {
  std::string_view name, help;
  std::atomic<std::uint64_t> value{0};

  void render(std::string& out) const {
    append_header(out, name, help, "counter");
    out.append(name).append(" ").append(std::to_string(value.load())).append("\n");
  }
};

// The first kMaxModelLabels well-formed names keep their own series; the rest share "other".
class ModelGuard {
 public:
  std::string label(std::string_view model) {
    if (model.size() > Metrics::kMaxModelLabelBytes || !valid_utf8(model)) return "other";
    std::string name(model);
    std::lock_guard lock(mu_);
    if (seen_.contains(name)) return name;
    if (seen_.size() >= Metrics::kMaxModelLabels) return "other";
    seen_.insert(name);
    return name;
  }

 private:
  std::mutex mu_;
  std::unordered_set<std::string> seen_;
};

}  // namespace

struct Metrics::Impl {
  ModelGuard models;
  CounterFamily requests{"warden_requests_total",
                         "Requests answered.",
                         {"endpoint", "dialect", "model", "status", "stream"}};
  std::atomic<std::int64_t> active_streams{0};
  HistogramFamily upstream_latency{"warden_upstream_latency_seconds",
                                   "Time from sending the upstream request to its last byte.",
                                   {"dialect"},
                                   kLatencyBuckets};
  HistogramFamily gateway_overhead{"warden_gateway_overhead_seconds",
                                   "Time Warden itself added to a request.",
                                   {"dialect"},
                                   kOverheadBuckets};
  HistogramFamily time_to_first_byte{"warden_time_to_first_byte_seconds",
                                     "Time from the client request to the first response byte.",
                                     {"dialect"},
                                     kLatencyBuckets};
  CounterFamily policy_actions{"warden_policy_actions_total",
                               "Actions policies took, such as block or rewrite.",
                               {"policy", "action"}};
  HistogramFamily judge_latency{"warden_judge_latency_seconds",
                                "Duration of judge model calls.",
                                {"provider", "model"},
                                kLatencyBuckets};
  CounterFamily judge_errors{
      "warden_judge_errors_total", "Judge model calls that failed.", {"provider", "model"}};
  PlainCounter records_written{"warden_records_written_total",
                               "Transaction records written to storage."};
  PlainCounter records_dropped{"warden_records_dropped_total",
                               "Transaction records dropped because the writer was behind."};
  PlainCounter events_dropped{"warden_live_events_dropped_total",
                              "Live events dropped because a subscriber was behind."};
  PlainCounter spans_dropped{"warden_trace_spans_dropped_total",
                             "Trace spans dropped: queue full or export failed."};
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::request_finished(const RequestSample& sample) {
  const std::string dialect(sample.dialect);
  impl_->requests.add({std::string(sample.endpoint), dialect, impl_->models.label(sample.model),
                       std::to_string(sample.status), sample.stream ? "true" : "false"},
                      1);
  if (sample.upstream_latency) impl_->upstream_latency.observe({dialect}, *sample.upstream_latency);
  if (sample.gateway_overhead) impl_->gateway_overhead.observe({dialect}, *sample.gateway_overhead);
  if (sample.time_to_first_byte) {
    impl_->time_to_first_byte.observe({dialect}, *sample.time_to_first_byte);
  }
}

void Metrics::stream_opened() { impl_->active_streams.fetch_add(1, std::memory_order_relaxed); }
void Metrics::stream_closed() { impl_->active_streams.fetch_sub(1, std::memory_order_relaxed); }

void Metrics::policy_action(std::string_view policy, std::string_view action) {
  impl_->policy_actions.add({std::string(policy), std::string(action)}, 1);
}

void Metrics::judge_call(std::string_view provider, std::string_view model, double seconds,
                         bool ok) {
  Labels labels{std::string(provider), std::string(model)};
  if (!ok) impl_->judge_errors.add(labels, 1);
  impl_->judge_latency.observe(std::move(labels), seconds);
}

void Metrics::records_written(std::uint64_t n) { impl_->records_written.value += n; }
void Metrics::records_dropped(std::uint64_t n) { impl_->records_dropped.value += n; }
void Metrics::events_dropped(std::uint64_t n) { impl_->events_dropped.value += n; }
void Metrics::spans_dropped(std::uint64_t n) { impl_->spans_dropped.value += n; }

std::string Metrics::render() const {
  std::string out;
  out.reserve(16 * 1024);
  impl_->requests.render(out);
  append_header(out, "warden_active_streams", "Client streams open now.", "gauge");
  out.append("warden_active_streams ")
      .append(std::to_string(impl_->active_streams.load()))
      .append("\n");
  impl_->upstream_latency.render(out);
  impl_->gateway_overhead.render(out);
  impl_->time_to_first_byte.render(out);
  impl_->policy_actions.render(out);
  impl_->judge_latency.render(out);
  impl_->judge_errors.render(out);
  impl_->records_written.render(out);
  impl_->records_dropped.render(out);
  impl_->events_dropped.render(out);
  impl_->spans_dropped.render(out);
  return out;
}

Metrics& metrics() {
  static Metrics instance;
  return instance;
}

}  // namespace warden::observability
