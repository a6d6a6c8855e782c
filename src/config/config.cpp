#include "config/config.hpp"

namespace warden::config {

const ProviderConfig* Config::anthropic_provider() const {
  const ProviderConfig* first = nullptr;
  for (const auto& p : providers) {
    if (p.dialect != "anthropic") continue;
    if (p.name == "anthropic") return &p;
    if (first == nullptr) first = &p;
  }
  return first;
}

}  // namespace warden::config
