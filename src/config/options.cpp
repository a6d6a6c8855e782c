#include "config/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "config/config_loader.hpp"

namespace warden::config {

namespace json = boost::json;

Options::Options(std::shared_ptr<const json::value> root, std::shared_ptr<const Locations> where,
                 std::string path)
    : root_(std::move(root)), where_(std::move(where)), value_(root_.get()), path_(std::move(path)) {}

Options::Options(const Options& parent, const json::value* value, std::string path)
    : root_(parent.root_), where_(parent.where_), value_(value), path_(std::move(path)) {}

bool Options::has(std::string_view key) const {
  return is_map() && value_->get_object().contains(key);
}

Options Options::operator[](std::string_view key) const {
  const json::value* child = is_map() ? value_->get_object().if_contains(key) : nullptr;
  return Options(*this, child, path_ + "." + std::string(key));
}

std::vector<Options> Options::items() const {
  std::vector<Options> out;
  if (!present()) return out;
  if (!is_list()) fail("expected a list");
  const auto& list = value_->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    out.push_back(Options(*this, &list[i], path_ + "[" + std::to_string(i) + "]"));
  }
  return out;
}

void Options::allow_keys(std::initializer_list<std::string_view> allowed) const {
  if (!present()) return;
  if (!is_map()) fail("expected a map of keys");
  for (const auto& [key, value] : value_->get_object()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string known;
    for (auto k : allowed) known += (known.empty() ? "" : ", ") + std::string(k);
    (*this)[key].fail("unknown key (known here: " + known + ")");
  }
}

std::string Options::text() const {
  if (value_ == nullptr || !value_->is_string()) fail("expected a string");
  return std::string(value_->get_string());
}

std::string Options::text(std::string_view key, std::string_view fallback) const {
  const Options child = (*this)[key];
  return child.present() ? child.text() : std::string(fallback);
}

double Options::number(std::string_view key, double fallback, double min, double max) const {
  const Options child = (*this)[key];
  if (!child.present()) return fallback;
  const std::string s = child.text();
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(value)) {
    child.fail("expected a number, got '" + s + "'");
  }
  if (value < min || value > max) {
    std::ostringstream range;
    range << "must be between " << min << " and " << max << ", got " << s;
    child.fail(range.str());
  }
  return value;
}

std::size_t Options::count(std::string_view key, std::size_t fallback, std::size_t min,
                           std::size_t max) const {
  const double value = number(key, static_cast<double>(fallback), static_cast<double>(min),
                              static_cast<double>(max));
  if (value != std::floor(value)) (*this)[key].fail("expected a whole number");
  return static_cast<std::size_t>(value);
}

bool Options::boolean(std::string_view key, bool fallback) const {
  const Options child = (*this)[key];
  if (!child.present()) return fallback;
  const std::string s = child.text();
  if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
  if (s == "false" || s == "no" || s == "off" || s == "0") return false;
  child.fail("expected true or false, got '" + s + "'");
}

std::vector<std::string> Options::texts(std::string_view key) const {
  const Options child = (*this)[key];
  std::vector<std::string> out;
  if (!child.present()) return out;
  if (!child.is_list()) {
    out.push_back(child.text());
    return out;
  }
  for (const auto& item : child.items()) out.push_back(item.text());
  return out;
}

void Options::fail(std::string_view message) const {
  // The nearest location known: this path's, else its parent's, …
  std::string where;
  if (where_ != nullptr) {
    std::string path = path_;
    while (true) {
      if (auto it = where_->find(path); it != where_->end()) {
        where = it->second;
        break;
      }
      const auto cut = path.find_last_of(".[");
      if (cut == std::string::npos || cut == 0) break;
      path.resize(cut);
    }
  }
  if (where.empty()) where = "configuration";
  throw ConfigError(where + ": " + path_ + ": " + std::string(message));
}

}  // namespace warden::config
