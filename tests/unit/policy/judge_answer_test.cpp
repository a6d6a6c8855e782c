// The tolerant readers of judge answers, the message templates, and the
// verdict cache's bounds.

#include "policy/builtin/judge_answer.hpp"

#include <gtest/gtest.h>

#include "policy/builtin/judge_call.hpp"

namespace warden::policy {
namespace {

double probability(std::string_view answer) {
  const auto verdict = parse_risk_verdict(answer);
  EXPECT_TRUE(verdict.has_value()) << answer << ": " << (verdict ? "" : verdict.error().message);
  return verdict ? verdict->probability : -1;
}

std::string risk_error(std::string_view answer) {
  const auto verdict = parse_risk_verdict(answer);
  EXPECT_FALSE(verdict.has_value()) << answer;
  return verdict ? "" : verdict.error().message;
}

TEST(RiskVerdict, PlainJson) {
  const auto verdict =
      parse_risk_verdict(R"({"probability": 0.95, "explanation": "It deletes files."})");
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->probability, 0.95);
  EXPECT_EQ(verdict->explanation, "It deletes files.");
}

TEST(RiskVerdict, FencesAndChatterAround) {
  EXPECT_EQ(probability("Let me look.\n\n```json\n{\"probability\": 0.2, \"explanation\": \"ok\"}"
                        "\n```\n\nThat is my verdict."),
            0.2);
  EXPECT_EQ(probability("```\n{\"probability\":1}\n```"), 1.0);
  EXPECT_EQ(probability("Verdict: {\"probability\": 0.3} and {\"probability\": 0.9}"), 0.3);
}

TEST(RiskVerdict, TheFirstObjectWithTheKeyWins) {
  EXPECT_EQ(probability(R"({"note": "thinking {"} then {"probability": 0.4})"), 0.4);
  EXPECT_EQ(probability(R"({"verdict": {"probability": 0.7, "explanation": "nested"}})"), 0.7);
  EXPECT_EQ(probability("{broken {\"probability\": 0.1,}"), 0.1);  // trailing comma tolerated
}

TEST(RiskVerdict, NumbersAsStringsAndClamping) {
  EXPECT_EQ(probability(R"({"probability": "0.8"})"), 0.8);
  EXPECT_EQ(probability(R"({"probability": " 80% "})"), 0.8);
  EXPECT_EQ(probability(R"({"probability": 7})"), 1.0);
  EXPECT_EQ(probability(R"({"probability": -0.5})"), 0.0);
  EXPECT_EQ(probability(R"({"probability": 0})"), 0.0);
  const auto verdict = parse_risk_verdict(R"({"probability": 0.5})");
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->explanation, "");
}

TEST(RiskVerdict, WhatIsNotAVerdict) {
  EXPECT_EQ(risk_error("I am not sure what to say."),
            "the judge's answer has no JSON object with \"probability\"");
  EXPECT_EQ(risk_error(""), "the judge's answer has no JSON object with \"probability\"");
  EXPECT_EQ(risk_error(R"({"risk": 0.5})"),
            "the judge's answer has no JSON object with \"probability\"");
  EXPECT_EQ(risk_error(R"({"probability": 0.5)"),  // cut off
            "the judge's answer has no JSON object with \"probability\"");
  EXPECT_EQ(risk_error(R"({"probability": "high"})"),
            "the judge's \"probability\" is not a number: \"high\"");
  EXPECT_EQ(risk_error(R"({"probability": null})"),
            "the judge's \"probability\" is not a number: null");
  EXPECT_EQ(parse_risk_verdict("x").error().kind, core::ErrorKind::kUpstreamFailed);
}

TEST(RulesVerdict, EachDecision) {
  auto pass = parse_rules_verdict(R"({"verdict": " PASS ", "explanation": "Fine."})");
  ASSERT_TRUE(pass);
  EXPECT_EQ(pass->decision, RulesDecision::kPass);
  EXPECT_EQ(pass->explanation, "Fine.");
  auto rewrite = parse_rules_verdict(
      "```json\n{\"verdict\":\"rewrite\",\"text\":\"fixed\\nlines\",\"explanation\":\"x\"}\n```");
  ASSERT_TRUE(rewrite);
  EXPECT_EQ(rewrite->decision, RulesDecision::kRewrite);
  EXPECT_EQ(rewrite->text, "fixed\nlines");
  auto block = parse_rules_verdict(R"(Sure: {"verdict":"block"})");
  ASSERT_TRUE(block);
  EXPECT_EQ(block->decision, RulesDecision::kBlock);
}

TEST(RulesVerdict, WhatIsNotAVerdict) {
  EXPECT_EQ(parse_rules_verdict("pass").error().message,
            "the judge's answer has no JSON object with \"verdict\"");
  EXPECT_EQ(parse_rules_verdict(R"({"verdict":"rewrite"})").error().message,
            "the judge answered \"rewrite\" without a \"text\" string");
  EXPECT_EQ(parse_rules_verdict(R"({"verdict":"ok"})").error().message,
            "the judge's \"verdict\" is not pass, rewrite or block: \"ok\"");
  EXPECT_EQ(parse_rules_verdict(R"({"verdict":1})").error().message,
            "the judge's \"verdict\" is not pass, rewrite or block: 1");
}

TEST(JudgeTemplate, RendersInOnePass) {
  EXPECT_EQ(render_template("{a} and {b}, {c} {a", {{"a", "x{b}"}, {"b", "y"}}),
            "x{b} and y, {c} {a");
  EXPECT_EQ(render_template("", {{"a", "x"}}), "");
  EXPECT_EQ(render_template("{}{a}", {{"a", ""}}), "{}");
}

}  // namespace
}  // namespace warden::policy
