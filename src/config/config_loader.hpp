#pragma once
// Reads the YAML file, applies WARDEN_* environment overrides and ${VAR}
// references, and validates every key.

#include <stdexcept>
#include <string>

#include "config/config.hpp"

namespace warden::config {

// A bad key, value or file: the message names the key and, when it came from a
// file, the line ("config.yaml:7: providers.anthropic.base_ur: unknown key").
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `path` empty = no file (defaults + environment). Throws ConfigError.
Config load_config(const std::string& path);

// Same, from YAML text (for tests); `source` names it in messages.
Config load_config_text(const std::string& yaml, const std::string& source);

}  // namespace warden::config
