// tool_call_judge: a judge model rates each tool call; risky calls become a
// text block, safe ones go out byte for byte. Judge calls run beside the
// stream, several at once; text never waits for them; verdicts go out in the
// calls' order; judge failures follow on_error.

#include <algorithm>
#include <thread>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/json/serialize.hpp>

#include "judge_harness.hpp"
#include "policy/builtin/tool_call_judge.hpp"
#include "policy/builtin/verdict_cache.hpp"

namespace warden::policy::test {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

const std::string kPolicy =
    "policy:\n"
    "  type: tool_call_judge\n"
    "  provider: judge\n"
    "  model: judge-model\n"
    "  threshold: 0.6\n"
    "  temperature: 0.2\n"
    "  max_tokens: 100\n"
    "  timeout_seconds: 5\n";

const std::string kBlockedRm =
    "Warden blocked a call to tool `Bash`: The command deletes files recursively. (risk 0.95)";

struct Judged {
  std::shared_ptr<FakeJudge> judge;
  std::shared_ptr<Policy> policy;
};

Judged make(const std::string& extra = "", FakeJudge::Script script = risk_reply,
            std::shared_ptr<Timeline> timeline = nullptr) {
  auto judge = std::make_shared<FakeJudge>(std::move(script), std::move(timeline));
  return {judge, build_judged(kPolicy + extra, judge)};
}

json::object bash(std::string command) { return {{"command", std::move(command)}}; }

// The tool_use blocks' input JSON, in the order the client gets them.
std::vector<std::string> tool_inputs(const Outcome& out) {
  std::vector<std::string> inputs;
  bool in_tool = false;
  for (const auto& e : out.events) {
    if (const auto* start = e.as<core::BlockStart>()) {
      in_tool = core::string_at(start->block, "type") == "tool_use";
      if (in_tool) inputs.emplace_back();
    } else if (const auto* delta = e.as<core::BlockDelta>(); delta != nullptr && in_tool) {
      inputs.back() += delta->text;
    }
  }
  return inputs;
}

void expect_valid(const Outcome& out) {
  EXPECT_EQ(out.violations, "") << out.sse;
  EXPECT_EQ(openai_violations_of(out), "");
}

TEST(ToolCallJudge, SafeCallPassesByteForByte) {
  auto [judge, policy] = make();
  const std::string sse =
      AnthropicStream().text("Listing.", 2).tool("Bash", bash("ls -la"), 5).finish();
  const auto out = run_judged_sse(*policy, sse);
  EXPECT_EQ(out.sse, sse);
  for (const auto& e : out.events) EXPECT_FALSE(e.modified) << core::event_name(e);
  expect_valid(out);

  ASSERT_EQ(judge->calls.size(), 1u);
  const ModelRequest& asked = judge->calls[0].request;
  EXPECT_NE(asked.user.find("\nTool: Bash\n"), std::string::npos) << asked.user;
  EXPECT_NE(asked.user.find("\nArguments: {\"command\":\"ls -la\"}\n"), std::string::npos)
      << asked.user;
  EXPECT_NE(asked.user.find(R"({"probability": <)"), std::string::npos) << asked.user;
  EXPECT_NE(asked.user.find("JSON only"), std::string::npos);
  EXPECT_EQ(asked.user.find("Last user message"), std::string::npos);
  EXPECT_EQ(asked.system, ToolCallJudge::kDefaultInstructions);
  EXPECT_EQ(asked.temperature, 0.2);
  EXPECT_EQ(asked.max_tokens, 100);
  EXPECT_EQ(asked.timeout, milliseconds(5000));

  ASSERT_EQ(out.records.size(), 1u);
  const auto& record = out.records[0];
  EXPECT_EQ(record.policy, "tool_call_judge");
  EXPECT_EQ(record.action, "allowed_tool_call");
  EXPECT_EQ(record.detail.at("tool"), "Bash");
  EXPECT_EQ(record.detail.at("id"), "toolu_test1");
  EXPECT_EQ(record.detail.at("arguments"), R"({"command":"ls -la"})");
  EXPECT_EQ(record.detail.at("probability"), 0.05);
  EXPECT_EQ(record.detail.at("explanation"), "A harmless command.");
  EXPECT_EQ(record.detail.at("blocked"), false);
  EXPECT_EQ(record.detail.at("cached"), false);
  EXPECT_TRUE(record.detail.at("judge_latency_ms").is_int64());
  EXPECT_FALSE(record.detail.contains("error"));
}

TEST(ToolCallJudge, RiskyCallBecomesTextAndEndTurn) {
  auto [judge, policy] = make();
  const auto out =
      run_judged_sse(*policy, AnthropicStream().tool("Bash", bash("rm -rf /"), 4).finish());
  EXPECT_EQ(describe(out.events),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0," + kBlockedRm + ")",
                                      "stop(0)", "message_delta(end_turn)", "message_stop"}));
  EXPECT_EQ(out.events.back().is<core::MessageStop>(), true);
  EXPECT_EQ(out.stop_reason(), "end_turn");
  EXPECT_EQ(out.sse.find("rm -rf"), std::string::npos);
  expect_valid(out);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].action, "blocked_tool_call");
  EXPECT_EQ(out.records[0].detail.at("probability"), 0.95);
  EXPECT_EQ(out.records[0].detail.at("blocked"), true);
  EXPECT_EQ(out.records[0].detail.at("explanation"), "The command deletes files recursively.");
}

