// llm_rules: a judge model checks text against plain-language rules and lets
// it pass, rewrites it or removes it — per text block, or for the whole
// response at its end; tool and thinking blocks are untouched.

#include <boost/json/serialize.hpp>

#include "judge_harness.hpp"
#include "policy/builtin/llm_rules.hpp"

namespace warden::policy::test {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

std::string rules_policy(const std::string& scope, const std::string& extra = "") {
  return "policy:\n"
         "  type: llm_rules\n"
         "  provider: judge\n"
         "  model: rules-model\n"
         "  rules: [\"Never name internal hosts.\", \"Never say the forbidden word.\"]\n"
         "  scope: " +
         scope + "\n" + extra;
}

struct Judged {
  std::shared_ptr<FakeJudge> judge;
  std::shared_ptr<Policy> policy;
};

Judged make(const std::string& scope, const std::string& extra = "",
            FakeJudge::Script script = rules_reply) {
  auto judge = std::make_shared<FakeJudge>(std::move(script));
  return {judge, build_judged(rules_policy(scope, extra), judge)};
}

void expect_valid(const Outcome& out) {
  EXPECT_EQ(out.violations, "") << out.sse;
  EXPECT_EQ(openai_violations_of(out), "");
}

const char* const kRemoved = "[Warden removed this text: It uses a forbidden word.]";

TEST(LlmRulesBlock, PassIsByteForByte) {
  auto [judge, policy] = make("block");
  const std::string sse = AnthropicStream()
                              .thinking("Hmm.", 2)
                              .text("Hello there.", 3)
                              .tool("Bash", {{"command", "ls internal.example"}}, 2)
                              .text("Bye.")
                              .finish();
  const auto out = run_judged_sse(*policy, sse);
  EXPECT_EQ(out.sse, sse);
  expect_valid(out);
  ASSERT_EQ(judge->calls.size(), 2u) << "one per text block, none for thinking or tools";
  const std::string& prompt = judge->calls[0].request.user;
  EXPECT_NE(prompt.find("Rules:\n1. Never name internal hosts.\n2. Never say the forbidden word.\n"),
            std::string::npos)
      << prompt;
  EXPECT_NE(prompt.find("Text to check:\n<<<\nHello there.\n>>>\n"), std::string::npos) << prompt;
  EXPECT_EQ(judge->calls[0].request.system, LlmRules::kDefaultInstructions);
  EXPECT_EQ(judge->calls[0].request.max_tokens, 1024);
  EXPECT_EQ(judge->calls[0].request.timeout, milliseconds(20000));
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0].policy, "llm_rules");
  EXPECT_EQ(out.records[0].action, "rules_passed");
  EXPECT_EQ(out.records[0].detail.at("explanation"), "Fine.");
  EXPECT_TRUE(out.records[0].detail.at("judge_latency_ms").is_int64());
}

TEST(LlmRulesBlock, RewriteAndBlockReplaceOnlyThatBlock) {
  auto [judge, policy] = make("block");
  const auto out = run_judged_sse(*policy, AnthropicStream()
                                               .text("Ask db.internal.example now.", 4)
                                               .tool("Read", {{"path", "/a"}})
                                               .text("Say forbidden-word.", 2)
                                               .text("Fine words.")
                                               .finish());
  EXPECT_EQ(describe(out.events),
            (std::vector<std::string>{"message_start", "start(0,text)",
                                      "delta(0,Ask db.[hidden host] now.)", "stop(0)",
                                      "start(1,tool_use)", "delta(1,{\"path\":\"/a\"})", "stop(1)",
                                      "start(2,text)", std::string("delta(2,") + kRemoved + ")",
                                      "stop(2)", "start(3,text)", "delta(3,Fine words.)", "stop(3)",
                                      "message_delta(tool_use)", "message_stop"}));
  EXPECT_EQ(out.sse.find("internal.example"), std::string::npos);
  EXPECT_EQ(out.sse.find("forbidden-word"), std::string::npos);
  expect_valid(out);
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_EQ(out.records[0].action, "rules_rewrote");
  EXPECT_EQ(out.records[0].detail.at("explanation"), "It names an internal host.");
  EXPECT_EQ(out.records[0].detail.at("rewritten"), "Ask db.[hidden host] now.");
  EXPECT_EQ(out.records[1].action, "rules_blocked");
  EXPECT_EQ(out.records[2].action, "rules_passed");
}

