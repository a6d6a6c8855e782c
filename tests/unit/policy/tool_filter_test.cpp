// tool_filter: tool calls allowed, denied by name, or denied by argument once
// their input is complete; a denied call becomes a text block and the stream
// stays valid (stop_reason end_turn when no call is left).

#include <boost/json/serialize.hpp>

#include "policy_harness.hpp"

namespace warden::policy::test {
namespace {

namespace json = boost::json;

const char* const kNoRmRf =
    "policy:\n"
    "  type: tool_filter\n"
    "  deny:\n"
    "    - { tool: Bash, argument: command, argument_pattern: 'rm\\s+-rf' }\n";

std::string blocked(std::string_view tool, std::string_view reason) {
  return "Warden blocked a call to tool `" + std::string(tool) + "`: " + std::string(reason) + ".";
}

TEST(ToolFilter, AllowedCallIsForwardedByteForByte) {
  auto policy = build(kNoRmRf);
  const std::string sse = AnthropicStream()
                              .text("Listing.", 2)
                              .tool("Bash", {{"command", "ls -la /tmp"}, {"timeout", 30}}, 7)
                              .finish();
  const auto out = run_sse(*policy, sse);
  EXPECT_EQ(out.sse, sse);
  for (const auto& e : out.events) EXPECT_FALSE(e.modified) << core::event_name(e);
  EXPECT_TRUE(out.records.empty());
}

TEST(ToolFilter, DeniedByArgumentPatternBecomesTextAndEndTurn) {
  auto policy = build(kNoRmRf);
  const auto out =
      run_sse(*policy, AnthropicStream().tool("Bash", {{"command", "rm  -rf /"}}, 5).finish());
  const std::string message = blocked("Bash", "its argument `command` matches `rm\\s+-rf`");
  EXPECT_EQ(describe(out.events),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0," + message + ")",
                                      "stop(0)", "message_delta(end_turn)", "message_stop"}));
  EXPECT_EQ(out.violations, "");
  EXPECT_EQ(out.sse.find("tool_use\""), std::string::npos);  // no trace of the call
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].policy, "tool_filter");
  EXPECT_EQ(out.records[0].action, "blocked_tool_call");
  EXPECT_EQ(out.records[0].detail.at("tool"), "Bash");
  EXPECT_EQ(out.records[0].detail.at("arguments"), R"({"command":"rm  -rf /"})");
  EXPECT_EQ(out.records[0].detail.at("reason"), "its argument `command` matches `rm\\s+-rf`");
}

TEST(ToolFilter, ArgumentPatternLooksOnlyAtTheNamedArgument) {
  auto policy = build(kNoRmRf);
  const std::string sse =
      AnthropicStream()
          .tool("Bash", {{"command", "echo hi"}, {"description", "not rm -rf"}}, 3)
          .finish();
  EXPECT_EQ(run_sse(*policy, sse).sse, sse);
}

TEST(ToolFilter, ArgumentPatternWithoutArgumentChecksEveryLeaf) {
  auto policy = build(
      "policy:\n  type: tool_filter\n  deny:\n"
      "    - { tool: 'Dep*', argument_pattern: '^(true|/)$' }\n");
  const auto nested = run_sse(
      *policy, AnthropicStream().tool("Deploy", {{"opts", {{"paths", {"a", "/"}}}}}, 4).finish());
  EXPECT_EQ(nested.text(), blocked("Deploy", "its arguments match `^(true|/)$`"));
  const auto boolean =
      run_sse(*policy, AnthropicStream().tool("Deploy", {{"force", true}}).finish());
  EXPECT_EQ(boolean.text(), blocked("Deploy", "its arguments match `^(true|/)$`"));
  const auto other =
      run_sse(*policy, AnthropicStream().tool("Deploy", {{"force", false}}).finish());
  EXPECT_EQ(other.text(), "");
  EXPECT_EQ(other.stop_reason(), "tool_use");
}

TEST(ToolFilter, DenyByName) {
  auto policy = build("policy:\n  type: tool_filter\n  deny: [Bash, 'mcp__*']\n");
  const auto out = run_sse(*policy, AnthropicStream()
                                        .tool("mcp__github__create_issue", {{"title", "x"}}, 3)
                                        .tool("Read", {{"path", "/a"}}, 2)
                                        .finish());
  EXPECT_EQ(describe(out.events)[1], "start(0,text)");
  EXPECT_EQ(out.text(), blocked("mcp__github__create_issue", "it matches the deny rule `mcp__*`"));
  EXPECT_EQ(out.stop_reason(), "tool_use");  // Read is still a call
  EXPECT_EQ(out.violations, "");
}

