// Fuzzes config::load_config_text and the policy registry behind it (the
// `policy:` options). Bad input must end in a ConfigError; any other exception
// escaping is a bug.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "config/config_loader.hpp"
#include "policy/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    const auto config = warden::config::load_config_text(yaml, "fuzz.yaml");
    if (config.providers.empty()) std::abort();  // the loader promises at least one
    for (const auto& route : config.routes) {
      if (config.provider(route.provider) == nullptr) std::abort();  // and resolvable routes
    }
    if (warden::policy::build_policy(config.policy) == nullptr) std::abort();
  } catch (const warden::config::ConfigError&) {
    // Expected for bad input.
  } catch (const std::exception& e) {
    std::cerr << "config_fuzz: not a ConfigError: " << e.what() << "\n";
    std::abort();
  }
  return 0;
}
