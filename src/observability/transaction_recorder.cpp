#include "observability/transaction_recorder.hpp"

#include <chrono>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/ids.hpp"
#include "core/thread_name.hpp"
#include "observability/log.hpp"
#include "observability/metrics.hpp"
#include "observability/recorded_response.hpp"
#include "observability/redaction.hpp"
#include "observability/trace.hpp"

namespace warden::observability {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kSweepEveryUs = 3600LL * 1000 * 1000;
constexpr auto kGroupCommitWindow = std::chrono::milliseconds(20);
constexpr std::int64_t kDropLogEveryUs = 10LL * 1000 * 1000;

std::string_view dialect_name(core::Dialect d) {
  return d == core::Dialect::kOpenAi ? "openai" : "anthropic";
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::int64_t usage_of(const json::object& usage, std::string_view key) {
  const auto* v = usage.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : v && v->is_uint64() ? static_cast<std::int64_t>(v->as_uint64()) : 0;
}

// Token counts as the upstream reported them (the client's copy may be re-encoded).
void read_usage(storage::TransactionRecord& r, std::string_view message) {
  if (message.empty()) return;
  boost::system::error_code ec;
  const json::value parsed = json::parse(message, ec);
  if (ec || !parsed.is_object()) return;
  const auto* usage = parsed.as_object().if_contains("usage");
  if (usage == nullptr || !usage->is_object()) return;
  r.input_tokens = usage_of(usage->as_object(), "input_tokens");
  r.output_tokens = usage_of(usage->as_object(), "output_tokens");
  r.cache_read_tokens = usage_of(usage->as_object(), "cache_read_input_tokens");
  r.cache_creation_tokens = usage_of(usage->as_object(), "cache_creation_input_tokens");
}

void add_json_attribute(Span& span, std::string key, const json::value& v) {
  if (v.is_string()) {
    span.add_attribute(std::move(key), std::string_view(v.as_string()));
  } else if (v.is_int64()) {
    span.add_attribute(std::move(key), v.as_int64());
  } else if (v.is_uint64()) {
    span.add_attribute(std::move(key), static_cast<std::int64_t>(v.as_uint64()));
  } else if (v.is_double()) {
    span.add_attribute(std::move(key), v.as_double());
  } else if (v.is_bool()) {
    span.add_attribute(std::move(key), v.as_bool());
  }
}

std::uint64_t nanos(std::int64_t us) { return static_cast<std::uint64_t>(us) * 1000; }

}  // namespace

json::object record_summary(const storage::TransactionRecord& r) {
  json::array actions;
  std::string_view words = r.policy_actions;
  while (!words.empty()) {
    const auto space = words.find(' ');
    if (space != 0) actions.emplace_back(words.substr(0, space));
    if (space == std::string_view::npos) break;
    words.remove_prefix(space + 1);
  }
  return {{"id", r.id},
          {"trace_id", r.trace_id},
          {"started_at_us", r.started_at_us},
          {"duration_us", r.duration_us},
          {"upstream_first_byte_us", r.upstream_first_byte_us},
          {"client_first_byte_us", r.client_first_byte_us},
          {"endpoint", r.endpoint},
          {"dialect", r.dialect},
          {"provider", r.provider},
          {"model", r.model},
          {"upstream_model", r.upstream_model},
          {"stream", r.stream},
          {"status", r.status},
          {"outcome", r.outcome},
          {"error", r.error},
          {"input_tokens", r.input_tokens},
          {"output_tokens", r.output_tokens},
          {"cache_read_tokens", r.cache_read_tokens},
          {"cache_creation_tokens", r.cache_creation_tokens},
          {"caller", r.caller},
          {"session_id", r.session_id},
          {"policy_actions", std::move(actions)}};
}

TransactionRecorder::TransactionRecorder(Options options, std::unique_ptr<storage::Store> store,
                                         EventBus* bus, TraceExporter* traces)
    : options_(std::move(options)), store_(std::move(store)), bus_(bus), traces_(traces) {
  writer_ = std::thread([this] {
    core::name_this_thread("warden-record");
    run();
  });
}

TransactionRecorder::~TransactionRecorder() { stop(); }

std::unique_ptr<Transaction> TransactionRecorder::begin(const boost::beast::http::fields& headers,
                                                        std::string_view endpoint,
                                                        core::Dialect dialect) const {
  auto tx = std::make_unique<Transaction>();
  auto& r = tx->record;
  r.id = core::random_id("txn_");
  r.started_at_us = policy::now_us();
  r.endpoint = endpoint;
  r.dialect = dialect_name(dialect);
  tx->client_dialect = dialect;
  if (auto parent = parse_traceparent(headers["traceparent"])) {
    r.trace_id = parent->trace_id;
    tx->parent_span_id = parent->parent_id;
  } else {
    r.trace_id = new_trace_id();
  }
  tx->span_id = new_span_id();
  r.caller = caller_hash(headers, options_.proxy_key_header);
  // Captured even for metadata only: the token counts come from the answer.
  tx->ingress.limit = options_.max_body_bytes;
  tx->egress.limit = options_.max_body_bytes;
  tx->egress.follow(&tx->ingress);
  if (!options_.metadata_only) {
    r.request_headers = redacted_headers(headers, options_.proxy_key_header);
  }
  return tx;
}

void TransactionRecorder::identify(Transaction& tx, const boost::beast::http::fields& headers,
                                   const core::Request& request) const {
  tx.record.model = request.model;
  tx.record.stream = request.stream;
  tx.record.session_id = session_of(headers, options_.session_header, request.body);
}

void TransactionRecorder::started(const Transaction& tx) const {
  if (bus_ == nullptr) return;
  const auto& r = tx.record;
  bus_->publish("transaction_started", {{"id", r.id},
                                        {"trace_id", r.trace_id},
                                        {"started_at_us", r.started_at_us},
                                        {"endpoint", r.endpoint},
                                        {"dialect", r.dialect},
                                        {"provider", r.provider},
                                        {"model", r.model},
                                        {"stream", r.stream},
                                        {"caller", r.caller},
                                        {"session_id", r.session_id}});
}

void TransactionRecorder::progress(const Transaction& tx) const {
  if (!watched()) return;
  bus_->publish("transaction_progress", {{"id", tx.record.id},
                                         {"output_bytes", tx.egress.total},
                                         {"elapsed_us", tx.offset_us(Clock::now())}});
}

void TransactionRecorder::policy_event(const Transaction& tx,
                                       const policy::PolicyEvent& event) const {
  metrics().policy_action(event.policy, event.action);
  if (bus_ == nullptr) return;
  json::object data{{"transaction_id", tx.record.id},
                    {"policy", event.policy},
                    {"action", event.action},
                    {"at_us", event.at_us},
                    {"session_id", tx.record.session_id},
                    {"model", tx.record.model}};
  if (!options_.metadata_only) data["detail"] = event.detail;
  bus_->publish("policy_event", std::move(data));
}

void TransactionRecorder::finish(std::unique_ptr<Transaction> tx) {
  const auto now = Clock::now();
  auto& r = tx->record;
  r.duration_us = tx->offset_us(now);
  r.client_first_byte_us = tx->offset_us(tx->egress.first);

  RequestSample sample{.endpoint = r.endpoint,
                       .dialect = r.dialect,
                       .model = r.model,
                       .status = r.status,
                       .stream = r.stream};
  if (tx->egress.seen()) sample.time_to_first_byte = seconds_between(tx->started, tx->egress.first);
  if (tx->upstream_sent != Clock::time_point{} && tx->ingress.seen()) {
    sample.upstream_latency = seconds_between(tx->upstream_sent, tx->ingress.last);
    // What Warden adds: before the upstream call, and between the upstream's
    // bytes and the client's (the first for a stream, the last for a whole answer).
    const auto upstream_ready = tx->upstream_stream ? tx->ingress.first : tx->ingress.last;
    if (tx->egress.seen() && tx->egress.first >= upstream_ready) {
      sample.gateway_overhead = seconds_between(tx->started, tx->upstream_sent) +
                                seconds_between(upstream_ready, tx->egress.first);
    }
  }
  metrics().request_finished(sample);

  std::unique_lock lock(mu_);
  if (!stopping_ && queue_.size() < options_.queue_capacity) {
    queue_.push_back(std::move(tx));
    lock.unlock();
    wake_.notify_one();
    return;
  }
  ++dropped_;
  const bool log_now = r.started_at_us - last_drop_log_us_ > kDropLogEveryUs;
  if (log_now) last_drop_log_us_ = r.started_at_us;
  const auto dropped = dropped_;
  lock.unlock();
  metrics().records_dropped();
  if (log_now) {
    log(LogLevel::kWarn, "transaction records dropped: storage is behind",
        {{"dropped_total", dropped}, {"queue_capacity", options_.queue_capacity}});
  }
  publish_finished(r);
}

void TransactionRecorder::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::uint64_t TransactionRecorder::written() const {
  std::lock_guard lock(mu_);
  return written_;
}

std::uint64_t TransactionRecorder::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void TransactionRecorder::complete(Transaction& tx) const {
  auto& r = tx.record;
  const std::string original =
      assemble_response(tx.upstream_dialect, tx.upstream_stream, tx.ingress.bytes, r.model);
  read_usage(r, original);
  json::array events;
  for (const auto& e : tx.events) {
    const std::string word = e.policy + ":" + e.action;
    if (!r.policy_actions.empty()) r.policy_actions += ' ';
    r.policy_actions += word;
    json::object event{{"policy", e.policy}, {"action", e.action}, {"at_us", e.at_us}};
    if (!options_.metadata_only) event["detail"] = e.detail;
    events.push_back(std::move(event));
  }
  r.policy_events = json::serialize(events);
  if (options_.metadata_only) {
    r.original_request.clear();
    r.final_request.clear();
    return;
  }
  r.original_response = original;
  // The client got the upstream's very bytes: the same message, assembled once.
  const bool untouched = tx.egress.mirrors() && tx.client_dialect == tx.upstream_dialect &&
                         tx.egress.total == tx.ingress.total;
  r.final_response = untouched ? original
                               : assemble_response(tx.client_dialect, tx.upstream_stream,
                                                   tx.egress.kept(), r.model);
  r.egress = tx.egress.kept();
  r.ingress = std::move(tx.ingress.bytes);
}

void TransactionRecorder::trace(const Transaction& tx) const {
  if (traces_ == nullptr) return;
  const auto& r = tx.record;
  std::vector<Span> spans;
  Span root{.trace_id = r.trace_id,
            .span_id = tx.span_id,
            .parent_span_id = tx.parent_span_id,
            .name = "POST " + r.endpoint,
            .kind = SpanKind::kServer,
            .start_unix_nanos = nanos(r.started_at_us),
            .end_unix_nanos = nanos(r.started_at_us + r.duration_us)};
  root.add_attribute("warden.transaction_id", std::string_view(r.id));
  root.add_attribute("gen_ai.request.model", std::string_view(r.model));
  root.add_attribute("gen_ai.system", std::string_view(r.provider));
  root.add_attribute("warden.dialect", std::string_view(r.dialect));
  root.add_attribute("http.response.status_code", r.status);
  root.add_attribute("gen_ai.usage.input_tokens", r.input_tokens);
  root.add_attribute("gen_ai.usage.output_tokens", r.output_tokens);
  root.add_attribute("warden.outcome", std::string_view(r.outcome));
  if (!r.policy_actions.empty()) {
    root.add_attribute("warden.policy_actions", std::string_view(r.policy_actions));
  }
  if (r.status >= 400 || r.outcome == "error") {
    root.status = SpanStatus::kError;
    root.status_message = r.error;
  }
  if (tx.upstream_sent != Clock::time_point{}) {
    const auto end = tx.ingress.seen() ? tx.ingress.last : tx.upstream_sent;
    Span upstream{.trace_id = r.trace_id,
                  .span_id = new_span_id(),
                  .parent_span_id = tx.span_id,
                  .name = "upstream " + r.provider,
                  .kind = SpanKind::kClient,
                  .start_unix_nanos = nanos(r.started_at_us + tx.offset_us(tx.upstream_sent)),
                  .end_unix_nanos = nanos(r.started_at_us + std::max<std::int64_t>(
                                                                 tx.offset_us(end), 0))};
    upstream.add_attribute("gen_ai.system", std::string_view(r.provider));
    upstream.add_attribute("gen_ai.request.model", std::string_view(r.upstream_model));
    upstream.add_attribute("warden.dialect",
                           std::string_view(dialect_name(tx.upstream_dialect)));
    spans.push_back(std::move(upstream));
  }
  for (const auto& work : tx.spans) {
    Span span{.trace_id = r.trace_id,
              .span_id = new_span_id(),
              .parent_span_id = tx.span_id,
              .name = work.name,
              .kind = SpanKind::kInternal,
              .start_unix_nanos = nanos(work.start_us),
              .end_unix_nanos = nanos(std::max(work.end_us, work.start_us))};
    for (const auto& [key, value] : work.attributes) add_json_attribute(span, key, value);
    if (work.error) span.status = SpanStatus::kError;
    spans.push_back(std::move(span));
  }
  spans.insert(spans.begin(), std::move(root));
  traces_->submit(std::move(spans));
}

void TransactionRecorder::publish_finished(const storage::TransactionRecord& record) const {
  if (bus_ != nullptr) bus_->publish("transaction_finished", record_summary(record));
}

void TransactionRecorder::sweep(std::int64_t now_us) {
  if (options_.retention_days <= 0 || now_us < next_sweep_us_) return;
  next_sweep_us_ = now_us + kSweepEveryUs;
  const auto cutoff = now_us - static_cast<std::int64_t>(options_.retention_days * 86400e6);
  auto deleted = store_->delete_before(cutoff);
  if (!deleted) {
    log(LogLevel::kError, "retention sweep failed", {{"error", deleted.error().message}});
  } else if (*deleted > 0) {
    log(LogLevel::kInfo, "retention sweep", {{"deleted", *deleted}});
  }
}

void TransactionRecorder::run() {
  std::vector<std::unique_ptr<Transaction>> batch;
  std::vector<storage::TransactionRecord> records;
  while (true) {
    batch.clear();
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::seconds(60),
                     [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) break;
      // Group commit: each write is one database transaction, whose page
      // writes (and new full-text segment) cost about the same for 1 record
      // as for 100; under load, waiting a moment for more is far cheaper.
      wake_.wait_for(lock, kGroupCommitWindow,
                     [&] { return stopping_ || queue_.size() >= options_.batch_size; });
      while (!queue_.empty() && batch.size() < options_.batch_size) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    sweep(policy::now_us());
    if (batch.empty()) continue;
    records.clear();
    for (auto& tx : batch) {
      complete(*tx);
      trace(*tx);
      records.push_back(std::move(tx->record));
    }
    // A store that is briefly away (a PostgreSQL restart) gets a few tries.
    core::Result<void> wrote = store_->write(records);
    for (int attempt = 1; !wrote && attempt < 3; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250 * attempt));
      wrote = store_->write(records);
    }
    // After the write, so a viewer that follows the event finds the record.
    for (const auto& record : records) publish_finished(record);
    std::lock_guard lock(mu_);
    if (wrote) {
      written_ += records.size();
      metrics().records_written(records.size());
    } else {
      dropped_ += records.size();
      metrics().records_dropped(records.size());
      log(LogLevel::kError, "transaction records lost: the store refused them",
          {{"records", records.size()}, {"error", wrote.error().message}});
    }
  }
}

}  // namespace warden::observability
