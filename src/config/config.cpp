#include "config/config.hpp"

namespace warden::config {

const ProviderConfig* Config::provider(std::string_view name) const {
  for (const auto& p : providers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace warden::config
