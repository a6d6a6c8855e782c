// POST /v1/messages through the real warden binary to the real mock upstream:
// what comes back must be what going direct gives, byte for byte.

#include <gtest/gtest.h>

#include "integration/gateway.hpp"

namespace warden::testing {
namespace {

class MessagesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gateway_ = new Gateway(); }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }
  static HttpRequest request(const std::string& scenario, bool stream) {
    return {"POST", "/v1/messages", anthropic_headers(scenario),
            messages_body("claude-sonnet-4-5", stream)};
  }
  static Gateway* gateway_;
};
Gateway* MessagesTest::gateway_ = nullptr;

class SameBytesTest : public MessagesTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(SameBytesTest, StreamIsByteIdenticalToDirect) {
  const auto direct = http(gateway_->mock_port(), request(GetParam(), true));
  const auto through = http(gateway_->port(), request(GetParam(), true));
  ASSERT_EQ(direct.status, 200u);
  ASSERT_EQ(through.status, 200u);
  EXPECT_TRUE(through.complete);
  EXPECT_EQ(through.header("content-type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(through.body, direct.body);
  EXPECT_NE(through.body.find("event: message_stop"), std::string::npos);
}

TEST_P(SameBytesTest, NonStreamingBodyIsIdenticalToDirect) {
  const auto direct = http(gateway_->mock_port(), request(GetParam(), false));
  const auto through = http(gateway_->port(), request(GetParam(), false));
  ASSERT_EQ(through.status, 200u);
  EXPECT_EQ(through.header("content-type"), direct.header("content-type"));
  EXPECT_EQ(through.body, direct.body);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, SameBytesTest,
                         ::testing::Values("text", "tool_use", "two_tools", "thinking"));

TEST_F(MessagesTest, RequestReachesUpstreamUnchanged) {
  gateway_->clear_mock_requests();
  // Fields and roles Warden does not know, in an order a re-serializer would not keep.
  const std::string body =
      R"({"zeta":1,"model":"claude-sonnet-4-5","max_tokens":64,"messages":[)"
      R"({"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi",)"
      R"("cache_control":{"type":"ephemeral"}},{"type":"future_block","x":[1,2]}]}],)"
      R"("metadata":{"user_id":"u1"},"context_management":{"edits":[]}, "stream":false})";
  HttpRequest r{"POST", "/v1/messages?beta=true", anthropic_headers("text"), body};
  r.headers.emplace_back("anthropic-beta", "interleaved-thinking-2025-05-14,claude-code-20250219");
  r.headers.emplace_back("anthropic-beta", "files-api-2025-04-14, claude-code-20250219");
  r.headers.emplace_back("x-stainless-retry-count", "0");
  r.headers.emplace_back("x-custom-unknown", "kept");
  r.headers.emplace_back("x-warden-key", "must-not-leak");
  const auto response = http(gateway_->port(), r);
  ASSERT_EQ(response.status, 200u) << response.body;

  const auto requests = gateway_->mock_requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& seen = requests[0];
  EXPECT_EQ(seen.at("target").as_string(), "/v1/messages?beta=true");
  EXPECT_EQ(seen.at("body").as_string(), body);
  EXPECT_EQ(recorded_header(seen, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(recorded_header(seen, "anthropic-beta"),
            "interleaved-thinking-2025-05-14,claude-code-20250219,files-api-2025-04-14");
  EXPECT_EQ(recorded_header(seen, "x-stainless-retry-count"), "0");
  EXPECT_EQ(recorded_header(seen, "x-custom-unknown"), "kept");
  EXPECT_EQ(recorded_header(seen, "x-api-key"), "sk-test-key");
  EXPECT_EQ(recorded_header(seen, "x-warden-key"), "");
  EXPECT_EQ(recorded_header(seen, "host"), "127.0.0.1:" + std::to_string(gateway_->mock_port()));
}

TEST_F(MessagesTest, BearerTokenAndNewApiVersionPassThrough) {
  gateway_->clear_mock_requests();
  HttpRequest r{"POST", "/v1/messages",
                {{"content-type", "application/json"},
                 {"anthropic-version", "2026-10-21"},
                 {"authorization", "Bearer sk-ant-oat-token"}},
                messages_body("claude-sonnet-4-5", true)};
  const auto response = http(gateway_->port(), r);
  ASSERT_EQ(response.status, 200u);
  const auto requests = gateway_->mock_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(recorded_header(requests[0], "authorization"), "Bearer sk-ant-oat-token");
  EXPECT_EQ(recorded_header(requests[0], "anthropic-version"), "2026-10-21");
  EXPECT_EQ(recorded_header(requests[0], "x-api-key"), "");
}

TEST_F(MessagesTest, ResponseHeadersComeBack) {
  const auto response = http(gateway_->port(), request("text", true));
  EXPECT_EQ(response.header("request-id").rfind("req_mock", 0), 0u);
  EXPECT_EQ(response.header("anthropic-ratelimit-requests-limit"), "1000");
  EXPECT_EQ(response.header("cache-control"), "no-cache");
  EXPECT_EQ(response.header("transfer-encoding"), "chunked");
  EXPECT_EQ(response.header("content-length"), "");
}

TEST_F(MessagesTest, KeepAliveCarriesSeveralRequests) {
  HttpConnection connection(gateway_->port());
  for (int i = 0; i < 3; ++i) {
    const auto streamed = connection.send(request("text", true));
    EXPECT_EQ(streamed.status, 200u);
    EXPECT_TRUE(streamed.complete);
    const auto whole = connection.send(request("tool_use", false));
    EXPECT_EQ(whole.status, 200u);
    EXPECT_TRUE(whole.complete);
  }
}

TEST_F(MessagesTest, CountTokensIsForwarded) {
  HttpRequest r{"POST", "/v1/messages/count_tokens?beta=true", anthropic_headers(),
                R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]})"};
  const auto direct = http(gateway_->mock_port(), r);
  const auto through = http(gateway_->port(), r);
  ASSERT_EQ(through.status, 200u);
  EXPECT_EQ(through.body, direct.body);
}

TEST_F(MessagesTest, HealthAnswers) {
  const auto response = http(gateway_->port(), {"GET", "/health", {}, ""});
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, R"({"status":"ok"})");
}

}  // namespace
}  // namespace warden::testing