TEST(LlmRulesBlock, MessageTemplateAndEmptyRewrite) {
  auto [judge, policy] =
      make("block", "  message: 'Removed ({explanation}) {unknown}'\n",
           [](const ModelRequest& request) -> Reply {
             if (reviewed(request.user) == "drop me") {
               return {R"({"verdict":"rewrite","text":"","explanation":"gone"})"};
             }
             return {R"({"verdict":"block","explanation":"no"})"};
           });
  const auto out =
      run_judged_sse(*policy, AnthropicStream().text("x").text("drop me").text("y").finish());
  EXPECT_EQ(out.text(), "Removed (no) {unknown}|Removed (no) {unknown}");
  expect_valid(out);
}

TEST(LlmRulesResponse, PassReleasesEverythingInOrder) {
  auto [judge, policy] = make("response");
  const std::string sse = AnthropicStream()
                              .thinking("Let me see.", 2)
                              .text("Part one.", 2)
                              .tool("Read", {{"path", "/a"}}, 2)
                              .text("Part two.")
                              .finish();
  const auto out = run_judged_sse(*policy, sse);
  EXPECT_EQ(out.sse, sse);
  ASSERT_EQ(judge->calls.size(), 1u);
  EXPECT_NE(judge->calls[0].request.user.find("<<<\nPart one.\n\nPart two.\n>>>"),
            std::string::npos);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].action, "rules_passed");
  EXPECT_EQ(out.records[0].detail.at("scope"), "response");
}

TEST(LlmRulesResponse, RewriteBecomesOneTextBlockWhereTheFirstWas) {
  auto [judge, policy] = make("response");
  const auto out = run_judged_sse(*policy, AnthropicStream()
                                               .thinking("Hmm.")
                                               .text("Host internal.example is up.", 3)
                                               .tool("Read", {{"path", "/a"}})
                                               .text("Done.")
                                               .finish());
  EXPECT_EQ(describe(out.events),
            (std::vector<std::string>{"message_start", "start(0,thinking)", "delta(0,Hmm.)",
                                      "delta(0,c2ln)", "stop(0)", "start(1,text)",
                                      "delta(1,Host [hidden host] is up.\n\nDone.)", "stop(1)",
                                      "start(2,tool_use)", "delta(2,{\"path\":\"/a\"})", "stop(2)",
                                      "message_delta(tool_use)", "message_stop"}));
  expect_valid(out);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].action, "rules_rewrote");
}

TEST(LlmRulesResponse, BlockKeepsTheToolCalls) {
  auto [judge, policy] = make("response");
  const auto out = run_judged_sse(*policy, AnthropicStream()
                                               .text("Say forbidden-word.")
                                               .tool("Read", {{"path", "/a"}})
                                               .text("More.")
                                               .finish());
  EXPECT_EQ(out.text(), kRemoved);
  EXPECT_EQ(describe(out.events)[1], "start(0,text)");
  EXPECT_EQ(describe(out.events)[4], "start(1,tool_use)");
  EXPECT_EQ(out.stop_reason(), "tool_use");
  EXPECT_EQ(out.sse.find("More."), std::string::npos);
  expect_valid(out);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].action, "rules_blocked");
  EXPECT_EQ(out.records[0].detail.at("explanation"), "It uses a forbidden word.");
}

