// TransactionRecorder over a real SQLite store in a temporary directory and a
// real in-process EventBus: what finish() is given ends up in the store with
// its responses assembled, its tokens counted and its policy events; a full
// queue drops (and counts) instead of waiting for a slow store; retention
// deletes old records on the writer's first sweep.

#include "support/temp_store_dir.hpp"
#include "observability/transaction_recorder.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "observability/redaction.hpp"
#include "storage/store.hpp"

namespace warden::observability::test {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using core::Dialect;
using storage::TransactionRecord;

constexpr std::string_view kKey = "sk-ant-api03-recorder-test-key-0123456789abcdef";

// --- Helpers -------------------------------------------------------------------------------

using TempDir = warden::testing::TempStoreDir;

std::unique_ptr<storage::Store> open(const std::string& url) {
  auto store = storage::open_store(url);
  EXPECT_TRUE(store) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

std::string fixture(const std::string& relative) {
  const char* dir = std::getenv("WARDEN_TEST_DATA");
  if (dir == nullptr) {
    ADD_FAILURE() << "WARDEN_TEST_DATA is not set (run through ctest or set it to tests/data)";
    return {};
  }
  std::ifstream in(std::string(dir) + "/" + relative, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << relative;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A recorded stream and what its record should say.
struct Upstream {
  std::string fixture;
  Dialect dialect;
  std::int64_t input_tokens;
  std::int64_t output_tokens;
  std::int64_t cache_read_tokens;
  std::string first_text;  // of the assembled message's first block
};

const std::vector<Upstream>& upstreams() {
  static const std::vector<Upstream> kAll = {
      {"anthropic/text_stream.sse", Dialect::kAnthropic, 472, 35, 0, "Hello! Here is a haiku:"},
      {"anthropic/tool_use_stream.sse", Dialect::kAnthropic, 658, 89, 0, "Okay, let me check"},
      {"openai/text_then_tool_stream.sse", Dialect::kOpenAi, 20, 30, 100, "Let me check."},
      {"openai/text_stream.sse", Dialect::kOpenAi, 8, 9, 0, "Hello, wörld!"},
  };
  return kAll;
}

policy::PolicyEvent policy_event(std::string policy, std::string action, json::object detail) {
  policy::PolicyEvent event;
  event.policy = std::move(policy);
  event.action = std::move(action);
  event.detail = std::move(detail);
  event.at_us = policy::now_us();
  return event;
}

// A transaction as the completion handler would finish it: `upstream`'s bytes
// both ways, two policy events.
std::unique_ptr<Transaction> transaction(const TransactionRecorder& recorder,
                                         const Upstream& upstream, int n) {
  http::fields headers;
  headers.set("x-api-key", kKey);
  headers.set("x-session-id", "session-" + std::to_string(n % 2));
  headers.set("content-type", "application/json");
  const bool openai = upstream.dialect == Dialect::kOpenAi;
  auto tx = recorder.begin(headers, openai ? "/v1/chat/completions" : "/v1/messages",
                           upstream.dialect);
  core::Request request;
  request.dialect = upstream.dialect;
  request.model = "model-" + std::to_string(n);
  request.stream = true;
  request.body = {{"model", request.model}, {"stream", true}, {"messages", json::array{}}};
  request.original_body = json::serialize(request.body);
  recorder.identify(*tx, headers, request);

  auto& r = tx->record;
  r.provider = openai ? "openai" : "anthropic";
  r.upstream_model = "upstream-" + request.model;
  r.status = 200;
  r.outcome = "completed";
  r.original_request = request.original_body;
  tx->upstream_dialect = upstream.dialect;
  tx->upstream_stream = true;
  tx->upstream_sent = Transaction::Clock::now();
  const std::string bytes = fixture(upstream.fixture);
  tx->ingress.add(bytes);
  tx->egress.add(bytes);
  tx->events.push_back(policy_event("tool_filter", "blocked_tool_call", {{"tool", "Bash"}}));
  tx->events.push_back(policy_event("judge", "allowed", {{"reason", "fine"}}));
  return tx;
}

// Collects the bus's events until the "test_end" the test publishes last.
class BusRecorder final {
 public:
  explicit BusRecorder(EventBus& bus) : bus_(bus), sub_(bus.subscribe(io_.get_executor())) {}

  std::vector<json::object> events() {
    bus_.publish("test_end", {});
    std::vector<json::object> out;
    asio::co_spawn(io_, drain(sub_, &out), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io_.run_for(10s);  // bounded if "test_end" never comes
    return out;
  }

  std::vector<json::object> finished() {
    std::vector<json::object> out;
    for (auto& event : events()) {
      if (event.at("type") == "transaction_finished") out.push_back(event.at("data").as_object());
    }
    return out;
  }

 private:
  static asio::awaitable<void> drain(std::shared_ptr<Subscription> sub,
                                     std::vector<json::object>* out) {
    for (;;) {
      std::optional<std::string> text = co_await sub->next();
      if (!text) co_return;
      json::object event = json::parse(*text).as_object();
      if (event.at("type") == "test_end") co_return;
      out->push_back(std::move(event));
    }
  }

  EventBus& bus_;
  asio::io_context io_;
  std::shared_ptr<Subscription> sub_;
};

std::string text(const json::value& v) { return std::string(v.as_string()); }

std::vector<std::string> words_of(const json::value& array) {
  std::vector<std::string> out;
  for (const auto& w : array.as_array()) out.emplace_back(w.as_string());
  return out;
}

TransactionRecorder::Options options() {
  TransactionRecorder::Options o;
  o.batch_size = 3;  // several batches for a handful of records
  return o;
}

// --- Tests ---------------------------------------------------------------------------------

TEST(TransactionRecorder, FinishedTransactionsAreWrittenWhole) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  EventBus bus(EventBus::Options{});
  BusRecorder live(bus);
  constexpr int kCount = 10;
  std::vector<std::string> ids;
  {
    TransactionRecorder recorder(options(), open(dir.store_url()), &bus, nullptr);
    for (int i = 0; i < kCount; ++i) {
      auto tx = transaction(recorder, upstreams()[i % upstreams().size()], i);
      ids.push_back(tx->record.id);
      recorder.finish(std::move(tx));
    }
    recorder.stop();
    EXPECT_EQ(recorder.written(), static_cast<std::uint64_t>(kCount));
    EXPECT_EQ(recorder.dropped(), 0u);
  }

  auto store = open(dir.store_url());
  ASSERT_TRUE(store);
  auto count = store->count();
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_EQ(*count, kCount);
  for (int i = 0; i < kCount; ++i) {
    SCOPED_TRACE("transaction " + std::to_string(i));
    const Upstream& upstream = upstreams()[i % upstreams().size()];
    auto got = store->get(ids[i]);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_TRUE(got->has_value());
    const TransactionRecord& r = **got;
    EXPECT_TRUE(r.id.starts_with("txn_")) << r.id;
    EXPECT_EQ(r.trace_id.size(), 32u);
    EXPECT_EQ(r.model, "model-" + std::to_string(i));
    EXPECT_EQ(r.dialect, upstream.dialect == Dialect::kOpenAi ? "openai" : "anthropic");
    EXPECT_TRUE(r.stream);
    EXPECT_EQ(r.session_id, "session-" + std::to_string(i % 2));
    http::fields key;
    key.set("x-api-key", kKey);
    EXPECT_EQ(r.caller, caller_hash(key, "x-warden-key"));
    EXPECT_GE(r.duration_us, 0);
    EXPECT_GE(r.client_first_byte_us, 0);

    // Tokens as the upstream reported them.
    EXPECT_EQ(r.input_tokens, upstream.input_tokens);
    EXPECT_EQ(r.output_tokens, upstream.output_tokens);
    EXPECT_EQ(r.cache_read_tokens, upstream.cache_read_tokens);
    EXPECT_EQ(r.cache_creation_tokens, 0);

    // Both responses assembled into Anthropic-shaped messages.
    for (const std::string* response : {&r.original_response, &r.final_response}) {
      const json::value message = json::parse(*response);
      EXPECT_EQ(message.at("type"), "message");
      const auto& first = message.at("content").as_array().at(0).as_object();
      EXPECT_TRUE(std::string_view(first.at("text").as_string()).starts_with(upstream.first_text))
          << *response;
    }
    EXPECT_EQ(r.ingress, fixture(upstream.fixture));
    EXPECT_EQ(r.egress, r.ingress);
    EXPECT_EQ(r.original_request, json::serialize(json::object{{"model", r.model},
                                                               {"stream", true},
                                                               {"messages", json::array{}}}));

    // Headers kept, the key not.
    const json::object headers = json::parse(r.request_headers).as_object();
    EXPECT_EQ(headers.at("x-api-key"), "[redacted]");
    EXPECT_EQ(headers.at("content-type"), "application/json");
    EXPECT_EQ(r.request_headers.find(kKey.substr(0, 12)), std::string::npos);

    // Policy events: words for filtering, JSON for the detail view.
    EXPECT_EQ(r.policy_actions, "tool_filter:blocked_tool_call judge:allowed");
    const json::array events = json::parse(r.policy_events).as_array();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].at("policy"), "tool_filter");
    EXPECT_EQ(events[0].at("action"), "blocked_tool_call");
    EXPECT_EQ(events[0].at("detail").at("tool"), "Bash");
    EXPECT_GT(events[0].at("at_us").to_number<std::int64_t>(), 0);
    EXPECT_EQ(events[1].at("policy"), "judge");
    EXPECT_EQ(events[1].at("detail").at("reason"), "fine");
  }

  // One transaction_finished per transaction, with the summary and no bodies.
  const auto finished = live.finished();
  ASSERT_EQ(finished.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    const Upstream& upstream = upstreams()[i % upstreams().size()];
    const auto& summary = finished[i];
    EXPECT_EQ(text(summary.at("id")), ids[i]);
    EXPECT_EQ(summary.at("input_tokens").to_number<std::int64_t>(), upstream.input_tokens);
    EXPECT_EQ(summary.at("output_tokens").to_number<std::int64_t>(), upstream.output_tokens);
    EXPECT_EQ(words_of(summary.at("policy_actions")),
              (std::vector<std::string>{"tool_filter:blocked_tool_call", "judge:allowed"}));
    EXPECT_EQ(text(summary.at("session_id")), "session-" + std::to_string(i % 2));
    EXPECT_EQ(summary.at("status").to_number<int>(), 200);
    EXPECT_FALSE(summary.contains("original_response"));
    EXPECT_FALSE(summary.contains("ingress"));
  }
}

TEST(TransactionRecorder, BeginContinuesTheClientsTraceAndHashesTheCaller) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  TransactionRecorder recorder(options(), open(dir.store_url()), nullptr, nullptr);
  http::fields headers;
  headers.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  headers.set("x-warden-key", "proxy-key");
  headers.set("authorization", "Bearer upstream-key");
  const auto tx = recorder.begin(headers, "/v1/messages", Dialect::kAnthropic);
  EXPECT_EQ(tx->record.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(tx->parent_span_id, "00f067aa0ba902b7");
  EXPECT_EQ(tx->span_id.size(), 16u);
  EXPECT_EQ(tx->record.caller, caller_hash(headers, "x-warden-key"));
  EXPECT_NE(tx->record.caller, caller_hash(headers, ""));  // the proxy key, not the upstream's
  const json::object recorded = json::parse(tx->record.request_headers).as_object();
  EXPECT_EQ(recorded.at("x-warden-key"), "[redacted]");
  EXPECT_EQ(recorded.at("authorization"), "Bearer [redacted]");
  EXPECT_EQ(tx->record.endpoint, "/v1/messages");
  EXPECT_GT(tx->record.started_at_us, 0);
}

TEST(TransactionRecorder, MetadataOnlyKeepsTokensButNoBodies) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  EventBus bus(EventBus::Options{});
  BusRecorder live(bus);
  auto o = options();
  o.metadata_only = true;
  std::string id;
  {
    TransactionRecorder recorder(o, open(dir.store_url()), &bus, nullptr);
    auto tx = transaction(recorder, upstreams()[0], 0);
    id = tx->record.id;
    tx->record.final_request = R"({"changed":true})";
    recorder.finish(std::move(tx));
  }  // the destructor stops and writes

  auto store = open(dir.store_url());
  ASSERT_TRUE(store);
  auto got = store->get(id);
  ASSERT_TRUE(got && got->has_value());
  const TransactionRecord& r = **got;
  EXPECT_EQ(r.input_tokens, 472);
  EXPECT_EQ(r.output_tokens, 35);
  EXPECT_EQ(r.model, "model-0");
  EXPECT_EQ(r.session_id, "session-0");
  EXPECT_FALSE(r.caller.empty());
  EXPECT_EQ(r.policy_actions, "tool_filter:blocked_tool_call judge:allowed");
  for (const std::string* body : {&r.request_headers, &r.original_request, &r.final_request,
                                  &r.original_response, &r.final_response, &r.ingress,
                                  &r.egress}) {
    EXPECT_EQ(*body, "");
  }
  // The events say which policy did what, not the detail (it may quote the content).
  const json::array events = json::parse(r.policy_events).as_array();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("action"), "blocked_tool_call");
  EXPECT_FALSE(events[0].as_object().contains("detail"));

