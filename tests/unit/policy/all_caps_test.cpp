// all_caps: text deltas upper-cased in place (ASCII only), nothing else touched.

#include <boost/json/serialize.hpp>

#include "policy_harness.hpp"

namespace warden::policy::test {
namespace {

const char* const kYaml = "policy:\n  type: all_caps\n";

TEST(AllCaps, StreamingTextIsUpperCasedAndTheStreamStaysValid) {
  auto policy = build(kYaml);
  const auto out =
      run_sse(*policy, AnthropicStream().text("Hello, world! How are you?", 6).finish());
  EXPECT_EQ(out.text(), "HELLO, WORLD! HOW ARE YOU?");
  EXPECT_EQ(out.text_deltas().size(), 6u);
  EXPECT_EQ(out.violations, "");
}

TEST(AllCaps, MultibyteCharactersSurviveEvenWhenSplitBetweenDeltas) {
  auto policy = build(kYaml);
  // "wörld ça": ö (C3 B6) and ç (C3 A7) cut in two by the upstream.
  const auto out = run(*policy, text_block_events({"w\xC3", "\xB6rld \xC3",
                                                   "\xA7"
                                                   "a"}));
  EXPECT_EQ(out.text(), "WöRLD çA");  // not ASCII: left as they are
}

TEST(AllCaps, ThinkingAndToolInputAreLeftAlone) {
  auto policy = build(kYaml);
  const std::string sse = AnthropicStream()
                              .thinking("let me think", 1)
                              .text("ok", 1)
                              .tool("Read", {{"path", "/tmp/a"}}, 1)
                              .finish();
  const auto out = run_sse(*policy, sse);
  EXPECT_EQ(out.violations, "");
  EXPECT_EQ(out.text(), "OK");
  for (const auto& e : out.events) {
    const auto* delta = e.as<core::BlockDelta>();
    if (delta != nullptr && delta->kind != core::DeltaKind::kText) {
      EXPECT_FALSE(e.modified);
    }
  }
  EXPECT_NE(out.sse.find(R"(\"path\":\"/tmp/a\")"), std::string::npos);
  EXPECT_NE(out.sse.find("let me think"), std::string::npos);
}

TEST(AllCaps, AnUnchangedDeltaKeepsTheUpstreamBytes) {
  auto policy = build(kYaml);
  const std::string sse = AnthropicStream().text("ALREADY 123", 2).finish();
  const auto out = run_sse(*policy, sse);
  EXPECT_EQ(out.sse, sse);
  for (const auto& e : out.events) EXPECT_FALSE(e.modified);
}

TEST(AllCaps, NonStreaming) {
  auto policy = build(kYaml);
  const auto out = run_whole(*policy, message_with(R"([{"type":"text","text":"make me loud"},
                               {"type":"tool_use","id":"t1","name":"Read","input":{"path":"/a"}}])",
                                                   "tool_use"));
  ASSERT_TRUE(out.message.has_value());
  EXPECT_EQ(
      boost::json::serialize(out.message->at("content")),
      R"([{"type":"text","text":"MAKE ME LOUD"},{"type":"tool_use","id":"t1","name":"Read","input":{"path":"/a"}}])");
  EXPECT_EQ(out.message->at("stop_reason"), "tool_use");
}

TEST(AllCaps, TakesNoOptions) {
  EXPECT_EQ(config_error("policy:\n  type: all_caps\n  loud: true\n")
                .rfind("test.yaml:3: policy.loud: unknown key", 0),
            0u);
}

}  // namespace
}  // namespace warden::policy::test
