#include "observability/metrics.hpp"

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace warden::observability {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  // family → counter | gauge | histogram
  std::set<std::string> helps;
  std::vector<std::string> errors;  // empty when the text is valid format 0.0.4

  // The value of the one sample named `name` whose labels include `labels`; NaN if none.
  double value(const std::string& name,
               const std::map<std::string, std::string>& labels = {}) const {
    double found = std::nan("");
    int matches = 0;
    for (const Sample& s : samples) {
      if (s.name != name) continue;
      bool all = true;
      for (const auto& [k, v] : labels) all = all && s.labels.count(k) && s.labels.at(k) == v;
      if (all) {
        found = s.value;
        ++matches;
      }
    }
    return matches == 1 ? found : std::nan("");
  }
};

bool is_name(const std::string& s, bool allow_colon) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (const char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (allow_colon && c == ':'))) {
      return false;
    }
  }
  return true;
}

bool parse_value(const std::string& text, double& out) {
  if (text == "+Inf" || text == "-Inf" || text == "NaN") {
    out = text == "NaN" ? NAN : text[0] == '+' ? INFINITY : -INFINITY;
    return true;
  }
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

// The family a sample belongs to, given the TYPE lines seen so far.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  if (types.count(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      if (types.count(base) && types.at(base) == "histogram") return base;
    }
  }
  return "";
}

// A strict reader of text exposition format 0.0.4, for what Warden emits.
Exposition parse(const std::string& text) {
  Exposition out;
  if (text.empty() || text.back() != '\n') out.errors.push_back("does not end with a newline");
  std::string current_family;
  std::set<std::string> finished;
  std::size_t start = 0;
  for (int line_no = 1; start < text.size(); ++line_no) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    const std::string where = "line " + std::to_string(line_no) + " '" + line + "': ";
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const std::string rest = line.substr(7);
      const std::size_t space = rest.find(' ');
      const std::string name = rest.substr(0, space);
      const std::string arg = space == std::string::npos ? "" : rest.substr(space + 1);
      if (!is_name(name, true)) out.errors.push_back(where + "bad metric name");
      if (name != current_family) {
        if (finished.count(name)) out.errors.push_back(where + "family appears twice");
        if (!current_family.empty()) finished.insert(current_family);
        current_family = name;
      }
      if (line[2] == 'H') {
        if (!out.helps.insert(name).second) out.errors.push_back(where + "second HELP");
      } else {
        if (arg != "counter" && arg != "gauge" && arg != "histogram" && arg != "summary" &&
            arg != "untyped") {
          out.errors.push_back(where + "bad type");
        }
        if (out.types.count(name)) out.errors.push_back(where + "second TYPE");
        out.types[name] = arg;
      }
      continue;
    }
    if (line.empty() || line[0] == '#') {
      out.errors.push_back(where + "unexpected line");
      continue;
    }
    Sample sample;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    sample.name = line.substr(0, i);
    if (!is_name(sample.name, true)) out.errors.push_back(where + "bad sample name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const std::size_t eq = line.find('=', i);
        if (eq == std::string::npos) break;
        const std::string label = line.substr(i, eq - i);
        if (!is_name(label, false)) out.errors.push_back(where + "bad label name " + label);
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') {
          out.errors.push_back(where + "label value not quoted");
          break;
        }
        std::string value;
        for (++i; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\') {
            const char next = i + 1 < line.size() ? line[++i] : '?';
            if (next == 'n') {
              value.push_back('\n');
            } else if (next == '\\' || next == '"') {
              value.push_back(next);
            } else {
              out.errors.push_back(where + "bad escape");
            }
          } else {
            value.push_back(line[i]);
          }
        }
        if (i >= line.size()) {
          out.errors.push_back(where + "unterminated label value");
          break;
        }
        ++i;  // closing quote
        if (!sample.labels.emplace(label, value).second) out.errors.push_back(where + "dup label");
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size() || line[i] != '}') out.errors.push_back(where + "unterminated labels");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') {
      out.errors.push_back(where + "no space before value");
      continue;
    }
    if (!parse_value(line.substr(i + 1), sample.value)) out.errors.push_back(where + "bad value");
    const std::string family = family_of(sample.name, out.types);
    if (family.empty() || family != current_family) {
      out.errors.push_back(where + "sample outside its family's block");
    } else if (out.types[family] == "histogram" && sample.name == family + "_bucket" &&
               !sample.labels.count("le")) {
      out.errors.push_back(where + "bucket without le");
    }
    out.samples.push_back(std::move(sample));
  }
  for (const auto& [family, type] : out.types) {
    if (!out.helps.count(family)) out.errors.push_back(family + ": TYPE without HELP");
  }
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

