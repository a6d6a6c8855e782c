#pragma once
// What every connection shares: configuration, providers, the policy, the
// recorder and admin API, and the counters shutdown watches. Built once at
// start; immutable but for the atomics.

#include <atomic>
#include <memory>

#include "admin/admin_api.hpp"
#include "admin/record_reader.hpp"
#include "config/config.hpp"
#include "observability/event_bus.hpp"
#include "observability/trace_exporter.hpp"
#include "observability/transaction_recorder.hpp"
#include "pipeline/policy_orchestrator.hpp"
#include "policy/policy.hpp"
#include "upstream/router.hpp"

namespace warden::server {

struct Services {
  config::Config config;
  std::unique_ptr<upstream::Router> router;
  std::shared_ptr<policy::Policy> policy;
  std::unique_ptr<pipeline::PolicyOrchestrator> orchestrator;
  // Recording (stopped in this order at shutdown: recorder, traces, bus).
  std::unique_ptr<observability::EventBus> bus;
  std::unique_ptr<observability::TraceExporter> traces;  // null: no otel.endpoint
  std::unique_ptr<observability::TransactionRecorder> recorder;
  std::unique_ptr<admin::RecordReader> reader;
  std::unique_ptr<admin::AdminApi> admin;
  std::atomic<bool> draining{false};
  std::atomic<int> active_requests{0};
};

}  // namespace warden::server