TEST(ToolCallJudge, ThresholdIsInclusive) {
  auto [judge, policy] = make("  message: '{tool_name} {probability} {tool_arguments}'\n",
                              [](const ModelRequest&) -> Reply {
                                return {R"({"probability": 0.6, "explanation": "x"})"};
                              });
  const auto out = run_judged_sse(*policy, AnthropicStream().tool("Bash", bash("ls")).finish());
  EXPECT_EQ(out.text(), R"(Bash 0.6 {"command":"ls"})");
}

// A judge that fails, in each way, with on_error block and allow.
struct Failure {
  std::string name;
  std::string timeout_seconds;
  Reply reply;
  std::string error;  // in the policy event
};

std::vector<Failure> failures() {
  return {
      {"timeout", "0.1", {"{\"probability\": 0}", std::nullopt, milliseconds(3000)},
       "the judge did not answer within 0.1 s"},
      {"invalid_json", "5", {"I am not sure what to say."},
       "the judge's answer has no JSON object with \"probability\""},
      {"http_error",
       "5",
       {"", core::Error(core::ErrorKind::kUpstreamFailed, "judge answered HTTP 500")},
       "judge answered HTTP 500"},
  };
}

TEST(ToolCallJudge, JudgeFailureWithOnErrorBlock) {
  for (const auto& failure : failures()) {
    SCOPED_TRACE(failure.name);
    auto judge = std::make_shared<FakeJudge>([&](const ModelRequest&) { return failure.reply; });
    auto policy = build_judged(
        kPolicy + "  on_error: block\n  timeout_seconds: " + failure.timeout_seconds + "\n", judge);
    const auto out = run_judged_sse(
        *policy, AnthropicStream().text("Sure.").tool("Bash", bash("ls"), 3).finish());
    EXPECT_EQ(out.text(), "Sure.|Warden blocked a call to tool `Bash`: the judge gave no verdict: " +
                              failure.error + " (risk n/a)");
    EXPECT_EQ(out.stop_reason(), "end_turn");
    expect_valid(out);
    ASSERT_EQ(out.records.size(), 1u);
    EXPECT_EQ(out.records[0].action, "blocked_tool_call");
    EXPECT_EQ(out.records[0].detail.at("error").as_string(), failure.error);
    EXPECT_TRUE(out.records[0].detail.at("probability").is_null());
    if (failure.name == "timeout") {
      EXPECT_EQ(judge->calls[0].finished, -1) << "cut off";
    }
  }
}

TEST(ToolCallJudge, JudgeFailureWithOnErrorAllow) {
  for (const auto& failure : failures()) {
    SCOPED_TRACE(failure.name);
    auto judge = std::make_shared<FakeJudge>([&](const ModelRequest&) { return failure.reply; });
    auto policy = build_judged(
        kPolicy + "  on_error: allow\n  timeout_seconds: " + failure.timeout_seconds + "\n", judge);
    const std::string sse =
        AnthropicStream().text("Sure.").tool("Bash", bash("rm -rf /"), 3).finish();
    const auto out = run_judged_sse(*policy, sse);
    EXPECT_EQ(out.sse, sse);
    ASSERT_EQ(out.records.size(), 1u);
    EXPECT_EQ(out.records[0].action, "allowed_tool_call");
    EXPECT_EQ(out.records[0].detail.at("blocked"), false);
    EXPECT_EQ(out.records[0].detail.at("error").as_string(), failure.error);
  }
}

