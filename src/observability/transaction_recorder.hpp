#pragma once
// Records every transaction (DESIGN.md, "Recording, events, storage") without
// slowing it: the handler fills a Transaction on its I/O thread, and finish()
// hands it to a bounded queue. One writer thread assembles the responses from
// the captured bytes, builds the trace, writes batches to the store, then
// publishes the finished events (so the record is there to read). When the store falls behind and the queue is
// full, records are dropped and counted (metrics, logs), never waited for.
// stop() writes everything accepted before it returns.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <boost/beast/http/fields.hpp>

#include "core/request.hpp"
#include "observability/event_bus.hpp"
#include "observability/trace_exporter.hpp"
#include "observability/transaction.hpp"
#include "policy/policy.hpp"
#include "storage/store.hpp"

namespace warden::observability {

class TransactionRecorder final {
 public:
  struct Options {
    bool metadata_only = false;  // keep no bodies or headers
    std::size_t max_body_bytes = 4 << 20;
    std::size_t queue_capacity = 10000;
    std::size_t batch_size = 256;
    double retention_days = 0;  // 0 = keep everything
    std::string session_header = "x-session-id";
    std::string proxy_key_header = "x-warden-key";  // a credential header too
  };

  // `bus` and `traces` may be null; both must outlive the recorder.
  TransactionRecorder(Options options, std::unique_ptr<storage::Store> store, EventBus* bus,
                      TraceExporter* traces);
  ~TransactionRecorder();  // stop()
  TransactionRecorder(const TransactionRecorder&) = delete;
  TransactionRecorder& operator=(const TransactionRecorder&) = delete;

  // A new transaction for a request that arrived with `headers`; its id,
  // trace ids (continuing the client's traceparent), caller and headers set.
  std::unique_ptr<Transaction> begin(const boost::beast::http::fields& headers,
                                     std::string_view endpoint, core::Dialect dialect) const;
  // After the body was decoded: model, stream flag and session.
  void identify(Transaction& tx, const boost::beast::http::fields& headers,
                const core::Request& request) const;
  // Routed: the live "transaction_started" event.
  void started(const Transaction& tx) const;
  // Whether live progress events would reach anyone (then call progress()).
  bool watched() const { return bus_ != nullptr && bus_->watched(); }
  // A live "transaction_progress" event: bytes sent to the client so far.
  void progress(const Transaction& tx) const;
  // A policy event, as it happens: live, and counted in metrics.
  void policy_event(const Transaction& tx, const policy::PolicyEvent& event) const;
  // The end: metrics now; assembly, trace, live "transaction_finished" and
  // the write on the writer thread.
  void finish(std::unique_ptr<Transaction> tx);

  // Writes what was accepted and stops the writer. Idempotent.
  void stop();

  std::uint64_t written() const;
  std::uint64_t dropped() const;

 private:
  void run();
  void complete(Transaction& tx) const;  // on the writer thread
  void trace(const Transaction& tx) const;
  void sweep(std::int64_t now_us);
  void publish_finished(const storage::TransactionRecord& record) const;

  const Options options_;
  std::unique_ptr<storage::Store> store_;
  EventBus* bus_;
  TraceExporter* traces_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Transaction>> queue_;
  bool stopping_ = false;
  std::uint64_t written_ = 0;
  std::uint64_t dropped_ = 0;
  std::int64_t last_drop_log_us_ = 0;
  std::int64_t next_sweep_us_ = 0;
  std::thread writer_;
};

// The summary fields of a record as JSON (no bodies): what lists and live
// events show.
boost::json::object record_summary(const storage::TransactionRecord& record);

}  // namespace warden::observability
