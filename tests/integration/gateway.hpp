#pragma once
// A mock upstream and a Warden in front of it, both real processes on free
// loopback ports.

#include <memory>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "integration/http_client.hpp"
#include "integration/process.hpp"

namespace warden::testing {

struct Gateway {
  std::unique_ptr<Process> mock;
  std::unique_ptr<Process> warden;

  // `env` is added to Warden's environment (WARDEN_* overrides).
  explicit Gateway(std::map<std::string, std::string> env = {}) {
    mock = std::make_unique<Process>(std::vector<std::string>{"mock-upstream", "--port", "0"});
    env.emplace("WARDEN_LISTEN", "127.0.0.1:0");
    env.emplace("WARDEN_PROVIDERS_ANTHROPIC_BASE_URL",
                "http://127.0.0.1:" + std::to_string(mock->port()));
    env.emplace("WARDEN_SHUTDOWN_GRACE_SECONDS", "10");
    warden = std::make_unique<Process>(std::vector<std::string>{"serve"}, env);
  }

  std::uint16_t port() const { return warden->port(); }
  std::uint16_t mock_port() const { return mock->port(); }

  // What the mock received, as JSON (docs/mock-upstream.md).
  boost::json::array mock_requests() const {
    HttpRequest r{"GET", "/_mock/requests", {}, ""};
    return boost::json::parse(http(mock_port(), r).body).as_array();
  }
  void clear_mock_requests() const { http(mock_port(), {"DELETE", "/_mock/requests", {}, ""}); }
  boost::json::object mock_stats() const {
    return boost::json::parse(http(mock_port(), {"GET", "/_mock/stats", {}, ""}).body).as_object();
  }
};

// The value of header `name` (case-insensitive) in one recorded mock request; "" if absent.
inline std::string recorded_header(const boost::json::value& request, std::string_view name) {
  std::string out;
  for (const auto& pair : request.at("headers").as_array()) {
    std::string key(pair.as_array()[0].as_string());
    for (auto& c : key) c = static_cast<char>(std::tolower(c));
    if (key == name) {
      if (!out.empty()) out += "\n";
      out += std::string(pair.as_array()[1].as_string());
    }
  }
  return out;
}

}  // namespace warden::testing
