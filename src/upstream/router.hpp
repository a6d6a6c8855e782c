#pragma once
// Model name → provider (README, "Routing"): routes are globs (`*`, `?`) tried
// in order, first match wins; a route may rename the model upstream (an alias).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "upstream/upstream_client.hpp"

namespace warden::upstream {

struct Route {
  std::shared_ptr<const Provider> provider;
  std::string upstream_model;  // what the provider is asked for
};

class Router final {
 public:
  // Builds every configured provider; throws std::runtime_error on a bad one.
  explicit Router(const config::Config& config);

  std::optional<Route> route(std::string_view model) const;
  // The provider configured under `name`, or null.
  std::shared_ptr<const Provider> provider(std::string_view name) const;
  // What GET /v1/models lists: literal route names (aliases included) and each
  // provider's configured `models`, without duplicates, in configuration order.
  std::vector<std::string> listed_models() const;

 private:
  struct Entry {
    config::RouteConfig config;
    std::shared_ptr<const Provider> provider;
  };
  std::vector<std::shared_ptr<const Provider>> providers_;
  std::vector<Entry> routes_;
};

// Shell-style match of `*` (any run) and `?` (one character).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace warden::upstream