TEST(ToolCallJudge, TwoCallsAreJudgedAtOnceAndKeepTheirOrder) {
  auto [judge, policy] = make("", [](const ModelRequest& request) {
    Reply reply = risk_reply(request);
    reply.delay = milliseconds(200);
    return reply;
  });
  const auto out = run_judged_sse(*policy, AnthropicStream()
                                               .text("Cleaning up.", 2)
                                               .tool("Bash", bash("rm -rf build"), 3)
                                               .tool("Bash", bash("make"), 2)
                                               .finish());
  ASSERT_EQ(judge->calls.size(), 2u);
  // The second call was asked before the first was answered.
  EXPECT_LT(judge->calls[1].started, judge->calls[0].finished);
  EXPECT_EQ(describe(out.events)[5], "start(1,text)");
  EXPECT_EQ(out.text(),
            "Cleaning up.|Warden blocked a call to tool `Bash`: The command deletes files "
            "recursively. (risk 0.95)");
  EXPECT_EQ(tool_inputs(out), (std::vector<std::string>{R"({"command":"make"})"}));
  EXPECT_EQ(out.stop_reason(), "tool_use");
  expect_valid(out);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0].action, "blocked_tool_call");
  EXPECT_EQ(out.records[1].action, "allowed_tool_call");
}

TEST(ToolCallJudge, AFasterLaterVerdictWaitsForTheEarlierCall) {
  // The first call's verdict comes last; the calls still go out in order.
  auto [judge, policy] = make("", [](const ModelRequest& request) {
    Reply reply = risk_reply(request);
    reply.delay = request.user.find("first") != std::string::npos ? milliseconds(300)
                                                                    : milliseconds(10);
    return reply;
  });
  const auto out = run_judged_sse(*policy, AnthropicStream()
                                               .tool("Bash", bash("echo first"), 2)
                                               .tool("Bash", bash("rm -rf second"), 2)
                                               .tool("Bash", bash("echo third"), 2)
                                               .text("Done.")
                                               .finish());
  ASSERT_EQ(judge->calls.size(), 3u);
  EXPECT_LT(judge->calls[2].finished, judge->calls[0].finished);
  EXPECT_EQ(describe(out.events),
            (std::vector<std::string>{
                "message_start", "start(0,text)", "delta(0,Done.)", "stop(0)",
                "start(1,tool_use)", "delta(1,{\"command\":\")", "delta(1,echo first\"})",
                "stop(1)", "start(2,text)",
                "delta(2,Warden blocked a call to tool `Bash`: The command deletes files "
                "recursively. (risk 0.95))",
                "stop(2)", "start(3,tool_use)", "delta(3,{\"command\":\")",
                "delta(3,echo third\"})", "stop(3)", "message_delta(tool_use)",
                "message_stop"}));
  expect_valid(out);
}

TEST(ToolCallJudge, TextIsNotHeldWhileTheJudgeThinks) {
  // The judge answers only after the client has the text that follows the
  // call; had the policy held that text for the verdict, the judge would
  // never answer and the call would time out (an error in the event).
  auto timeline = std::make_shared<Timeline>();
  auto gate = std::make_shared<bool>(false);
  auto [judge, policy] = make(
      "", [gate](const ModelRequest& request) {
        Reply reply = risk_reply(request);
        reply.gate = gate;
        return reply;
      },
      timeline);
  RunOptions options;
  options.on_event = [&](const core::StreamEvent& e) {
    if (const auto* d = e.as<core::BlockDelta>(); d != nullptr && d->kind == core::DeltaKind::kText) {
      timeline->push_back("client got text " + d->text);
      if (d->text == "After.") *gate = true;
    }
    if (const auto* s = e.as<core::BlockStart>(); s && core::string_at(s->block, "type") == "tool_use") {
      timeline->push_back("client got the call");
    }
  };
  const auto out = run_judged_sse(
      *policy,
      AnthropicStream().text("Before.").tool("Bash", bash("ls"), 3).text("After.").finish(),
      options);
  EXPECT_EQ(*timeline, (Timeline{"client got text Before.", "client got text After.",
                                 "judge answered", "client got the call"}));
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_FALSE(out.records[0].detail.contains("error")) << json::serialize(out.records[0].detail);
  EXPECT_EQ(out.text(), "Before.|After.");
  EXPECT_EQ(tool_inputs(out), (std::vector<std::string>{R"({"command":"ls"})"}));
  EXPECT_EQ(out.stop_reason(), "tool_use");
  expect_valid(out);
}

