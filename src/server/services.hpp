#pragma once
// What every connection shares: configuration, providers, the policy, and the
// counters shutdown watches. Built once at start; immutable but for the atomics.

#include <atomic>
#include <memory>

#include "config/config.hpp"
#include "pipeline/policy_orchestrator.hpp"
#include "policy/policy.hpp"
#include "upstream/router.hpp"

namespace warden::server {

struct Services {
  config::Config config;
  std::unique_ptr<upstream::Router> router;
  std::shared_ptr<policy::Policy> policy;
  std::unique_ptr<pipeline::PolicyOrchestrator> orchestrator;
  std::atomic<bool> draining{false};
  std::atomic<int> active_requests{0};
};

}  // namespace warden::server