RequestSample sample_for(std::string_view model, int status = 200) {
  RequestSample s;
  s.endpoint = "messages";
  s.dialect = "anthropic";
  s.model = model;
  s.status = status;
  s.stream = true;
  return s;
}

TEST(MetricsTest, ParserRejectsMalformedText) {
  // The checks below are only as good as this reader, so it must be able to say no.
  EXPECT_FALSE(parse("# TYPE x counter\nx 1").errors.empty());  // no final newline
  EXPECT_FALSE(parse("# HELP x h\n# TYPE x counter\nx{a=\"b} 1\n").errors.empty());
  EXPECT_FALSE(parse("# HELP x h\n# TYPE x counter\nx{a=\"\\t\"} 1\n").errors.empty());
  EXPECT_FALSE(parse("# HELP x h\n# TYPE x counter\ny 1\n").errors.empty());
  EXPECT_FALSE(parse("# HELP x h\n# TYPE x counter\nx one\n").errors.empty());
  EXPECT_TRUE(parse("# HELP x h\n# TYPE x counter\nx{a=\"\\\"\"} 1\n").errors.empty());
}

TEST(MetricsTest, EmptyRegistryRendersEveryFamily) {
  Metrics m;
  const Exposition e = parse(m.render());
  EXPECT_TRUE(e.errors.empty()) << join(e.errors);
  const std::map<std::string, std::string> expected{
      {"warden_requests_total", "counter"},
      {"warden_active_streams", "gauge"},
      {"warden_upstream_latency_seconds", "histogram"},
      {"warden_gateway_overhead_seconds", "histogram"},
      {"warden_time_to_first_byte_seconds", "histogram"},
      {"warden_policy_actions_total", "counter"},
      {"warden_judge_latency_seconds", "histogram"},
      {"warden_judge_errors_total", "counter"},
      {"warden_records_written_total", "counter"},
      {"warden_records_dropped_total", "counter"},
      {"warden_live_events_dropped_total", "counter"},
      {"warden_trace_spans_dropped_total", "counter"}};
  EXPECT_EQ(e.types, expected);
  EXPECT_EQ(e.value("warden_active_streams"), 0);
  EXPECT_EQ(e.value("warden_trace_spans_dropped_total"), 0);
}