TEST(ToolFilter, AllowList) {
  auto policy = build("policy:\n  type: tool_filter\n  allow: [Read, 'Gr?p']\n");
  const auto out = run_sse(*policy, AnthropicStream()
                                        .tool("Read", {{"path", "/a"}})
                                        .tool("Grep", {{"pattern", "x"}})
                                        .tool("Bash", {{"command", "ls"}}, 2)
                                        .tool("Grepp", {{"pattern", "x"}})
                                        .finish());
  EXPECT_EQ(out.text(), blocked("Bash", "it is not on the allow list") + "|" +
                            blocked("Grepp", "it is not on the allow list"));
  EXPECT_EQ(describe(out.events),
            (std::vector<std::string>{
                "message_start", "start(0,tool_use)", "delta(0,{\"path\":\"/a\"})", "stop(0)",
                "start(1,tool_use)", "delta(1,{\"pattern\":\"x\"})", "stop(1)", "start(2,text)",
                "delta(2," + blocked("Bash", "it is not on the allow list") + ")", "stop(2)",
                "start(3,text)", "delta(3," + blocked("Grepp", "it is not on the allow list") + ")",
                "stop(3)", "message_delta(tool_use)", "message_stop"}));
  EXPECT_EQ(out.violations, "");
}

TEST(ToolFilter, TwoCallsOneDenied) {
  auto policy = build(kNoRmRf);
  const auto out = run_sse(*policy, AnthropicStream()
                                        .text("Cleaning up.", 2)
                                        .tool("Bash", {{"command", "rm -rf build"}}, 4)
                                        .tool("Bash", {{"command", "make"}}, 1)
                                        .finish());
  EXPECT_EQ(out.text(),
            "Cleaning up.|" + blocked("Bash", "its argument `command` matches `rm\\s+-rf`"));
  EXPECT_EQ(out.stop_reason(), "tool_use");
  EXPECT_NE(out.sse.find(R"(\"command\":\"make\")"), std::string::npos);
  EXPECT_EQ(out.sse.find("build"), std::string::npos);
  EXPECT_EQ(out.violations, "");
  EXPECT_EQ(out.records.size(), 1u);
}

TEST(ToolFilter, HoldLimitExceededFailsClosed) {
  auto policy = build(kNoRmRf);
  pipeline::ExecutorLimits limits;
  limits.max_buffer_bytes = 4096;
  const json::object input{{"command", "echo " + std::string(20000, 'y')}};
  const auto out = run_sse(
      *policy, AnthropicStream().tool("Bash", input, 100).text("after", 1).finish(), limits);
  EXPECT_EQ(out.text(), blocked("Bash", "its arguments are too large to inspect") + "|after");
  EXPECT_EQ(out.sse.find("yyyy"), std::string::npos);
  EXPECT_EQ(out.stop_reason(), "end_turn");
  EXPECT_EQ(out.violations, "");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].detail.at("reason"), "its arguments are too large to inspect");
  EXPECT_LE(out.records[0].detail.at("arguments").as_string().size(), 2048u + 3);
}

TEST(ToolFilter, ACallTheNameAloneAllowsIsNotHeld) {
  auto policy = build(kNoRmRf);
  pipeline::ExecutorLimits limits;
  limits.max_buffer_bytes = 4096;
  const std::string sse =
      AnthropicStream().tool("Write", {{"content", std::string(20000, 'y')}}, 100).finish();
  EXPECT_EQ(run_sse(*policy, sse, limits).sse, sse);
}

TEST(ToolFilter, MessageTemplate) {
  auto policy = build(
      "policy:\n  type: tool_filter\n  deny: [Bash]\n"
      "  message: 'No {tool_name} ({reason}) for {tool_arguments}; {unknown}'\n");
  const auto out =
      run_sse(*policy, AnthropicStream().tool("Bash", {{"command", "ls"}}, 2).finish());
  EXPECT_EQ(out.text(),
            R"(No Bash (it matches the deny rule `Bash`) for {"command":"ls"}; {unknown})");
}

TEST(ToolFilter, NonStreaming) {
  auto policy = build(kNoRmRf);
  const auto out = run_whole(*policy, message_with(R"([{"type":"text","text":"On it."},
          {"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"rm -rf /"}}])",
                                                   "tool_use"));
  ASSERT_TRUE(out.message.has_value());
  EXPECT_EQ(json::serialize(out.message->at("content")),
            R"([{"type":"text","text":"On it."},{"type":"text","text":")" +
                blocked("Bash", "its argument `command` matches `rm\\\\s+-rf`") + R"("}])");
  EXPECT_EQ(out.message->at("stop_reason"), "end_turn");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].detail.at("id"), "toolu_1");

  const auto allowed = run_whole(
      *policy,
      message_with(R"([{"type":"tool_use","id":"toolu_2","name":"Bash","input":{"command":"ls"}}])",
                   "tool_use"));
  // Holding and releasing the call counts as a change for the executor, so a
  // message may come back; it must be the same message.
  if (allowed.message) {
    EXPECT_EQ(json::serialize(allowed.message->at("content")),
              R"([{"type":"tool_use","id":"toolu_2","name":"Bash","input":{"command":"ls"}}])");
    EXPECT_EQ(allowed.message->at("stop_reason"), "tool_use");
  }
  EXPECT_TRUE(allowed.records.empty());
}

