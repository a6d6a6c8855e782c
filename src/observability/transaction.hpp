#pragma once
// One transaction as it happens: the record the handler fills in, the bytes
// captured on both sides, and the marks the trace and metrics need. Lives on
// the transaction's I/O thread until TransactionRecorder::finish takes it.

#include <chrono>
#include <string>
#include <vector>

#include "core/byte_capture.hpp"
#include "core/request.hpp"
#include "policy/policy.hpp"
#include "storage/transaction_record.hpp"

namespace warden::observability {

struct Transaction {
  using Clock = std::chrono::steady_clock;

  storage::TransactionRecord record;
  core::Dialect client_dialect = core::Dialect::kAnthropic;
  core::Dialect upstream_dialect = core::Dialect::kAnthropic;
  bool upstream_stream = false;   // the upstream answered with an event stream
  core::ByteCapture ingress;      // the upstream's body
  core::ByteCapture egress;       // what the client got
  Clock::time_point started = Clock::now();
  Clock::time_point upstream_sent{};  // the upstream request went out; zero if it never did
  std::string parent_span_id;          // the client's traceparent, "" when none
  std::string span_id;                 // this transaction's root span
  std::vector<policy::PolicyEvent> events;  // moved from the policy context at the end
  std::vector<policy::WorkSpan> spans;

  // µs since `started`, or -1 for a zero time point.
  std::int64_t offset_us(Clock::time_point t) const {
    if (t == Clock::time_point{}) return -1;
    return std::chrono::duration_cast<std::chrono::microseconds>(t - started).count();
  }
};

}  // namespace warden::observability