TEST(MetricsTest, RequestFinishedCountsByLabels) {
  Metrics m;
  RequestSample a = sample_for("claude-x");
  a.upstream_latency = 0.5;
  a.gateway_overhead = 0.0002;
  a.time_to_first_byte = 0.2;
  m.request_finished(a);
  m.request_finished(a);
  RequestSample b = sample_for("gpt-y", 429);
  b.dialect = "openai";
  b.endpoint = "chat_completions";
  b.stream = false;
  m.request_finished(b);

  const Exposition e = parse(m.render());
  ASSERT_TRUE(e.errors.empty()) << join(e.errors);
  EXPECT_EQ(e.value("warden_requests_total", {{"endpoint", "messages"},
                                              {"dialect", "anthropic"},
                                              {"model", "claude-x"},
                                              {"status", "200"},
                                              {"stream", "true"}}),
            2);
  EXPECT_EQ(e.value("warden_requests_total", {{"endpoint", "chat_completions"},
                                              {"dialect", "openai"},
                                              {"model", "gpt-y"},
                                              {"status", "429"},
                                              {"stream", "false"}}),
            1);
  EXPECT_EQ(e.value("warden_upstream_latency_seconds_count", {{"dialect", "anthropic"}}), 2);
  EXPECT_DOUBLE_EQ(e.value("warden_upstream_latency_seconds_sum", {{"dialect", "anthropic"}}), 1.0);
  EXPECT_EQ(e.value("warden_gateway_overhead_seconds_count", {{"dialect", "anthropic"}}), 2);
  EXPECT_EQ(e.value("warden_time_to_first_byte_seconds_count", {{"dialect", "anthropic"}}), 2);
  // Durations absent from a sample are not observed at all.
  EXPECT_TRUE(
      std::isnan(e.value("warden_upstream_latency_seconds_count", {{"dialect", "openai"}})));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m;
  const std::string hostile = "a\"b\\c\nd} 1\n# TYPE x counter";
  m.request_finished(sample_for(hostile));
  m.policy_action("p\"q", "block");
  const std::string text = m.render();
  EXPECT_NE(text.find(R"(model="a\"b\\c\nd} 1\n# TYPE x counter")"), std::string::npos) << text;
  const Exposition e = parse(text);
  ASSERT_TRUE(e.errors.empty()) << join(e.errors);
  EXPECT_EQ(e.value("warden_requests_total", {{"model", hostile}}), 1);
  EXPECT_EQ(e.value("warden_policy_actions_total", {{"policy", "p\"q"}, {"action", "block"}}), 1);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics m;
  // 50µs sits exactly on the first bound (le is inclusive); 3ms in the middle; 2s above all.
  for (const double overhead : {0.00005, 0.003, 0.003, 2.0}) {
    RequestSample s = sample_for("m");
    s.gateway_overhead = overhead;
    m.request_finished(s);
  }
  const Exposition e = parse(m.render());
  ASSERT_TRUE(e.errors.empty()) << join(e.errors);
  std::vector<std::pair<double, double>> buckets;  // (le, count) in rendered order
  for (const Sample& s : e.samples) {
    if (s.name != "warden_gateway_overhead_seconds_bucket") continue;
    double le = 0;
    ASSERT_TRUE(parse_value(s.labels.at("le"), le));
    buckets.emplace_back(le, s.value);
  }
  ASSERT_EQ(buckets.size(), 14u);  // 13 bounds + +Inf
  EXPECT_EQ(buckets.front(), std::make_pair(0.00005, 1.0));
  EXPECT_EQ(buckets.back().first, INFINITY);
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    EXPECT_GT(buckets[i].first, buckets[i - 1].first);
    EXPECT_GE(buckets[i].second, buckets[i - 1].second);
  }
  EXPECT_EQ(buckets[buckets.size() - 2], std::make_pair(1.0, 3.0));  // le="1"
  EXPECT_EQ(buckets.back().second, 4);
  EXPECT_EQ(e.value("warden_gateway_overhead_seconds_count"), 4);
  EXPECT_DOUBLE_EQ(e.value("warden_gateway_overhead_seconds_sum"), 2.00605);
  // The 2.5ms and 5ms bounds straddle the 3ms samples.
  std::map<double, double> by_bound(buckets.begin(), buckets.end());
  EXPECT_EQ(by_bound[0.0025], 1);
  EXPECT_EQ(by_bound[0.005], 3);
}

TEST(MetricsTest, LatencyBucketsSpanMillisecondsToMinutes) {
  Metrics m;
  m.judge_call("anthropic", "haiku", 0.3, true);
  const Exposition e = parse(m.render());
  ASSERT_TRUE(e.errors.empty()) << join(e.errors);
  std::vector<double> bounds;
  for (const Sample& s : e.samples) {
    double le = 0;
    if (s.name == "warden_judge_latency_seconds_bucket" && parse_value(s.labels.at("le"), le)) {
      bounds.push_back(le);
    }
  }
  ASSERT_GE(bounds.size(), 3u);
  EXPECT_EQ(bounds.front(), 0.01);
  EXPECT_EQ(bounds[bounds.size() - 2], 120);
}

TEST(MetricsTest, InvalidDurationsAreIgnored) {
  Metrics m;
  RequestSample s = sample_for("m");
  s.upstream_latency = -1;
  s.gateway_overhead = std::nan("");
  s.time_to_first_byte = INFINITY;
  m.request_finished(s);
  const Exposition e = parse(m.render());
  ASSERT_TRUE(e.errors.empty()) << join(e.errors);
  EXPECT_EQ(e.value("warden_requests_total", {{"model", "m"}}), 1);
  for (const Sample& sample : e.samples) {
    EXPECT_EQ(sample.name.find("_seconds"), std::string::npos) << sample.name;
  }
}