TEST(ToolCallJudge, AVerdictInGoesOutAtTheNextBlock) {
  // The verdict lands while text `a` streams (the judge answers once the
  // client has `a`; the upstream sends `b` once it has answered): the call
  // goes out before `b`, not at the end of the message.
  auto timeline = std::make_shared<Timeline>();
  auto gate = std::make_shared<bool>(false);
  auto [judge, policy] = make(
      "", [gate](const ModelRequest& request) {
        Reply reply = risk_reply(request);
        reply.gate = gate;
        return reply;
      },
      timeline);
  std::vector<core::StreamEvent> events = testing::decode_anthropic(
      AnthropicStream().tool("Bash", bash("ls")).ping().text("a").text("b").finish());
  RunOptions options;
  options.on_event = [&](const core::StreamEvent& e) {
    if (const auto* s = e.as<core::BlockStart>()) {
      timeline->push_back("start " + std::string(core::string_at(s->block, "type")));
    }
    if (const auto* d = e.as<core::BlockDelta>(); d != nullptr && d->text == "a") *gate = true;
  };
  for (std::size_t i = 0, texts = 0; i < events.size(); ++i) {
    const auto* start = events[i].as<core::BlockStart>();
    if (start != nullptr && core::string_at(start->block, "type") == "text" && ++texts == 2) {
      options.pause_before = i;
    }
  }
  options.resume_when = [&] { return !judge->calls.empty() && judge->calls[0].finished > 0; };
  const auto out = run_judged(*policy, std::move(events), options);
  EXPECT_EQ(*timeline,
            (Timeline{"start text", "judge answered", "start tool_use", "start text"}));
  expect_valid(out);
}

TEST(ToolCallJudge, KeepaliveWhileWaitingAtTheEnd) {
  // The executor cancels a hook without progress for policy_timeout (1 s);
  // the wait for a 1.6 s verdict calls keepalive().
  auto [judge, policy] = make("", [](const ModelRequest& request) {
    Reply reply = risk_reply(request);
    reply.delay = milliseconds(1600);
    return reply;
  });
  RunOptions options;
  options.limits.policy_timeout = milliseconds(1000);
  const std::string sse = AnthropicStream().tool("Bash", bash("ls")).finish();
  const auto out = run_judged_sse(*policy, sse, options);
  EXPECT_EQ(out.sse, sse);
}

TEST(ToolCallJudge, CachedVerdictSkipsTheJudge) {
  auto [judge, policy] = make("  cache: { max_entries: 10, ttl_seconds: 600 }\n");
  const std::string sse = AnthropicStream().tool("Bash", bash("rm -rf /"), 2).finish();
  const auto first = run_judged_sse(*policy, sse);
  const auto second = run_judged_sse(*policy, sse);
  EXPECT_EQ(judge->calls.size(), 1u);
  EXPECT_EQ(second.text(), kBlockedRm);
  EXPECT_EQ(second.text(), first.text());
  ASSERT_EQ(second.records.size(), 1u);
  EXPECT_EQ(first.records[0].detail.at("cached"), false);
  EXPECT_EQ(second.records[0].detail.at("cached"), true);
  EXPECT_EQ(second.records[0].detail.at("probability"), 0.95);
  // Other arguments: asked again.
  run_judged_sse(*policy, AnthropicStream().tool("Bash", bash("rm -rf /tmp"), 2).finish());
  EXPECT_EQ(judge->calls.size(), 2u);
}

TEST(ToolCallJudge, CacheOffTtlAndFailures) {
  const std::string sse = AnthropicStream().tool("Bash", bash("ls")).finish();
  {
    auto [judge, policy] = make("  cache: { max_entries: 0 }\n");
    run_judged_sse(*policy, sse);
    run_judged_sse(*policy, sse);
    EXPECT_EQ(judge->calls.size(), 2u) << "off";
  }
  {
    auto [judge, policy] = make("  cache: { ttl_seconds: 0.05 }\n");
    run_judged_sse(*policy, sse);
    std::this_thread::sleep_for(milliseconds(80));
    run_judged_sse(*policy, sse);
    EXPECT_EQ(judge->calls.size(), 2u) << "expired";
  }
  {
    auto [judge, policy] = make("", [](const ModelRequest&) { return Reply{"no idea"}; });
    run_judged_sse(*policy, sse);
    run_judged_sse(*policy, sse);
    EXPECT_EQ(judge->calls.size(), 2u) << "a failure is not a verdict to remember";
  }
}