TEST(ToolFilter, RecordedAnthropicStreamIsForwardedByteForByteWhenAllowed) {
  auto policy = build(
      "policy:\n  type: tool_filter\n  deny:\n"
      "    - { tool: get_weather, argument: location, argument_pattern: Paris }\n");
  const std::string sse = testing::read_data_file("anthropic/tool_use_stream.sse");
  const auto out = run_sse(*policy, sse);
  EXPECT_EQ(out.sse, sse);
}

TEST(ToolFilter, OpenAiStreamOneOfTwoCallsDenied) {
  auto policy = build(
      "policy:\n  type: tool_filter\n  deny:\n"
      "    - { tool: 'get_*', argument: location, argument_pattern: Paris }\n");
  const auto events = testing::run_policy(
      *policy, testing::decode_openai(testing::read_data_file("openai/tool_calls_stream.sse")));
  const std::string client = testing::to_openai_sse(events, /*passthrough=*/true);
  EXPECT_EQ(testing::openai_violations(client), "");
  EXPECT_NE(client.find("Warden blocked a call to tool `get_weather`"), std::string::npos);
  EXPECT_EQ(client.find(R"(\"Paris\")"), std::string::npos);  // the arguments are gone
  EXPECT_NE(client.find("get_time"), std::string::npos);
  EXPECT_NE(client.find(R"("finish_reason":"tool_calls")"), std::string::npos);
}

TEST(ToolFilter, OpenAiStreamEveryCallDeniedFinishesWithStop) {
  auto policy = build("policy:\n  type: tool_filter\n  allow: [Read]\n");
  const auto events = testing::run_policy(
      *policy, testing::decode_openai(testing::read_data_file("openai/tool_calls_stream.sse")));
  const std::string client = testing::to_openai_sse(events, /*passthrough=*/true);
  EXPECT_EQ(testing::openai_violations(client), "");
  EXPECT_EQ(client.find("tool_calls\":[{"), std::string::npos);
  EXPECT_NE(client.find(R"("finish_reason":"stop")"), std::string::npos);
  EXPECT_EQ(testing::anthropic_violations(testing::to_anthropic_sse(events, false)), "");
}

TEST(ToolFilter, ConfigErrors) {
  EXPECT_EQ(
      config_error("policy:\n  type: tool_filter\n  deny:\n"
                   "    - { tool: Bash, argument_pattern: 'rm(' }\n"),
      "test.yaml:4: policy.deny[0].argument_pattern: invalid regular expression: missing ): rm(");
  EXPECT_EQ(
      config_error("policy:\n  type: tool_filter\n  deny:\n    - { tool: Bash, argumnt: x }\n")
          .rfind("test.yaml:4: policy.deny[0].argumnt: unknown key", 0),
      0u);
  EXPECT_EQ(
      config_error("policy:\n  type: tool_filter\n  deny:\n    - { tool: Bash, argument: x }\n"),
      "test.yaml:4: policy.deny[0].argument: `argument` needs `argument_pattern`");
  EXPECT_NE(config_error("policy:\n  type: tool_filter\n").find("needs `allow`, `deny` or both"),
            std::string::npos);
  EXPECT_EQ(config_error("policy:\n  type: tool_filter\n  alow: [Read]\n")
                .rfind("test.yaml:3: policy.alow: unknown key", 0),
            0u);
}

TEST(Registry, KnowsEveryBuiltIn) {
  const auto types = policy_types();
  for (const char* type : {"all_caps", "debug_logging", "string_replacement", "blocked_content",
                           "tool_filter", "chain", "noop"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), type), types.end()) << type;
  }
}

TEST(Chain, ToolFilterThenStringReplacement) {
  auto policy = build(
      "policy:\n  type: chain\n  policies:\n"
      "    - { type: tool_filter, deny: [Bash] }\n"
      "    - { type: string_replacement, replacements: [{ find: Warden, replace: The gateway }] "
      "}\n");
  const auto out =
      run_sse(*policy, AnthropicStream().text("Hi.", 2).tool("Bash", {{"c", 1}}, 2).finish());
  EXPECT_EQ(out.text(),
            "Hi.|The gateway blocked a call to tool `Bash`: it matches the deny rule `Bash`.");
  EXPECT_EQ(out.stop_reason(), "end_turn");
  EXPECT_EQ(out.violations, "");
  EXPECT_EQ(out.records.size(), 2u);
}

}  // namespace
}  // namespace warden::policy::test
