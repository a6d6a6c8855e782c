// blocked_content: a text block stops at the first match of a blocked pattern,
// wherever the deltas cut it; the text before the match still goes out.

#include <boost/json/serialize.hpp>

#include "policy_harness.hpp"

namespace warden::policy::test {
namespace {

const char* const kPassword =
    "policy:\n"
    "  type: blocked_content\n"
    "  patterns: ['password:\\s*\\S+', 'BEGIN [A-Z]+ PRIVATE KEY']\n";
const std::string kMessage = "[Warden blocked this content: it matched a blocked pattern]";

TEST(BlockedContent, MatchMidBlockKeepsTheTextBeforeIt) {
  auto policy = build(kPassword);
  const auto out =
      run_sse(*policy,
              AnthropicStream().text("Sure. The password: hunter2 is secret. More text.").finish());
  EXPECT_EQ(out.text(), "Sure. The " + kMessage);
  EXPECT_EQ(out.violations, "");
  EXPECT_EQ(out.stop_reason(), "end_turn");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].action, "blocked_content");
  EXPECT_EQ(out.records[0].detail.at("pattern"), "password:\\s*\\S+");
}

TEST(BlockedContent, MatchAcrossDeltasLeaksNothingAndDropsTheRest) {
  auto policy = build(kPassword);
  const auto out =
      run(*policy,
          text_block_events({"Sure. The pass", "word:", " hun", "ter2 and", " more", " text"}));
  EXPECT_EQ(out.text(), "Sure. The " + kMessage);
  for (const auto& d : out.text_deltas()) {
    EXPECT_EQ(d.find("pass"), std::string::npos) << d;
    EXPECT_EQ(d.find("hun"), std::string::npos) << d;
  }
  EXPECT_EQ(out.violations, "");
}

TEST(BlockedContent, ManySmallDeltasFromTheUpstream) {
  auto policy = build(kPassword);
  const std::string text = "Here it is:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END";
  const auto out =
      run_sse(*policy, AnthropicStream().text(text, 17).text("Anything else?", 3).finish());
  EXPECT_EQ(out.text(), "Here it is:\n-----" + kMessage + "|Anything else?");
  EXPECT_EQ(out.violations, "");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].detail.at("pattern"), "BEGIN [A-Z]+ PRIVATE KEY");
}

TEST(BlockedContent, TextStreamsOnBeforeAMatchBeyondTheHoldback) {
  auto policy =
      build("policy:\n  type: blocked_content\n  patterns: [secret]\n  max_match_bytes: 8\n");
  const auto out = run(*policy, text_block_events({"A fairly long", " sentence that goes",
                                                   " on, then", " a sec", "ret, then more."}));
  EXPECT_EQ(out.text(), "A fairly long sentence that goes on, then a " + kMessage);
  EXPECT_GE(out.text_deltas().size(), 4u);  // it did not wait for the end of the block
}

TEST(BlockedContent, AMatchThatMoreTextUndoesIsNotAMatch) {
  auto policy = build("policy:\n  type: blocked_content\n  patterns: ['\\bfoo\\b']\n");
  EXPECT_EQ(run(*policy, text_block_events({"a foo", "bar b"})).text(), "a foobar b");
  EXPECT_EQ(run(*policy, text_block_events({"a foo", " bar"})).text(), "a " + kMessage);
}

TEST(BlockedContent, CaseInsensitiveAndCustomMessage) {
  auto policy = build(
      "policy:\n  type: blocked_content\n  patterns: [forbidden]\n  case_insensitive: true\n"
      "  message: '[removed]'\n");
  EXPECT_EQ(run(*policy, text_block_events({"This is FORBID", "DEN stuff"})).text(),
            "This is [removed]");
}

TEST(BlockedContent, CleanTextIsUnchangedAndToolsAndThinkingAreNotChecked) {
  auto policy = build(kPassword);
  const auto out = run_sse(*policy, AnthropicStream()
                                        .thinking("the password: abc", 1)
                                        .text("Nothing to see here.", 4)
                                        .tool("Write", {{"content", "password: abc"}}, 1)
                                        .finish());
  EXPECT_EQ(out.text(), "Nothing to see here.");
  EXPECT_TRUE(out.records.empty());
  EXPECT_EQ(out.violations, "");
  EXPECT_EQ(out.stop_reason(), "tool_use");
}

TEST(BlockedContent, NonStreaming) {
  auto policy = build(kPassword);
  const auto out = run_whole(*policy, message_with(R"([{"type":"text","text":"ok"},
      {"type":"text","text":"the password: x1 is it"}])"));
  ASSERT_TRUE(out.message.has_value());
  EXPECT_EQ(boost::json::serialize(out.message->at("content")),
            R"([{"type":"text","text":"ok"},{"type":"text","text":"the )" + kMessage + R"("}])");
  EXPECT_EQ(out.records.size(), 1u);
}

TEST(BlockedContent, ConfigErrors) {
  EXPECT_NE(config_error("policy:\n  type: blocked_content\n").find("needs `patterns`"),
            std::string::npos);
  EXPECT_EQ(config_error("policy:\n  type: blocked_content\n  patterns: []\n"),
            "test.yaml:3: policy.patterns: at least one pattern is needed");
  EXPECT_EQ(
      config_error("policy:\n  type: blocked_content\n  patterns:\n    - fine\n    - '(abc'\n"),
      "test.yaml:5: policy.patterns[1]: invalid regular expression: missing ): (abc");
  EXPECT_EQ(config_error("policy:\n  type: blocked_content\n  patterns: [a]\n  mesage: x\n")
                .rfind("test.yaml:4: policy.mesage: unknown key", 0),
            0u);
  EXPECT_EQ(
      config_error("policy:\n  type: blocked_content\n  patterns: [a]\n  max_match_bytes: 0\n")
          .rfind("test.yaml:4: policy.max_match_bytes: must be between", 0),
      0u);
}

}  // namespace
}  // namespace warden::policy::test
