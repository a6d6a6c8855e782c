#pragma once
// Builds the configured policy from the `policy:` section of the configuration
// (config/options.hpp): `type` names a built-in, the other keys are its
// options; `type: chain` runs `policies:` in series. Everything is validated
// here, at start: an unknown type, a bad regex or a bad option throws
// config::ConfigError naming the file, line and key.

#include <memory>
#include <string>
#include <vector>

#include "config/options.hpp"
#include "policy/model_client.hpp"
#include "policy/policy.hpp"

namespace warden::policy {

// What policies may need from the rest of Warden.
struct PolicyDeps {
  ModelClientFactory model_client;  // for judges; unset: a policy needing one fails to build
};

// An absent section is the no-op policy.
std::shared_ptr<Policy> build_policy(const config::Options& spec, const PolicyDeps& deps = {});

// The type names build_policy knows, for messages and docs.
std::vector<std::string> policy_types();

}  // namespace warden::policy