TEST(MetricsTest, ModelLabelsAreCapped) {
  Metrics m;
  for (int i = 0; i < 250; ++i) m.request_finished(sample_for("model-" + std::to_string(i)));
  m.request_finished(sample_for("model-7"));  // known before the cap: keeps its own series
  m.request_finished(sample_for(std::string(Metrics::kMaxModelLabelBytes + 1, 'x')));
  m.request_finished(sample_for("bad\xff utf8"));

  const Exposition e = parse(m.render());
  ASSERT_TRUE(e.errors.empty()) << join(e.errors);
  std::set<std::string> models;
  for (const Sample& s : e.samples) {
    if (s.name == "warden_requests_total") models.insert(s.labels.at("model"));
  }
  EXPECT_EQ(models.size(), Metrics::kMaxModelLabels + 1);  // + "other"
  EXPECT_EQ(e.value("warden_requests_total", {{"model", "model-7"}}), 2);
  EXPECT_EQ(e.value("warden_requests_total", {{"model", "model-199"}}), 1);
  EXPECT_TRUE(std::isnan(e.value("warden_requests_total", {{"model", "model-200"}})));
  EXPECT_EQ(e.value("warden_requests_total", {{"model", "other"}}), 52);
}

TEST(MetricsTest, CountersGaugeAndJudge) {
  Metrics m;
  m.stream_opened();
  m.stream_opened();
  m.stream_opened();
  m.stream_closed();
  m.judge_call("anthropic", "haiku", 0.4, true);
  m.judge_call("anthropic", "haiku", 5, false);
  m.records_written(3);
  m.records_dropped();
  m.events_dropped(2);
  m.spans_dropped(7);
  const Exposition e = parse(m.render());
  ASSERT_TRUE(e.errors.empty()) << join(e.errors);
  EXPECT_EQ(e.value("warden_active_streams"), 2);
  EXPECT_EQ(e.value("warden_judge_latency_seconds_count",
                    {{"provider", "anthropic"}, {"model", "haiku"}}),
            2);
  EXPECT_EQ(e.value("warden_judge_errors_total", {{"provider", "anthropic"}, {"model", "haiku"}}),
            1);
  EXPECT_EQ(e.value("warden_records_written_total"), 3);
  EXPECT_EQ(e.value("warden_records_dropped_total"), 1);
  EXPECT_EQ(e.value("warden_live_events_dropped_total"), 2);
  EXPECT_EQ(e.value("warden_trace_spans_dropped_total"), 7);
}

TEST(MetricsTest, ConcurrentUpdatesSum) {
  Metrics m;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < kPerThread; ++i) {
        RequestSample s = sample_for(i % 2 ? "odd" : "even");
        s.gateway_overhead = 0.001;
        m.request_finished(s);
        m.stream_opened();
        m.policy_action("tool_filter", t % 2 ? "block" : "allow");
        m.records_written();
        m.stream_closed();
        if (i % 100 == 0) (void)m.render();  // rendering races with updates too
      }
    });
  }
  for (auto& th : threads) th.join();
  const Exposition e = parse(m.render());
  ASSERT_TRUE(e.errors.empty()) << join(e.errors);
  constexpr double kTotal = kThreads * kPerThread;
  EXPECT_EQ(e.value("warden_requests_total", {{"model", "odd"}}), kTotal / 2);
  EXPECT_EQ(e.value("warden_requests_total", {{"model", "even"}}), kTotal / 2);
  EXPECT_EQ(e.value("warden_gateway_overhead_seconds_count"), kTotal);
  EXPECT_EQ(e.value("warden_policy_actions_total", {{"action", "block"}}), kTotal / 2);
  EXPECT_EQ(e.value("warden_records_written_total"), kTotal);
  EXPECT_EQ(e.value("warden_active_streams"), 0);
}

TEST(MetricsTest, DefaultInstanceIsProcessWide) { EXPECT_EQ(&metrics(), &metrics()); }

}  // namespace
}  // namespace warden::observability
