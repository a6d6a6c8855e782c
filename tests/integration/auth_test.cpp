// Credential modes through the real binary: what reaches the upstream.

#include <gtest/gtest.h>

#include "integration/gateway.hpp"

namespace warden::testing {
namespace {

HttpRequest with_headers(std::vector<std::pair<std::string, std::string>> extra) {
  HttpRequest r{"POST", "/v1/messages", anthropic_headers("text", ""),
                messages_body("claude-x", false)};
  for (auto& h : extra) r.headers.push_back(std::move(h));
  return r;
}

TEST(AuthTest, ProxyKeyModeRequiresTheGatewayKeyAndSendsTheServerKey) {
  Gateway gateway({{"WARDEN_AUTH_MODE", "proxy_key"},
                   {"WARDEN_AUTH_PROXY_KEY", "gateway-secret"},
                   {"WARDEN_PROVIDERS_ANTHROPIC_API_KEY", "sk-server-key"}});
  EXPECT_EQ(http(gateway.port(), with_headers({})).status, 401u);
  EXPECT_EQ(http(gateway.port(), with_headers({{"x-api-key", "wrong"}})).status, 401u);
  EXPECT_TRUE(gateway.mock_requests().empty());

  for (const auto& header : std::vector<std::pair<std::string, std::string>>{
           {"x-api-key", "gateway-secret"},
           {"authorization", "Bearer gateway-secret"},
           {"x-warden-key", "gateway-secret"}}) {
    gateway.clear_mock_requests();
    const auto response = http(gateway.port(), with_headers({header}));
    ASSERT_EQ(response.status, 200u) << header.first << ": " << response.body;
    const auto seen = gateway.mock_requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(recorded_header(seen[0], "x-api-key"), "sk-server-key");
    EXPECT_EQ(recorded_header(seen[0], "authorization"), "");
    EXPECT_EQ(recorded_header(seen[0], "x-warden-key"), "");
  }
  // Nothing about the keys reaches the log.
  const std::string log = gateway.warden->stderr_text();
  EXPECT_EQ(log.find("gateway-secret"), std::string::npos);
  EXPECT_EQ(log.find("sk-server-key"), std::string::npos);
}

TEST(AuthTest, GatewayKeyInItsOwnHeaderLetsAnOAuthBearerPass) {
  Gateway gateway({{"WARDEN_AUTH_MODE", "proxy_key"},
                   {"WARDEN_AUTH_PROXY_KEY", "gateway-secret"},
                   {"WARDEN_PROVIDERS_ANTHROPIC_API_KEY", "sk-server-key"}});
  const auto response = http(gateway.port(), with_headers({{"x-warden-key", "gateway-secret"},
                                                           {"authorization", "Bearer oauth-tok"}}));
  ASSERT_EQ(response.status, 200u);
  const auto seen = gateway.mock_requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(recorded_header(seen[0], "authorization"), "Bearer oauth-tok");
  EXPECT_EQ(recorded_header(seen[0], "x-api-key"), "");
}

TEST(AuthTest, BothModeUsesTheServerKeyOnlyForGatewayKeyHolders) {
  Gateway gateway({{"WARDEN_AUTH_MODE", "both"},
                   {"WARDEN_AUTH_PROXY_KEY", "gateway-secret"},
                   {"WARDEN_PROVIDERS_ANTHROPIC_API_KEY", "sk-server-key"}});
  ASSERT_EQ(http(gateway.port(), with_headers({{"x-api-key", "gateway-secret"}})).status, 200u);
  ASSERT_EQ(http(gateway.port(), with_headers({{"x-api-key", "sk-client-own"}})).status, 200u);
  const auto seen = gateway.mock_requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(recorded_header(seen[0], "x-api-key"), "sk-server-key");
  EXPECT_EQ(recorded_header(seen[1], "x-api-key"), "sk-client-own");
}

}  // namespace
}  // namespace warden::testing
