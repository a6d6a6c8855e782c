// debug_logging: logs every hook call and changes nothing.

#include "observability/log.hpp"
#include "policy_harness.hpp"

namespace warden::policy::test {
namespace {

TEST(DebugLogging, LogsEveryHookAndChangesNothing) {
  observability::set_log_level("info");
  auto policy = build("policy:\n  type: debug_logging\n");
  const std::string sse = AnthropicStream()
                              .text("Hello " + std::string(300, 'x'), 2)
                              .tool("Read", {{"path", "/a"}}, 2)
                              .finish();
  ::testing::internal::CaptureStderr();
  const auto out = run_sse(*policy, sse);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.sse, sse);
  for (const char* hook :
       {"on_chunk_received", "on_content_delta", "on_content_complete", "on_tool_call_delta",
        "on_tool_call_complete", "on_finish_reason", "on_stream_complete"}) {
    EXPECT_NE(log.find(std::string("\"hook\":\"") + hook + "\""), std::string::npos) << hook;
  }
  EXPECT_NE(log.find(R"("preview":"Hello xxx)"), std::string::npos);
  EXPECT_EQ(log.find(std::string(201, 'x')), std::string::npos);  // previews stay short
  EXPECT_NE(log.find(R"("tool":"Read")"), std::string::npos);
}

TEST(DebugLogging, DebugLevelIsQuietAtInfo) {
  observability::set_log_level("info");
  auto policy = build("policy:\n  type: debug_logging\n  level: debug\n");
  ::testing::internal::CaptureStderr();
  run_sse(*policy, AnthropicStream().text("Hi").finish());
  EXPECT_EQ(::testing::internal::GetCapturedStderr().find("policy hook"), std::string::npos);
}

TEST(DebugLogging, ConfigErrors) {
  EXPECT_EQ(config_error("policy:\n  type: debug_logging\n  level: trace\n"),
            "test.yaml:3: policy.level: expected debug or info, got 'trace'");
  EXPECT_EQ(config_error("policy:\n  type: debug_logging\n  lvl: info\n")
                .rfind("test.yaml:3: policy.lvl: unknown key", 0),
            0u);
}

}  // namespace
}  // namespace warden::policy::test
