// Bad input and failures, through the real binaries: always Anthropic's error
// shape with the right status, and never a truncated stream that looks complete.

#include <signal.h>

#include <thread>

#include <gtest/gtest.h>

#include "integration/gateway.hpp"

namespace warden::testing {
namespace {

namespace json = boost::json;

// Asserts `response` is {"type":"error","error":{"type":type,"message":…}}.
void expect_error(const HttpResponse& response, unsigned status, const std::string& type,
                  const std::string& message_part = "") {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(response.header("content-type"), "application/json");
  boost::system::error_code ec;
  const json::value body = json::parse(response.body, ec);
  ASSERT_FALSE(ec) << response.body;
  EXPECT_EQ(body.at("type").as_string(), "error");
  EXPECT_EQ(body.at("error").at("type").as_string(), type);
  const std::string message(body.at("error").at("message").as_string());
  EXPECT_NE(message.find(message_part), std::string::npos) << message;
}

class ErrorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway_ = new Gateway({{"WARDEN_LIMITS_MAX_BODY_BYTES", "4096"},
                            {"WARDEN_LIMITS_MAX_HEADER_BYTES", "8192"},
                            {"WARDEN_LIMITS_HEADER_TIMEOUT_SECONDS", "1"}});
  }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }
  static HttpResponse post(const std::string& body, const std::string& scenario = "text") {
    return http(gateway_->port(), {"POST", "/v1/messages", anthropic_headers(scenario), body});
  }
  static Gateway* gateway_;
};
Gateway* ErrorsTest::gateway_ = nullptr;

TEST_F(ErrorsTest, MalformedJsonIs400) {
  expect_error(post("{\"model\": "), 400, "invalid_request_error", "not valid JSON");
  expect_error(post("[1,2]"), 400, "invalid_request_error", "JSON object");
}

TEST_F(ErrorsTest, MissingRequiredFieldsAre400NamingTheField) {
  gateway_->clear_mock_requests();
  expect_error(post(R"({"max_tokens":5,"messages":[]})"), 400, "invalid_request_error", "model");
  expect_error(post(R"({"model":"claude-x","max_tokens":5})"), 400, "invalid_request_error",
               "messages");
  expect_error(post(R"({"model":"claude-x","messages":[]})"), 400, "invalid_request_error",
               "max_tokens");
  EXPECT_TRUE(gateway_->mock_requests().empty());  // answered by Warden, not forwarded
}

TEST_F(ErrorsTest, BodyOverTheLimitIs413) {
  const std::string big = messages_body("claude-x", false, std::string(8000, 'a'));
  expect_error(post(big), 413, "request_too_large", "4096");
}

TEST_F(ErrorsTest, MissingKeyIs401) {
  HttpRequest r{"POST", "/v1/messages", anthropic_headers("text", ""),
                messages_body("claude-x", false)};
  expect_error(http(gateway_->port(), r), 401, "authentication_error", "x-api-key");
}

TEST_F(ErrorsTest, UnknownRouteIs404) {
  expect_error(http(gateway_->port(), {"GET", "/v1/nothing-here", {}, ""}), 404,
               "not_found_error", "/v1/nothing-here");
  expect_error(http(gateway_->port(), {"GET", "/v1/messages", {}, ""}), 400,
               "invalid_request_error", "POST");
}

TEST_F(ErrorsTest, UpstreamErrorStatusesAreForwardedWithBodyAndRetryAfter) {
  for (const auto& [status, type] : std::vector<std::pair<unsigned, std::string>>{
           {400, "invalid_request_error"},
           {401, "authentication_error"},
           {429, "rate_limit_error"},
           {500, "api_error"},
           {529, "overloaded_error"}}) {
    for (bool stream : {false, true}) {
      const std::string scenario = "error_" + std::to_string(status);
      const auto direct = http(gateway_->mock_port(),
                               {"POST", "/v1/messages", anthropic_headers(scenario),
                                messages_body("claude-x", stream)});
      const auto through = post(messages_body("claude-x", stream), scenario);
      expect_error(through, status, type);
      // The same error body (request ids aside: the mock counts its requests).
      auto without_id = [](const std::string& body) {
        auto value = boost::json::parse(body);
        value.as_object().erase("request_id");
        return value;
      };
      EXPECT_EQ(without_id(through.body), without_id(direct.body));
      EXPECT_EQ(through.header("retry-after"), direct.header("retry-after"));
      EXPECT_EQ(through.header("request-id").rfind("req_mock", 0), 0u);
      if (status == 429 || status == 529) {
        EXPECT_EQ(through.header("retry-after"), "1");
      }
    }
  }
}

