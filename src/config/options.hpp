#pragma once
// A section of the configuration file whose keys the config loader does not
// know (a policy's options): kept as a tree, with where each value came from,
// so the code that does know them can read and validate them and still report
// "config.yaml:12: policy.policies[1].deny[0].argument_pattern: …".
//
// Scalars are kept as the strings YAML read; the typed getters parse them.
// Every getter and `fail` throws ConfigError (config_loader.hpp).

#include <cstddef>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace warden::config {

class Options {
 public:
  // path → "file:line" (or "VAR (environment)").
  using Locations = std::map<std::string, std::string, std::less<>>;

  Options() = default;
  Options(std::shared_ptr<const boost::json::value> root, std::shared_ptr<const Locations> where,
          std::string path);

  const std::string& path() const { return path_; }
  bool present() const { return value_ != nullptr && !value_->is_null(); }
  bool is_map() const { return value_ != nullptr && value_->is_object(); }
  bool is_list() const { return value_ != nullptr && value_->is_array(); }
  bool has(std::string_view key) const;
  // The section as it was written (null when absent), for display.
  boost::json::value to_json() const { return value_ != nullptr ? *value_ : nullptr; }

  // The value under `key` (absent: `present()` is false).
  Options operator[](std::string_view key) const;
  // The items of a list (absent: none). Fails when this is not a list.
  std::vector<Options> items() const;
  // Fails naming the first key not in `allowed`; also when this is not a map.
  void allow_keys(std::initializer_list<std::string_view> allowed) const;

  std::string text() const;
  std::string text(std::string_view key, std::string_view fallback) const;
  double number(std::string_view key, double fallback, double min, double max) const;
  std::size_t count(std::string_view key, std::size_t fallback, std::size_t min,
                    std::size_t max) const;
  bool boolean(std::string_view key, bool fallback) const;
  // A list of strings, or one string as a list of one (absent: empty).
  std::vector<std::string> texts(std::string_view key) const;

  // Throws ConfigError: "<where>: <path>: <message>".
  [[noreturn]] void fail(std::string_view message) const;

 private:
  Options(const Options& parent, const boost::json::value* value, std::string path);

  std::shared_ptr<const boost::json::value> root_;
  std::shared_ptr<const Locations> where_;
  const boost::json::value* value_ = nullptr;
  std::string path_;
};

}  // namespace warden::config
