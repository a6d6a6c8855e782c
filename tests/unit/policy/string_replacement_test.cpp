// string_replacement: literal and regex rules over streamed text blocks, with
// matches split across deltas and characters split across deltas.

#include <boost/json/serialize.hpp>

#include "policy_harness.hpp"

namespace warden::policy::test {
namespace {

const char* const kAcme =
    "policy:\n"
    "  type: string_replacement\n"
    "  replacements:\n"
    "    - { find: ACME Corp, replace: the customer }\n";

TEST(StringReplacement, LiteralInOneDelta) {
  auto policy = build(kAcme);
  const auto out =
      run_sse(*policy, AnthropicStream().text("Ask ACME Corp. ACME Corp knows.").finish());
  EXPECT_EQ(out.text(), "Ask the customer. the customer knows.");
  EXPECT_EQ(out.violations, "");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].policy, "string_replacement");
  EXPECT_EQ(out.records[0].action, "replaced_text");
  EXPECT_EQ(out.records[0].detail.at("count"), 2);
}

TEST(StringReplacement, MatchSplitAcrossTwoDeltas) {
  auto policy = build(kAcme);
  const auto out = run(*policy, text_block_events({"Hello AC", "ME Corp world"}));
  EXPECT_EQ(out.text(), "Hello the customer world");
  EXPECT_EQ(out.violations, "");
}

TEST(StringReplacement, MatchSplitAcrossFiveDeltas) {
  auto policy = build(kAcme);
  const auto out = run(*policy, text_block_events({"x A", "C", "ME ", "Co", "rp y"}));
  EXPECT_EQ(out.text(), "x the customer y");
  EXPECT_EQ(out.violations, "");
  // Nothing that could still be part of a match went out early.
  for (const auto& d : out.text_deltas()) EXPECT_EQ(d.find('A'), std::string::npos) << d;
}

TEST(StringReplacement, EverySplitPointGivesTheSameText) {
  auto policy = build(kAcme);
  const std::string text = "ACME Corp, ACME Cor, ACME CorpACME Corp";
  const std::string expected = "the customer, ACME Cor, the customerthe customer";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    const auto out = run(*policy, text_block_events({text.substr(0, cut), text.substr(cut)}));
    EXPECT_EQ(out.text(), expected) << "cut at " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  EXPECT_EQ(run(*policy, text_block_events(bytes)).text(), expected);
}

TEST(StringReplacement, RegexWithGroups) {
  auto policy = build(
      "policy:\n"
      "  type: string_replacement\n"
      "  replacements:\n"
      "    - { find: '(\\d+) apples', replace: '\\1 pears', regex: true }\n");
  const auto out = run_sse(*policy, AnthropicStream().text("3 apples and 12 apples", 5).finish());
  EXPECT_EQ(out.text(), "3 pears and 12 pears");
  EXPECT_EQ(out.violations, "");
}

TEST(StringReplacement, RegexMatchAcrossDeltasWithinMaxMatchBytes) {
  auto policy = build(
      "policy:\n"
      "  type: string_replacement\n"
      "  replacements:\n"
      "    - { find: 'sk-[a-z0-9]{8}', replace: '[key]', regex: true, max_match_bytes: 16 }\n");
  const auto out = run(*policy, text_block_events({"key sk-ab", "cd12", "34 end"}));
  EXPECT_EQ(out.text(), "key [key] end");
}

// Text that went out stays context for the next delta: ^ still means the
// start of the block, \b still sees the character before.
TEST(StringReplacement, AnchorsSeeTheWholeBlock) {
  auto policy = build(
      "policy:\n  type: string_replacement\n  replacements:\n"
      "    - { find: '^Hello', replace: X, regex: true, max_match_bytes: 5 }\n"
      "    - { find: '\\bcat', replace: dog, regex: true, max_match_bytes: 3 }\n");
  EXPECT_EQ(run(*policy, text_block_events({"Hello Hello", " Hello", " cat", "cat concat", " cat"}))
                .text(),
            "X Hello Hello dogcat concat dog");
}

TEST(StringReplacement, CaseInsensitiveLiteral) {
  auto policy = build(
      "policy:\n"
      "  type: string_replacement\n"
      "  replacements:\n"
      "    - { find: acme, replace: X, case_insensitive: true }\n");
  const auto out = run(*policy, text_block_events({"Acme, AC", "ME and a.c.m.e"}));
  EXPECT_EQ(out.text(), "X, X and a.c.m.e");
}

TEST(StringReplacement, LiteralIsNotARegex) {
  auto policy = build(
      "policy:\n"
      "  type: string_replacement\n"
      "  replacements:\n"
      "    - { find: 'a.b', replace: '\\1' }\n");
  EXPECT_EQ(run(*policy, text_block_events({"axb a.b"})).text(), "axb \\1");
}