  const auto finished = live.finished();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].at("input_tokens").to_number<std::int64_t>(), 472);
}

// A store whose write() waits until the test opens the gate: a store that has
// fallen behind, without timing. Everything else goes to the real store.
class GatedStore final : public storage::Store {
 public:
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    bool timed_out = false;
    int writes = 0;  // write() calls entered

    void open_now() {
      std::lock_guard lock(mu);
      open = true;
      cv.notify_all();
    }
    bool wait_for_writes(int n) {
      std::unique_lock lock(mu);
      return cv.wait_for(lock, 10s, [&] { return writes >= n; });
    }
  };

  GatedStore(std::unique_ptr<storage::Store> inner, std::shared_ptr<Gate> gate)
      : inner_(std::move(inner)), gate_(std::move(gate)) {}

  core::Result<void> write(const std::vector<TransactionRecord>& records) override {
    {
      std::unique_lock lock(gate_->mu);
      ++gate_->writes;
      gate_->cv.notify_all();
      // Bounded, so a broken recorder fails the test instead of hanging it.
      if (!gate_->cv.wait_for(lock, 30s, [&] { return gate_->open; })) gate_->timed_out = true;
    }
    return inner_->write(records);
  }
  core::Result<std::vector<TransactionRecord>> list(const storage::TransactionQuery& q) override {
    return inner_->list(q);
  }
  core::Result<std::optional<TransactionRecord>> get(std::string_view id) override {
    return inner_->get(id);
  }
  core::Result<std::size_t> delete_before(std::int64_t cutoff_us) override {
    return inner_->delete_before(cutoff_us);
  }
  core::Result<std::vector<std::pair<std::string, std::int64_t>>> action_counts(
      std::int64_t since_us) override {
    return inner_->action_counts(since_us);
  }
  core::Result<std::int64_t> count() override { return inner_->count(); }
  core::Result<std::vector<storage::SessionSummary>> sessions(
      const storage::SessionQuery& query) override {
    return inner_->sessions(query);
  }

 private:
  std::unique_ptr<storage::Store> inner_;
  std::shared_ptr<Gate> gate_;
};