TEST(VerdictCache, EvictsTheOldestAndRefreshes) {
  VerdictCache cache(2, std::chrono::hours(1));
  cache.insert("a", {0.1, "a"});
  cache.insert("b", {0.2, "b"});
  cache.insert("a", {0.3, "a2"});  // now the newest
  cache.insert("c", {0.4, "c"});   // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.find("b").has_value());
  ASSERT_TRUE(cache.find("a").has_value());
  EXPECT_EQ(cache.find("a")->explanation, "a2");
  EXPECT_EQ(cache.find("c")->probability, 0.4);
}

TEST(ToolCallJudge, OnlyListedToolsAreJudged) {
  auto [judge, policy] = make("  tools: [Bash, 'mcp__*']\n");
  const std::string sse = AnthropicStream()
                              .tool("Read", {{"path", "/etc/passwd"}}, 2)
                              .text("ok")
                              .tool("Write", {{"path", "rm -rf /"}}, 2)
                              .finish();
  const auto out = run_judged_sse(*policy, sse);
  EXPECT_EQ(out.sse, sse);
  EXPECT_TRUE(judge->calls.empty());
  EXPECT_TRUE(out.records.empty());
}

TEST(ToolCallJudge, AnUnjudgedCallAfterAPendingOneKeepsItsPlace) {
  auto [judge, policy] = make("  tools: [Bash]\n", [](const ModelRequest& request) {
    Reply reply = risk_reply(request);
    reply.delay = milliseconds(100);
    return reply;
  });
  const auto out = run_judged_sse(*policy, AnthropicStream()
                                               .tool("Bash", bash("rm -rf /"), 2)
                                               .tool("Read", {{"path", "/a"}}, 2)
                                               .finish());
  EXPECT_EQ(describe(out.events)[1], "start(0,text)");
  EXPECT_EQ(describe(out.events)[4], "start(1,tool_use)");
  EXPECT_EQ(tool_inputs(out), (std::vector<std::string>{R"({"path":"/a"})"}));
  EXPECT_EQ(out.stop_reason(), "tool_use");
  EXPECT_EQ(out.records.size(), 1u);
  expect_valid(out);
}

TEST(ToolCallJudge, LastUserMessageContext) {
  auto [judge, policy] = make("  context: last_user_message\n");
  RunOptions options;
  options.request_body = json::parse(R"({"model":"m","messages":[
      {"role":"user","content":"Then rm -rf everything."},
      {"role":"assistant","content":[{"type":"tool_use","id":"t0","name":"Bash","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t0","content":"done"}]}]})")
                             .as_object();
  const auto out =
      run_judged_sse(*policy, AnthropicStream().tool("Bash", bash("ls")).finish(), options);
  ASSERT_EQ(judge->calls.size(), 1u);
  const std::string& prompt = judge->calls[0].request.user;
  EXPECT_NE(prompt.find("\nLast user message: Then rm -rf everything.\n"), std::string::npos)
      << prompt;
  EXPECT_NE(prompt.find("\nArguments: {\"command\":\"ls\"}\n"), std::string::npos);
  // The judge saw the user's words: the harmless call is blocked.
  EXPECT_EQ(out.text(), kBlockedRm);

  // OpenAI-shaped text parts, and the default context that leaves them out.
  options.request_body = json::parse(R"({"model":"m","messages":[{"role":"user",
      "content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]}]})")
                             .as_object();
  run_judged_sse(*policy, AnthropicStream().tool("Bash", bash("pwd")).finish(), options);
  EXPECT_NE(judge->calls[1].request.user.find("Last user message: one\ntwo\n"), std::string::npos);
  auto [plain_judge, plain] = make();
  run_judged_sse(*plain, AnthropicStream().tool("Bash", bash("ls")).finish(), options);
  EXPECT_EQ(plain_judge->calls[0].request.user.find("Last user message"), std::string::npos);
}

