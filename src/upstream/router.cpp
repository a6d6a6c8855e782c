#include "upstream/router.hpp"

#include <algorithm>

namespace warden::upstream {

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative matcher with one backtrack point: linear in practice, no recursion.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Router::Router(const config::Config& config) {
  for (const auto& p : config.providers) providers_.push_back(make_provider(p));
  for (const auto& r : config.routes) {
    auto it = std::find_if(providers_.begin(), providers_.end(),
                           [&](const auto& p) { return p->config.name == r.provider; });
    if (it != providers_.end()) routes_.push_back({r, *it});
  }
}

std::optional<Route> Router::route(std::string_view model) const {
  for (const auto& entry : routes_) {
    if (!glob_match(entry.config.match, model)) continue;
    return Route{entry.provider,
                 entry.config.model.empty() ? std::string(model) : entry.config.model};
  }
  return std::nullopt;
}

std::vector<std::string> Router::listed_models() const {
  std::vector<std::string> models;
  auto add = [&](const std::string& m) {
    if (std::find(models.begin(), models.end(), m) == models.end()) models.push_back(m);
  };
  for (const auto& entry : routes_) {
    if (entry.config.match.find_first_of("*?") == std::string::npos) add(entry.config.match);
  }
  for (const auto& p : providers_) {
    for (const auto& m : p->config.models) {
      if (route(m)) add(m);
    }
  }
  return models;
}

std::shared_ptr<const Provider> Router::provider(std::string_view name) const {
  for (const auto& p : providers_) {
    if (p->config.name == name) return p;
  }
  return nullptr;
}

}  // namespace warden::upstream