TEST(LlmRulesResponse, OnlyToolsIsNotJudged) {
  auto [judge, policy] = make("response");
  const std::string sse = AnthropicStream().tool("Read", {{"path", "/a"}}).finish();
  EXPECT_EQ(run_judged_sse(*policy, sse).sse, sse);
  EXPECT_TRUE(judge->calls.empty());
}

struct Failure {
  std::string name;
  std::string timeout_seconds;
  Reply reply;
  std::string error;
};

std::vector<Failure> failures() {
  return {
      {"timeout", "0.1", {"{}", std::nullopt, milliseconds(3000)},
       "the judge did not answer within 0.1 s"},
      {"invalid_json", "5", {"Looks fine to me!"},
       "the judge's answer has no JSON object with \"verdict\""},
      {"bad_verdict", "5", {R"({"verdict":"maybe"})"},
       "the judge's \"verdict\" is not pass, rewrite or block: \"maybe\""},
      {"http_error",
       "5",
       {"", core::Error(core::ErrorKind::kUpstreamFailed, "judge answered HTTP 500")},
       "judge answered HTTP 500"},
  };
}

TEST(LlmRules, JudgeFailureFollowsOnError) {
  for (const std::string scope : {"block", "response"}) {
    for (const auto& failure : failures()) {
      for (const std::string on_error : {"block", "allow"}) {
        SCOPED_TRACE(scope + " " + failure.name + " " + on_error);
        auto judge =
            std::make_shared<FakeJudge>([&](const ModelRequest&) { return failure.reply; });
        auto policy = build_judged(rules_policy(scope, "  on_error: " + on_error +
                                                           "\n  timeout_seconds: " +
                                                           failure.timeout_seconds + "\n"),
                                   judge);
        const std::string sse = AnthropicStream().text("Plain harmless words.", 2).finish();
        const auto out = run_judged_sse(*policy, sse);
        ASSERT_EQ(out.records.size(), 1u);
        EXPECT_EQ(out.records[0].detail.at("error").as_string(), failure.error);
        if (on_error == "allow") {
          EXPECT_EQ(out.sse, sse);
          EXPECT_EQ(out.records[0].action, "rules_passed");
        } else {
          EXPECT_EQ(out.text(),
                    "[Warden removed this text: the judge gave no verdict: " + failure.error + "]");
          EXPECT_EQ(out.sse.find("harmless"), std::string::npos);
          EXPECT_EQ(out.records[0].action, "rules_blocked");
          expect_valid(out);
        }
      }
    }
  }
}

TEST(LlmRules, KeepaliveWhileTheJudgeThinks) {
  for (const std::string scope : {"block", "response"}) {
    SCOPED_TRACE(scope);
    auto [judge, policy] = make(scope, "", [](const ModelRequest& request) {
      Reply reply = rules_reply(request);
      reply.delay = milliseconds(1600);
      return reply;
    });
    RunOptions options;
    options.limits.policy_timeout = milliseconds(1000);
    const std::string sse = AnthropicStream().text("Fine words.").finish();
    EXPECT_EQ(run_judged_sse(*policy, sse, options).sse, sse);
  }
}

TEST(LlmRules, HoldLimitFailsClosed) {
  for (const std::string scope : {"block", "response"}) {
    SCOPED_TRACE(scope);
    auto [judge, policy] = make(scope);
    RunOptions options;
    options.limits.max_buffer_bytes = 4096;
    const auto out = run_judged_sse(
        *policy, AnthropicStream().text(std::string(20000, 'y'), 100).finish(), options);
    EXPECT_EQ(out.text(), "[Warden removed this text: the text is too large to check]");
    EXPECT_TRUE(judge->calls.empty());
    expect_valid(out);
  }
}