TEST(ToolCallJudge, NonStreaming) {
  auto [judge, policy] = make();
  const auto blocked = run_whole(*policy, message_with(R"([{"type":"text","text":"On it."},
      {"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"rm -rf /"}},
      {"type":"tool_use","id":"toolu_2","name":"Bash","input":{"command":"ls"}}])",
                                                       "tool_use"));
  ASSERT_TRUE(blocked.message.has_value());
  EXPECT_EQ(json::serialize(blocked.message->at("content")),
            R"([{"type":"text","text":"On it."},{"type":"text","text":")" + kBlockedRm +
                R"("},{"type":"tool_use","id":"toolu_2","name":"Bash","input":{"command":"ls"}}])");
  EXPECT_EQ(blocked.message->at("stop_reason"), "tool_use");
  ASSERT_EQ(blocked.records.size(), 2u);
  EXPECT_EQ(blocked.records[0].detail.at("id"), "toolu_1");
  EXPECT_EQ(blocked.records[0].action, "blocked_tool_call");

  const auto only = run_whole(*policy, message_with(R"([{"type":"tool_use","id":"toolu_3",
      "name":"Bash","input":{"command":"rm -rf /"}}])",
                                                    "tool_use"));
  ASSERT_TRUE(only.message.has_value());
  EXPECT_EQ(only.message->at("stop_reason"), "end_turn");

  const auto allowed = run_whole(*policy, message_with(R"([{"type":"tool_use","id":"toolu_4",
      "name":"Bash","input":{"command":"ls"}}])",
                                                       "tool_use"));
  if (allowed.message) {
    EXPECT_EQ(json::serialize(allowed.message->at("content")),
              R"([{"type":"tool_use","id":"toolu_4","name":"Bash","input":{"command":"ls"}}])");
  }
  ASSERT_EQ(allowed.records.size(), 1u);
  EXPECT_EQ(allowed.records[0].action, "allowed_tool_call");
}

TEST(ToolCallJudge, OpenAiStream) {
  auto [judge, policy] = make("", [](const ModelRequest& request) {
    if (request.user.find("Paris") != std::string::npos) {
      return Reply{R"({"probability": 0.9, "explanation": "No Paris."})"};
    }
    return Reply{R"({"probability": 0.1, "explanation": "Fine."})"};
  });
  const auto out = run_judged(
      *policy, testing::decode_openai(testing::read_data_file("openai/tool_calls_stream.sse")));
  const std::string client = testing::to_openai_sse(out.events, /*passthrough=*/true);
  EXPECT_EQ(testing::openai_violations(client), "");
  EXPECT_EQ(testing::anthropic_violations(testing::to_anthropic_sse(out.events, false)), "");
  EXPECT_NE(client.find("Warden blocked a call to tool `get_weather`: No Paris."),
            std::string::npos)
      << client;
  EXPECT_EQ(client.find(R"(\"Paris\")"), std::string::npos);
  EXPECT_NE(client.find("get_time"), std::string::npos);
  EXPECT_NE(client.find(R"("finish_reason":"tool_calls")"), std::string::npos);
  EXPECT_EQ(judge->calls.size(), 2u);
}

TEST(ToolCallJudge, HoldLimitFailsClosed) {
  auto [judge, policy] = make();
  RunOptions options;
  options.limits.max_buffer_bytes = 4096;
  const auto out = run_judged_sse(
      *policy,
      AnthropicStream().tool("Bash", bash("echo " + std::string(20000, 'y')), 100).text("after").finish(),
      options);
  EXPECT_EQ(out.text(),
            "Warden blocked a call to tool `Bash`: its arguments are too large to inspect (risk "
            "n/a)|after");
  EXPECT_EQ(out.sse.find("yyyy"), std::string::npos);
  EXPECT_TRUE(judge->calls.empty());
  EXPECT_EQ(out.stop_reason(), "end_turn");
  expect_valid(out);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].detail.at("blocked"), true);
  EXPECT_LE(out.records[0].detail.at("arguments").as_string().size(), 2048u + 3);
}

TEST(ToolCallJudge, ACutStreamCancelsItsJudgeCalls) {
  auto [judge, policy] = make("", [](const ModelRequest& request) {
    Reply reply = risk_reply(request);
    reply.delay = milliseconds(3000);
    return reply;
  });
  const auto out = run_judged_sse(
      *policy, AnthropicStream().text("Hi.").tool("Bash", bash("ls"), 2).unfinished());
  ASSERT_EQ(judge->calls.size(), 1u);
  EXPECT_EQ(judge->calls[0].finished, -1) << "the judge call was cancelled, not answered";
  EXPECT_EQ(out.text(), "Hi.");
  EXPECT_TRUE(tool_inputs(out).empty());
  EXPECT_TRUE(out.records.empty());
}

