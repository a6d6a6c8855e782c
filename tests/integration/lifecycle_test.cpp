// Start, configuration checks and graceful shutdown of the real binary.

#include <signal.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "integration/gateway.hpp"

namespace warden::testing {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = temp_dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(LifecycleTest, SigtermLetsAnInFlightStreamFinishThenExitsZero) {
  Gateway gateway;
  HttpResponse streamed;
  std::thread client([&] {
    HttpRequest r{"POST", "/v1/messages", anthropic_headers("slow"),
                  messages_body("claude-x", true)};
    r.headers.emplace_back("x-mock-delay-ms", "50");  // ~1 s of stream
    streamed = http(gateway.port(), r);
  });
  // Wait until the stream is running upstream, then ask Warden to stop.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (gateway.mock_stats().at("active_streams").to_number<std::int64_t>() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  gateway.warden->signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // New connections are refused while the stream drains.
  EXPECT_THROW(HttpConnection(gateway.port()), std::exception);
  client.join();
  EXPECT_EQ(streamed.status, 200u);
  EXPECT_TRUE(streamed.complete);
  EXPECT_NE(streamed.body.find("event: message_stop"), std::string::npos);
  EXPECT_EQ(gateway.warden->wait(std::chrono::seconds(10)), 0) << gateway.warden->stderr_text();
}

TEST(LifecycleTest, IdleKeepAliveConnectionsDoNotDelayShutdown) {
  Gateway gateway;
  HttpConnection idle(gateway.port());
  ASSERT_EQ(idle.send({"GET", "/health", {}, ""}).status, 200u);
  const auto start = std::chrono::steady_clock::now();
  gateway.warden->signal(SIGINT);
  EXPECT_EQ(gateway.warden->wait(std::chrono::seconds(5)), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(LifecycleTest, ServesWithNoConfigurationAtAll) {
  // Defaults: the Anthropic provider at https://api.anthropic.com. Only /health
  // is asked (no network here), on a free port instead of 8000.
  Process warden({"serve"}, {{"WARDEN_LISTEN", "127.0.0.1:0"}});
  EXPECT_EQ(http(warden.port(), {"GET", "/health", {}, ""}).status, 200u);
  EXPECT_NE(warden.stderr_text().find("https://api.anthropic.com"), std::string::npos);
}

TEST(LifecycleTest, ConfigFileIsRead) {
  Process mock({"mock-upstream", "--port", "0"});
  const std::string path = write_file(
      "warden.yaml", "listen: 127.0.0.1:0\nproviders:\n  anthropic:\n    base_url: http://127.0.0.1:" +
                         std::to_string(mock.port()) + "\n");
  Process warden({"serve", "--config", path});
  const auto response = http(warden.port(), {"POST", "/v1/messages", anthropic_headers("text"),
                                             messages_body("claude-x", false)});
  EXPECT_EQ(response.status, 200u);
}

TEST(LifecycleTest, CheckConfigAcceptsAValidFile) {
  const std::string path = write_file("ok.yaml",
                                      "listen: 127.0.0.1:9000\n"
                                      "auth:\n  mode: both\n  proxy_key: secret\n");
  Process check({"check-config", path}, {}, false);
  EXPECT_EQ(check.wait(std::chrono::seconds(10)), 0) << check.stderr_text();
  EXPECT_NE(check.stdout_text().find("valid"), std::string::npos);
}

TEST(LifecycleTest, CheckConfigNamesTheBadKeyAndLine) {
  const std::string path = write_file("bad.yaml",
                                      "listen: 127.0.0.1:9000\n"
                                      "providers:\n"
                                      "  anthropic:\n"
                                      "    base_ur: https://example.invalid\n");
  Process check({"check-config", "--config", path}, {}, false);
  EXPECT_EQ(check.wait(std::chrono::seconds(10)), 1);
  const std::string err = check.stderr_text();
  EXPECT_NE(err.find("bad.yaml:4"), std::string::npos) << err;
  EXPECT_NE(err.find("providers.anthropic.base_ur"), std::string::npos) << err;
}

// A bad policy option is found at start: serve refuses to start, check-config
// says why, both with the file, line and key.
TEST(LifecycleTest, ABadPolicyOptionStopsServeAndCheckConfig) {
  const std::string path = write_file("policy.yaml",
                                      "listen: 127.0.0.1:0\n"
                                      "policy:\n"
                                      "  type: chain\n"
                                      "  policies:\n"
                                      "    - type: all_caps\n"
                                      "    - type: tool_filter\n"
                                      "      deny:\n"
                                      "        - { tool: Bash, argument_pattern: 'rm\\s+(-rf' }\n");
  for (const auto& args :
       {std::vector<std::string>{"serve", "--config", path},
        std::vector<std::string>{"check-config", path}}) {
    Process warden(args, {}, false);
    EXPECT_EQ(warden.wait(std::chrono::seconds(10)), 1) << args[0];
    const std::string err = warden.stderr_text();
    EXPECT_NE(err.find("policy.yaml:8: policy.policies[1].deny[0].argument_pattern: "
                       "invalid regular expression"),
              std::string::npos)
        << args[0] << ": " << err;
    EXPECT_EQ(warden.stdout_text().find("listening"), std::string::npos) << args[0];
  }
  const std::string unknown = write_file("unknown.yaml", "policy:\n  type: judge_me\n");
  Process check({"check-config", unknown}, {}, false);
  EXPECT_EQ(check.wait(std::chrono::seconds(10)), 1);
  EXPECT_NE(check.stderr_text().find("unknown.yaml:2: policy.type: unknown policy type 'judge_me'"),
            std::string::npos)
      << check.stderr_text();
}

TEST(LifecycleTest, CheckConfigNamesABadEnvironmentOverride) {
  Process check({"check-config"}, {{"WARDEN_LISTEN", "no-port-here"}}, false);
  EXPECT_EQ(check.wait(std::chrono::seconds(10)), 1);
  EXPECT_NE(check.stderr_text().find("WARDEN_LISTEN"), std::string::npos) << check.stderr_text();
}

}  // namespace
}  // namespace warden::testing
