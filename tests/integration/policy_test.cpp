// Policies and stream safety through the real binary: a policy chain with the
// run-time grammar check on (every stream the client gets is validated), and
// the backpressure circuit breaker cutting off a client that stops reading.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "integration/gateway.hpp"

namespace warden::testing {
namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(PolicyIntegration, EveryStreamThroughAPolicyPassesTheGrammarCheck) {
  Gateway gateway({{"WARDEN_POLICY_TYPE", "all_caps"}, {"WARDEN_STREAM_VALIDATE", "true"}});
  int streams = 0;
  for (const std::string scenario : {"text", "tool_use", "two_tools", "thinking", "bash",
                                     "midstream_error"}) {
    SCOPED_TRACE(scenario);
    HttpRequest anthropic{"POST", "/v1/messages", anthropic_headers(scenario),
                          messages_body("claude-mock-1", true, "hello")};
    const auto a = http(gateway.port(), anthropic);
    EXPECT_EQ(a.status, 200u);
    ++streams;
    const std::string openai_body =
        R"({"model":"claude-mock-1","stream":true,"messages":[{"role":"user","content":"hello"}]})";
    HttpRequest openai{"POST", "/v1/chat/completions",
                       {{"content-type", "application/json"},
                        {"authorization", "Bearer sk-test-key"},
                        {"x-mock-scenario", scenario}},
                       openai_body};
    const auto o = http(gateway.port(), openai);
    EXPECT_EQ(o.status, 200u);
    ++streams;
    if (scenario == "text") {  // the deltas are upper-cased, each on its own
      for (const auto* body : {&a.body, &o.body}) {
        EXPECT_NE(body->find("HELLO"), std::string::npos) << *body;
        EXPECT_EQ(body->find("Hello"), std::string::npos) << *body;
      }
    }
  }
  // Logged once a stream ends; give the last one a moment.
  std::string log;
  for (int i = 0; i < 50 && count(log, "\"stream validated\"") < streams; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log = gateway.warden->stderr_text();
  }
  EXPECT_EQ(count(log, "\"stream validated\""), streams) << log;
  EXPECT_EQ(count(log, "\"violations\":0"), streams) << log;
  EXPECT_EQ(count(log, "stream grammar violation"), 0) << log;
}

TEST(PolicyIntegration, AClientThatStopsReadingIsCutOffAndTheUpstreamCancelled) {
  Gateway gateway(std::map<std::string, std::string>{{"WARDEN_STREAM_CLIENT_STALL_TIMEOUT_SECONDS", "0.5"}});
  // A client with a tiny receive window that never reads a 48 MiB stream.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  const int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(gateway.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  HttpRequest request{"POST", "/v1/messages", anthropic_headers("large"),
                      messages_body("claude-mock-1", true, "[[bytes:50331648]]")};
  const std::string bytes = serialize(request, gateway.port());
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));

  // The breaker fires after 0.5 s without progress; the mock then sees its
  // stream aborted. Bounded wait: 20 s.
  std::int64_t aborted = 0;
  for (int i = 0; i < 200 && aborted == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    aborted = gateway.mock_stats().at("aborted_streams").as_int64();
  }
  ::close(fd);
  EXPECT_EQ(aborted, 1);
  EXPECT_NE(gateway.warden->stderr_text().find("client stopped reading; stream cut off"),
            std::string::npos)
      << gateway.warden->stderr_text();
  // The gateway is fine afterwards.
  const auto after = http(gateway.port(), {"POST", "/v1/messages", anthropic_headers("text"),
                                           messages_body("claude-mock-1", false)});
  EXPECT_EQ(after.status, 200u);
}

}  // namespace
}  // namespace warden::testing