TEST(ToolCallJudge, AnAbortedStreamCancelsItsJudgeCalls) {
  // The client goes away while a verdict is out: the stream's coroutine is
  // cancelled, then the executor (and the policy's stream state) destroyed;
  // the judge call must not run on.
  auto [judge, policy] = make("", [](const ModelRequest& request) {
    Reply reply = risk_reply(request);
    reply.delay = milliseconds(3000);
    return reply;
  });
  boost::asio::io_context io;
  pipeline::EventChannel in(io, 64);
  pipeline::EventChannel out(io, 64);
  core::Request request;
  PolicyContext context;
  context.request = &request;
  auto events = testing::decode_anthropic(AnthropicStream().tool("Bash", bash("ls")).finish());
  for (auto& e : events) in.try_send(boost::system::error_code{}, pipeline::batch_of(std::move(e)));
  boost::asio::cancellation_signal client_gone;
  bool ended = false;
  {
    pipeline::PolicyExecutor executor(*policy, context, pipeline::ExecutorLimits{});
    boost::asio::co_spawn(
        io, executor.run(in, out),
        boost::asio::bind_cancellation_slot(client_gone.slot(),
                                            [&](std::exception_ptr) { ended = true; }));
    io.run_for(milliseconds(200));  // now waiting for the verdict at message_delta
    ASSERT_EQ(judge->calls.size(), 1u);
    client_gone.emit(boost::asio::cancellation_type::terminal);
    io.restart();
    io.run_for(milliseconds(100));
    ASSERT_TRUE(ended);
    EXPECT_EQ(judge->calls[0].finished, -1) << "still running until the stream state goes";
  }
  io.restart();
  io.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(judge->calls[0].finished, -1);
}

TEST(ToolCallJudge, ConfigErrors) {
  const std::string head = "policy:\n  type: tool_call_judge\n";
  EXPECT_EQ(judged_config_error(head + "  model: m\n"),
            "test.yaml:2: policy.provider: required: the name of a configured provider");
  EXPECT_EQ(judged_config_error(head + "  provider: judge\n"),
            "test.yaml:2: policy.model: required: the judge's model");
  EXPECT_EQ(judged_config_error(head + "  provider: nope\n  model: m\n"),
            "test.yaml:3: policy.provider: no provider named 'nope'");
  EXPECT_EQ(judged_config_error(head + "  provider: judge\n  model: m\n  threshold: 1.5\n"),
            "test.yaml:5: policy.threshold: must be between 0 and 1, got 1.5");
  EXPECT_EQ(judged_config_error(head + "  provider: judge\n  model: m\n  threshold: high\n"),
            "test.yaml:5: policy.threshold: expected a number, got 'high'");
  EXPECT_EQ(judged_config_error(head + "  provider: judge\n  model: m\n  on_error: maybe\n"),
            "test.yaml:5: policy.on_error: expected block or allow, got 'maybe'");
  EXPECT_EQ(judged_config_error(head + "  provider: judge\n  model: m\n  context: all\n"),
            "test.yaml:5: policy.context: expected tool_call or last_user_message, got 'all'");
  EXPECT_EQ(judged_config_error(head + "  provider: judge\n  model: m\n  cache: { size: 3 }\n")
                .rfind("test.yaml:5: policy.cache.size: unknown key", 0),
            0u);
  EXPECT_EQ(judged_config_error(head + "  provider: judge\n  model: m\n  tools: []\n")
                .rfind("test.yaml:5: policy.tools: an empty list", 0),
            0u);
  EXPECT_EQ(judged_config_error(head + "  provider: judge\n  model: m\n  treshold: 1\n")
                .rfind("test.yaml:5: policy.treshold: unknown key", 0),
            0u);
  // Without a model client at all (PolicyDeps unset).
  EXPECT_EQ(config_error(head + "  provider: judge\n  model: m\n"),
            "test.yaml:3: policy.provider: no provider named 'judge'");
  EXPECT_EQ(judged_config_error(head + "  provider: judge\n  model: m\n"), "");
}

}  // namespace
}  // namespace warden::policy::test