TEST(LlmRules, ACutStreamSendsNothingHeld) {
  for (const std::string scope : {"block", "response"}) {
    SCOPED_TRACE(scope);
    auto [judge, policy] = make(scope);
    // Cut inside the second block: no content_block_stop for it.
    auto events = testing::decode_anthropic(
        AnthropicStream().text("Done.").text("Say forbidden-word", 2).unfinished());
    events.pop_back();
    const auto out = run_judged(*policy, std::move(events));
    EXPECT_EQ(out.sse.find("forbidden"), std::string::npos);
    EXPECT_EQ(out.text(), scope == "block" ? "Done." : "");
  }
}

TEST(LlmRules, NonStreaming) {
  for (const std::string scope : {"block", "response"}) {
    SCOPED_TRACE(scope);
    auto [judge, policy] = make(scope);
    const auto rewritten = run_whole(*policy, message_with(R"([
        {"type":"text","text":"Host internal.example."},
        {"type":"tool_use","id":"toolu_1","name":"Read","input":{"path":"/a"}}])",
                                                           "tool_use"));
    ASSERT_TRUE(rewritten.message.has_value());
    EXPECT_EQ(json::serialize(rewritten.message->at("content")),
              R"([{"type":"text","text":"Host [hidden host]."},)"
              R"({"type":"tool_use","id":"toolu_1","name":"Read","input":{"path":"/a"}}])");
    EXPECT_EQ(rewritten.message->at("stop_reason"), "tool_use");
    ASSERT_EQ(rewritten.records.size(), 1u);
    EXPECT_EQ(rewritten.records[0].action, "rules_rewrote");

    const auto blocked =
        run_whole(*policy, message_with(R"([{"type":"text","text":"forbidden-word"}])"));
    ASSERT_TRUE(blocked.message.has_value());
    EXPECT_EQ(json::serialize(blocked.message->at("content")),
              std::string(R"([{"type":"text","text":")") + kRemoved + R"("}])");

    const auto passed = run_whole(*policy, message_with(R"([{"type":"text","text":"Fine."}])"));
    if (passed.message) {
      EXPECT_EQ(json::serialize(passed.message->at("content")),
                R"([{"type":"text","text":"Fine."}])");
    }
    ASSERT_EQ(passed.records.size(), 1u);
    EXPECT_EQ(passed.records[0].action, "rules_passed");
  }
}

TEST(LlmRules, ConfigErrors) {
  const std::string head = "policy:\n  type: llm_rules\n  provider: judge\n  model: m\n";
  EXPECT_EQ(judged_config_error(head),
            "test.yaml:2: policy.rules: required: a list of rules in plain language");
  EXPECT_EQ(judged_config_error(head + "  rules: []\n"),
            "test.yaml:5: policy.rules: needs at least one rule");
  EXPECT_EQ(judged_config_error(head + "  rules: ['ok', '  ']\n"),
            "test.yaml:5: policy.rules[1]: a rule must not be empty");
  EXPECT_EQ(judged_config_error(head + "  rules: [x]\n  scope: all\n"),
            "test.yaml:6: policy.scope: expected block or response, got 'all'");
  EXPECT_EQ(judged_config_error(head + "  rules: [x]\n  on_error: skip\n"),
            "test.yaml:6: policy.on_error: expected block or allow, got 'skip'");
  EXPECT_EQ(judged_config_error(head + "  rules: [x]\n  timeout_seconds: 0\n")
                .rfind("test.yaml:6: policy.timeout_seconds: must be between", 0),
            0u);
  EXPECT_EQ(judged_config_error("policy:\n  type: llm_rules\n  model: m\n  rules: [x]\n"),
            "test.yaml:2: policy.provider: required: the name of a configured provider");
  EXPECT_EQ(judged_config_error("policy:\n  type: llm_rules\n  provider: other\n  model: m\n"
                                "  rules: [x]\n"),
            "test.yaml:3: policy.provider: no provider named 'other'");
  EXPECT_EQ(judged_config_error(head + "  rules: x\n"), "");
}

}  // namespace
}  // namespace warden::policy::test