TEST(StringReplacement, MultibyteTextSplitMidCharacterIsNotCorrupted) {
  for (const char* rule : {"{ find: café, replace: coffee }", "{ find: e, replace: E }",
                           "{ find: 'ü.', replace: '[\\0]', regex: true }"}) {
    SCOPED_TRACE(rule);
    auto policy = build(
        std::string("policy:\n  type: string_replacement\n  replacements:\n    - ") + rule + "\n");
    const std::string text = "naïve café — ünïcode café ☕ 🎉 end";
    std::vector<std::string> bytes;  // one byte per delta: every character is split
    for (char c : text) bytes.emplace_back(1, c);
    const auto out = run(*policy, text_block_events(bytes));
    for (const auto& d : out.text_deltas()) EXPECT_TRUE(valid_utf8(d)) << d;
    EXPECT_EQ(out.violations, "");
    EXPECT_TRUE(valid_utf8(out.text()));
    if (std::string_view(rule).find("café") != std::string_view::npos) {
      EXPECT_EQ(out.text(), "naïve coffee — ünïcode coffee ☕ 🎉 end");
    } else if (std::string_view(rule).find("find: e") != std::string_view::npos) {
      EXPECT_EQ(out.text(), "naïvE café — ünïcodE café ☕ 🎉 End");
    } else {
      EXPECT_EQ(out.text(), "naïve café — [ün]ïcode café ☕ 🎉 end");
    }
  }
}

TEST(StringReplacement, SeveralRulesApplyInOrder) {
  auto policy = build(
      "policy:\n"
      "  type: string_replacement\n"
      "  replacements:\n"
      "    - { find: cat, replace: dog }\n"
      "    - { find: dog, replace: wolf }\n"
      "    - { find: 'w(o)lf', replace: 'W\\1LF', regex: true }\n");
  const auto out = run(*policy, text_block_events({"a c", "at and a d", "og", "."}));
  EXPECT_EQ(out.text(), "a WoLF and a WoLF.");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].detail.at("count"), 5);  // 1 + 2 + 2, counted over all rules
}

TEST(StringReplacement, OnlyTextBlocksAreChangedAndEachBlockIsItsOwn) {
  auto policy = build(kAcme);
  const std::string sse = AnthropicStream()
                              .thinking("ACME Corp is thinking", 1)
                              .text("one ACME", 2)
                              .text(" Corp two", 2)  // a match does not span blocks
                              .tool("Write", {{"content", "ACME Corp"}}, 1)
                              .finish();
  const auto out = run_sse(*policy, sse);
  EXPECT_EQ(out.violations, "");
  EXPECT_EQ(out.text(), "one ACME| Corp two");
  EXPECT_NE(out.sse.find("ACME Corp is thinking"), std::string::npos);
  EXPECT_NE(out.sse.find(R"(\"content\":\"ACME Corp\")"), std::string::npos);
  EXPECT_TRUE(out.records.empty());
  EXPECT_EQ(out.stop_reason(), "tool_use");
}

TEST(StringReplacement, NonStreaming) {
  auto policy = build(kAcme);
  const auto out = run_whole(*policy, message_with(R"([{"type":"text","text":"Hi ACME Corp!"}])"));
  ASSERT_TRUE(out.message.has_value());
  EXPECT_EQ(boost::json::serialize(out.message->at("content")),
            R"([{"type":"text","text":"Hi the customer!"}])");
  EXPECT_EQ(out.records.size(), 1u);
}

TEST(StringReplacement, RecordedStreamsInBothDialects) {
  auto policy = build(
      "policy:\n  type: string_replacement\n  replacements:\n"
      "    - { find: 'w(ö)rld', replace: 'W\\1RLD', regex: true }\n"
      "    - { find: 'Café', replace: 'Coffee' }\n"
      "    - { find: 'moonlight', replace: 'sunlight' }\n");
  const auto anthropic = run_sse(*policy, testing::read_data_file("anthropic/text_stream.sse"));
  EXPECT_EQ(anthropic.violations, "");
  EXPECT_NE(anthropic.text().find("Autumn sunlight"), std::string::npos);
  EXPECT_NE(anthropic.text().find(" Coffee "), std::string::npos);
  const auto events = testing::run_policy(
      *policy, testing::decode_openai(testing::read_data_file("openai/text_stream.sse")));
  const std::string client = testing::to_openai_sse(events, /*passthrough=*/true);
  EXPECT_EQ(testing::openai_violations(client), "");
  EXPECT_NE(client.find("WöRLD"), std::string::npos);
}

TEST(StringReplacement, ConfigErrors) {
  const std::string head = "policy:\n  type: string_replacement\n  replacements:\n";
  EXPECT_EQ(
      config_error(head + "    - { find: '(abc', regex: true }\n"),
      "test.yaml:4: policy.replacements[0].find: invalid regular expression: missing ): (abc");
  EXPECT_EQ(config_error(head + "    - { find: '(a)', replace: '\\2', regex: true }\n")
                .rfind("test.yaml:4: policy.replacements[0].replace: ", 0),
            0u);
  EXPECT_EQ(config_error(head + "    - { find: 'x*', regex: true }\n"),
            "test.yaml:4: policy.replacements[0].find: the pattern matches the empty string");
  EXPECT_EQ(config_error(head + "    - { replace: x }\n"),
            "test.yaml:4: policy.replacements[0]: a replacement needs `find`");
  EXPECT_EQ(config_error(head + "    - { find: a, replce: x }\n")
                .rfind("test.yaml:4: policy.replacements[0].replce: unknown key", 0),
            0u);
  EXPECT_EQ(config_error(head + "    - { find: a, max_match_bytes: 9 }\n"),
            "test.yaml:4: policy.replacements[0].max_match_bytes: only for regex rules");
  EXPECT_NE(config_error("policy:\n  type: string_replacement\n").find("policy.replacements"),
            std::string::npos);
}

}  // namespace
}  // namespace warden::policy::test