TEST(TransactionRecorder, FullQueueDropsAndCountsWithoutWaiting) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  EventBus bus(EventBus::Options{});
  BusRecorder live(bus);
  auto gate = std::make_shared<GatedStore::Gate>();
  auto o = options();
  o.queue_capacity = 2;
  constexpr int kCount = 10;
  std::vector<std::string> ids;
  {
    TransactionRecorder recorder(o, std::make_unique<GatedStore>(open(dir.store_url()), gate),
                                 &bus, nullptr);
    auto first = transaction(recorder, upstreams()[0], 0);
    ids.push_back(first->record.id);
    recorder.finish(std::move(first));
    // The writer took the first record and is stuck writing it.
    ASSERT_TRUE(gate->wait_for_writes(1));

    for (int i = 1; i < kCount; ++i) {
      auto tx = transaction(recorder, upstreams()[i % upstreams().size()], i);
      ids.push_back(tx->record.id);
      recorder.finish(std::move(tx));
    }
    // Every finish() returned with the gate still shut: none waited for the store.
    // Two fit the queue; the other seven were dropped and counted.
    EXPECT_EQ(recorder.dropped(), static_cast<std::uint64_t>(kCount - 3));
    EXPECT_EQ(recorder.written(), 0u);

    gate->open_now();
    recorder.stop();
    EXPECT_FALSE(gate->timed_out);
    EXPECT_EQ(recorder.written(), 3u);
    EXPECT_EQ(recorder.dropped(), static_cast<std::uint64_t>(kCount - 3));
  }

  auto store = open(dir.store_url());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->count().value_or(-1), 3);
  for (int i = 0; i < kCount; ++i) {
    auto got = store->get(ids[i]);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->has_value(), i < 3) << "transaction " << i;
  }
  // The live view still hears about every transaction, dropped or not.
  const auto finished = live.finished();
  EXPECT_EQ(finished.size(), static_cast<std::size_t>(kCount));
}