TEST_F(ErrorsTest, MidStreamErrorEventIsForwardedAndEndsTheStream) {
  const auto direct = http(gateway_->mock_port(), {"POST", "/v1/messages",
                                                   anthropic_headers("midstream_error"),
                                                   messages_body("claude-x", true)});
  const auto through = post(messages_body("claude-x", true), "midstream_error");
  EXPECT_EQ(through.status, 200u);
  EXPECT_EQ(through.body, direct.body);
  EXPECT_NE(through.body.find("event: error"), std::string::npos);
  EXPECT_EQ(through.body.find("message_stop"), std::string::npos);
}

TEST_F(ErrorsTest, DroppedUpstreamBecomesAnErrorEventNotASilentTruncation) {
  const auto through = post(messages_body("claude-x", true), "drop");
  EXPECT_EQ(through.status, 200u);
  EXPECT_TRUE(through.complete);  // Warden ends its own chunked body properly…
  EXPECT_EQ(through.body.find("message_stop"), std::string::npos);
  // …and the last event says the stream failed.
  const auto last = through.body.rfind("event: ");
  ASSERT_NE(last, std::string::npos);
  EXPECT_EQ(through.body.substr(last, 12), "event: error") << through.body.substr(last);
  EXPECT_NE(through.body.find("api_error", last), std::string::npos);
}

TEST_F(ErrorsTest, UnreachableUpstreamIs502SayingWhy) {
  const std::uint16_t dead_port = unused_port();
  Process warden({"serve"}, {{"WARDEN_LISTEN", "127.0.0.1:0"},
                             {"WARDEN_PROVIDERS_ANTHROPIC_BASE_URL",
                              "http://127.0.0.1:" + std::to_string(dead_port)}});
  const auto response = http(warden.port(), {"POST", "/v1/messages", anthropic_headers(),
                                             messages_body("claude-x", true)});
  expect_error(response, 502, "api_error", "connect");
}

TEST_F(ErrorsTest, OversizedHeadersAreRejected) {
  HttpRequest r{"POST", "/v1/messages", anthropic_headers("text"), messages_body("claude-x", false)};
  r.headers.emplace_back("x-huge", std::string(10000, 'h'));
  const auto response = http(gateway_->port(), r);
  expect_error(response, 400, "invalid_request_error", "headers exceed");
}

TEST_F(ErrorsTest, SlowHeadersAreCutOff) {
  const auto start = std::chrono::steady_clock::now();
  // An unfinished head; the server must close the connection after its 1 s limit.
  const std::string reply = raw_exchange(gateway_->port(), "POST /v1/messages HTTP/1.1\r\nHost: x\r\n",
                                         std::chrono::seconds(8));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(reply, "");
}

TEST_F(ErrorsTest, GarbageRequestLineGetsA400) {
  const std::string reply = raw_exchange(gateway_->port(), "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("invalid_request_error"), std::string::npos);
}

TEST_F(ErrorsTest, ClientDisconnectCancelsTheUpstreamRequest) {
  const auto before = gateway_->mock_stats();
  {
    HttpConnection connection(gateway_->port());
    HttpRequest r{"POST", "/v1/messages", anthropic_headers("slow"), messages_body("claude-x", true)};
    r.headers.emplace_back("x-mock-delay-ms", "100");
    const auto prefix = connection.send_and_read_prefix(r, 100);
    ASSERT_EQ(prefix.status, 200u);
    connection.close();
  }
  // The mock sees its stream aborted long before the ~2 s the slow stream would take.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::int64_t aborted = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    aborted = gateway_->mock_stats().at("aborted_streams").to_number<std::int64_t>();
    if (aborted > before.at("aborted_streams").to_number<std::int64_t>()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(aborted, before.at("aborted_streams").to_number<std::int64_t>() + 1);
  EXPECT_EQ(gateway_->mock_stats().at("active_streams").to_number<std::int64_t>(), 0);
}

TEST_F(ErrorsTest, ClientDisconnectCancelsANonStreamingRequest) {
  // The mock answers "slow" non-streaming after 20 × 200 ms; the client leaves after 300 ms.
  const auto start = std::chrono::steady_clock::now();
  HttpRequest r{"POST", "/v1/messages", anthropic_headers("slow"),
                messages_body("claude-x", false)};
  send_and_abandon(gateway_->port(), serialize(r, gateway_->port()), std::chrono::milliseconds(300));
  std::string log;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
    log = gateway_->warden->stderr_text();
    if (log.find("\"status\":499") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Warden noticed while the upstream was still thinking (before its 4 s answer).
  EXPECT_NE(log.find("\"status\":499"), std::string::npos) << log;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

}  // namespace
}  // namespace warden::testing