TEST(TransactionRecorder, StopIsIdempotentAndLaterFinishesAreDropped) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  TransactionRecorder recorder(options(), open(dir.store_url()), nullptr, nullptr);
  recorder.finish(transaction(recorder, upstreams()[0], 0));
  recorder.stop();
  recorder.stop();
  EXPECT_EQ(recorder.written(), 1u);
  recorder.finish(transaction(recorder, upstreams()[1], 1));
  recorder.stop();
  EXPECT_EQ(recorder.written(), 1u);
  EXPECT_EQ(recorder.dropped(), 1u);
}

TEST(TransactionRecorder, StopWithNothingQueuedReturns) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  TransactionRecorder recorder(options(), open(dir.store_url()), nullptr, nullptr);
  recorder.stop();
  EXPECT_EQ(recorder.written(), 0u);
  EXPECT_EQ(recorder.dropped(), 0u);
}

TransactionRecord stored(std::string id, std::int64_t started_at_us) {
  TransactionRecord r;
  r.id = std::move(id);
  r.started_at_us = started_at_us;
  r.endpoint = "/v1/messages";
  r.dialect = "anthropic";
  r.model = "old";
  r.status = 200;
  r.outcome = "completed";
  return r;
}

// Records from 3 and 2 days ago, and from an hour ago, then one transaction
// through a recorder keeping `retention_days`; the ids left afterwards.
std::vector<std::string> after_sweep(double retention_days) {
  TempDir dir;
  EXPECT_TRUE(dir.ok());
  constexpr std::int64_t kDayUs = 86400LL * 1000 * 1000;
  const std::int64_t now = policy::now_us();
  {
    auto store = open(dir.store_url());
    EXPECT_TRUE(store);
    if (!store) return {};
    auto wrote = store->write({stored("txn_3d", now - 3 * kDayUs), stored("txn_2d", now - 2 * kDayUs),
                               stored("txn_1h", now - kDayUs / 24)});
    EXPECT_TRUE(wrote) << wrote.error().message;
  }
  auto o = options();
  o.retention_days = retention_days;
  std::string id;
  {
    TransactionRecorder recorder(o, open(dir.store_url()), nullptr, nullptr);
    auto tx = transaction(recorder, upstreams()[0], 0);
    id = tx->record.id;
    recorder.finish(std::move(tx));  // wakes the writer: it sweeps, then writes
    recorder.stop();
  }
  auto store = open(dir.store_url());
  storage::TransactionQuery all;
  auto page = store->list(all);
  EXPECT_TRUE(page) << page.error().message;
  std::vector<std::string> ids;
  for (const auto& r : page.value_or(std::vector<TransactionRecord>{})) {
    ids.push_back(r.id == id ? "new" : r.id);
  }
  return ids;
}

TEST(TransactionRecorder, RetentionDeletesOldRecordsOnTheFirstSweep) {
  EXPECT_EQ(after_sweep(1), (std::vector<std::string>{"new", "txn_1h"}));
  EXPECT_EQ(after_sweep(2.5), (std::vector<std::string>{"new", "txn_1h", "txn_2d"}));
}

TEST(TransactionRecorder, NoRetentionKeepsEverything) {
  EXPECT_EQ(after_sweep(0), (std::vector<std::string>{"new", "txn_1h", "txn_2d", "txn_3d"}));
}

TEST(RecordSummary, PolicyActionsBecomeAnArrayOfWords) {
  TransactionRecord r = stored("txn_s", 5);
  r.policy_actions = "a:b  c:d ";
  const json::object summary = record_summary(r);
  EXPECT_EQ(words_of(summary.at("policy_actions")), (std::vector<std::string>{"a:b", "c:d"}));
  r.policy_actions = "";
  EXPECT_TRUE(record_summary(r).at("policy_actions").as_array().empty());
  EXPECT_EQ(record_summary(r).at("id"), "txn_s");
  EXPECT_EQ(record_summary(r).at("started_at_us").to_number<std::int64_t>(), 5);
}

}  // namespace
}  // namespace warden::observability::test
