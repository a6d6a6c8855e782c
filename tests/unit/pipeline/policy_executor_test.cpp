// The PolicyExecutor: the exact hook order on recorded and generated streams in
// both dialects, the forwarding rule, failing closed (a throw, a stalled hook),
// and the regressions gateways like this one are known for.

#include "pipeline/policy_executor.hpp"

#include <stdexcept>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "support/stream_harness.hpp"

namespace warden::pipeline {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using testing::AnthropicStream;
using testing::describe;

// Records every hook call as "hook:event".
class HookRecorder : public policy::Policy {
 public:
  std::string_view name() const override { return "recorder"; }
  asio::awaitable<void> on_chunk_received(policy::StreamContext& ctx) override {
    note("chunk", ctx);
    co_return;
  }
  asio::awaitable<void> on_content_delta(policy::StreamContext& ctx) override {
    note("content_delta", ctx);
    co_return;
  }
  asio::awaitable<void> on_content_complete(policy::StreamContext& ctx) override {
    note("content_complete", ctx);
    co_return;
  }
  asio::awaitable<void> on_tool_call_delta(policy::StreamContext& ctx) override {
    note("tool_call_delta", ctx);
    co_return;
  }
  asio::awaitable<void> on_tool_call_complete(policy::StreamContext& ctx) override {
    note("tool_call_complete:" + std::string(ctx.completed_block()->tool_name()) + ":" +
             json::serialize(ctx.completed_block()->tool_input()),
         ctx);
    co_return;
  }
  asio::awaitable<void> on_finish_reason(policy::StreamContext& ctx) override {
    note("finish_reason:" + std::string(ctx.finish_reason()), ctx);
    co_return;
  }
  asio::awaitable<void> on_stream_complete(policy::StreamContext& ctx) override {
    note(ctx.at_end() ? "stream_complete(at end)" : "stream_complete", ctx);
    co_return;
  }

  // Hooks other than on_chunk_received, in order.
  std::vector<std::string> specific() const {
    std::vector<std::string> out;
    for (const auto& c : calls) {
      if (!c.starts_with("chunk:")) out.push_back(c);
    }
    return out;
  }
  std::vector<std::string> calls;

 private:
  void note(const std::string& hook, policy::StreamContext& ctx) {
    calls.push_back(hook + (hook.starts_with("chunk") ? ":" + std::string(core::event_name(ctx.current())) : ""));
  }
};

std::vector<std::string> repeat(const std::string& s, int n) { return std::vector<std::string>(n, s); }

std::vector<std::string> concat(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// --- Hook order ------------------------------------------------------------------------------

TEST(HookOrder, TextOnly) {
  HookRecorder recorder;
  auto events = testing::decode_anthropic(AnthropicStream().text("Hello there", 3).finish());
  const std::size_t count = events.size();
  const auto out = testing::run_policy(recorder, std::move(events));
  EXPECT_EQ(out.size(), count);
  EXPECT_EQ(recorder.specific(),
            concat({repeat("content_delta", 3),
                    {"content_complete", "finish_reason:end_turn", "stream_complete"}}));
  // on_chunk_received saw every event, in order, each once.
  EXPECT_EQ(recorder.calls.front(), "chunk:message_start");
  EXPECT_EQ(std::count_if(recorder.calls.begin(), recorder.calls.end(),
                          [](const std::string& c) { return c.starts_with("chunk:"); }),
            static_cast<long>(count));
}

TEST(HookOrder, TextAndToolFromTheRecordedStream) {
  HookRecorder recorder;
  testing::run_policy(recorder,
                      testing::decode_anthropic(testing::read_data_file("anthropic/tool_use_stream.sse")));
  const auto hooks = recorder.specific();
  ASSERT_GE(hooks.size(), 5u);
  const auto complete = std::find_if(hooks.begin(), hooks.end(), [](const std::string& h) {
    return h.starts_with("tool_call_complete:");
  });
  ASSERT_NE(complete, hooks.end());
  EXPECT_EQ(*complete,
            R"(tool_call_complete:get_weather:{"location":"San Francisco, CA","unit":"fahrenheit"})");
  EXPECT_EQ(hooks.back(), "stream_complete");
  EXPECT_EQ(hooks[hooks.size() - 2], "finish_reason:tool_use");
}

TEST(HookOrder, SeveralToolsAndFiftyArgumentPieces) {
  HookRecorder recorder;
  const json::object big{{"command", std::string(200, 'x')}, {"timeout", 30}};
  testing::run_policy(recorder, testing::decode_anthropic(AnthropicStream()
                                                              .text("Running.", 2)
                                                              .tool("Bash", big, 50)
                                                              .tool("Read", {{"path", "/a"}}, 3)
                                                              .finish()));
  EXPECT_EQ(recorder.specific(),
            concat({repeat("content_delta", 2),
                    {"content_complete"},
                    repeat("tool_call_delta", 50),
                    {"tool_call_complete:Bash:" + json::serialize(big)},
                    repeat("tool_call_delta", 3),
                    {R"(tool_call_complete:Read:{"path":"/a"})", "finish_reason:tool_use",
                     "stream_complete"}}));
}

TEST(HookOrder, ThinkingThenText) {
  HookRecorder recorder;
  testing::run_policy(recorder, testing::decode_anthropic(
                                    AnthropicStream().thinking("Let me think", 4).text("Done", 2).finish()));
  // Thinking deltas have no content hook (changing them breaks the signature);
  // the thinking block's end is a content_complete.
  EXPECT_EQ(recorder.specific(),
            concat({{"content_complete"}, repeat("content_delta", 2),
                    {"content_complete", "finish_reason:end_turn", "stream_complete"}}));
}

TEST(HookOrder, OpenAiTextAndToolCalls) {
  HookRecorder recorder;
  testing::run_policy(recorder, testing::decode_openai(
                                    testing::read_data_file("openai/tool_calls_stream.sse")));
  const auto hooks = recorder.specific();
  ASSERT_FALSE(hooks.empty());
  EXPECT_EQ(hooks.back(), "stream_complete");
  EXPECT_EQ(hooks[hooks.size() - 2], "finish_reason:tool_use");
  EXPECT_GE(std::count_if(hooks.begin(), hooks.end(),
                          [](const std::string& h) { return h.starts_with("tool_call_complete:"); }),
            1);
}

// One OpenAI chunk carrying both content and finish_reason: the delta, the
// block's end, the finish reason and the end, in that order.
TEST(HookOrder, OpenAiChunkWithContentAndFinishReason) {
  const std::string chunk =
      R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]})"
      "\n\n"
      R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[{"index":0,"delta":{"content":" all"},"finish_reason":"stop"}]})"
      "\n\ndata: [DONE]\n\n";
  HookRecorder recorder;
  testing::run_policy(recorder, testing::decode_openai(chunk));
  EXPECT_EQ(recorder.specific(),
            (std::vector<std::string>{"content_delta", "content_delta", "content_complete",
                                      "finish_reason:end_turn", "stream_complete"}));
}

TEST(HookOrder, CutStreamStillCompletesOnceAtTheEnd) {
  HookRecorder recorder;
  testing::run_policy(recorder,
                      testing::decode_anthropic(AnthropicStream().text("Hel", 1).unfinished()));
  EXPECT_EQ(recorder.specific(),
            (std::vector<std::string>{"content_delta", "content_complete", "stream_complete(at end)"}));
}

// --- Forwarding rule and regressions ----------------------------------------------------------

// Overrides only the tool hooks: every text event still goes out, untouched.
class ToolOnly final : public policy::Policy {
 public:
  std::string_view name() const override { return "tool_only"; }
  asio::awaitable<void> on_tool_call_complete(policy::StreamContext&) override { co_return; }
};

TEST(Forwarding, ContentIsForwardedWhenAPolicyOnlyOverridesToolHooks) {
  ToolOnly policy;
  const std::string sse = AnthropicStream().text("All of this", 4).tool("Read", {{"p", 1}}, 2).finish();
  const auto out = testing::run_policy(policy, testing::decode_anthropic(sse));
  EXPECT_EQ(testing::to_anthropic_sse(out), sse);  // byte for byte
  for (const auto& e : out) EXPECT_FALSE(e.modified);
}

// Replaces every tool call with a text block (drop + emit per event).
class ToolBlocker final : public policy::Policy {
 public:
  std::string_view name() const override { return "blocker"; }
  asio::awaitable<void> on_chunk_received(policy::StreamContext& ctx) override {
    const core::Block* block = ctx.current_block();
    if (block != nullptr && block->type == core::BlockType::kToolUse) ctx.drop_current();
    co_return;
  }
  asio::awaitable<void> on_tool_call_complete(policy::StreamContext& ctx) override {
    ctx.drop_current();
    ctx.emit_text_block("blocked " + std::string(ctx.completed_block()->tool_name()));
    co_return;
  }
};

TEST(Forwarding, BlockingTheOnlyToolCallGivesAValidStreamEndingInEndTurn) {
  ToolBlocker policy;
  const auto out = testing::run_policy(
      policy, testing::decode_anthropic(AnthropicStream().tool("Bash", {{"command", "rm -rf /"}}, 5).finish()));
  EXPECT_EQ(describe(out),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0,blocked Bash)",
                                      "stop(0)", "message_delta(end_turn)", "message_stop"}));
  const std::string sse = testing::to_anthropic_sse(out);
  EXPECT_EQ(testing::anthropic_violations(sse), "");
  EXPECT_EQ(testing::openai_violations(testing::to_openai_sse(out)), "");
}

// The regression: a policy holding everything until the end must not put
// message_stop (or anything) before message_start.
class HoldAll final : public policy::Policy {
 public:
  std::string_view name() const override { return "hold_all"; }
  asio::awaitable<void> on_chunk_received(policy::StreamContext& ctx) override {
    if (!ctx.current().is<core::MessageStop>()) ctx.hold();
    co_return;
  }
  asio::awaitable<void> on_stream_complete(policy::StreamContext& ctx) override {
    ctx.emit(core::StreamEvent{core::MessageStop{}, {}, true});  // a careless extra stop first
    ctx.release_held();
    co_return;
  }
};

TEST(Forwarding, HeldEventsReleasedAfterAStopStillStartWithMessageStart) {
  HoldAll policy;
  const auto out = testing::run_policy(
      policy, testing::decode_anthropic(AnthropicStream().text("x", 2).tool("T", {{"a", 1}}).finish()));
  const std::string sse = testing::to_anthropic_sse(out);
  EXPECT_EQ(testing::anthropic_violations(sse), "");
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(out.front().is<core::MessageStart>());
  EXPECT_TRUE(out.back().is<core::MessageStop>());
}

// Emits a changed copy of every text delta and drops the original: each delta
// goes out once, never twice.
class CopyAndDrop final : public policy::Policy {
 public:
  std::string_view name() const override { return "copy"; }
  asio::awaitable<void> on_content_delta(policy::StreamContext& ctx) override {
    auto copy = ctx.current();
    copy.as<core::BlockDelta>()->text += "!";
    copy.raw.clear();
    ctx.emit(std::move(copy));
    ctx.drop_current();
    co_return;
  }
};

TEST(Forwarding, EmitPlusDropDoesNotDuplicate) {
  CopyAndDrop policy;
  const auto out =
      testing::run_policy(policy, testing::decode_anthropic(AnthropicStream().text("abc", 3).finish()));
  EXPECT_EQ(describe(out),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0,a!)", "delta(0,b!)",
                                      "delta(0,c!)", "stop(0)", "message_delta(end_turn)",
                                      "message_stop"}));
}

// The regression: an OpenAI chunk with content and finish_reason whose content
// a policy changes must keep the block's end, the finish and [DONE].
class Upper final : public policy::Policy {
 public:
  std::string_view name() const override { return "upper"; }
  asio::awaitable<void> on_content_delta(policy::StreamContext& ctx) override {
    for (auto& c : ctx.current().as<core::BlockDelta>()->text) c = static_cast<char>(std::toupper(c));
    ctx.current().modified = true;
    co_return;
  }
};

TEST(Forwarding, ChangedContentInAFinishChunkKeepsItsCloseEvents) {
  const std::string sse =
      R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]})"
      "\n\ndata: [DONE]\n\n";
  Upper policy;
  const auto out = testing::run_policy(policy, testing::decode_openai(sse));
  EXPECT_EQ(describe(out),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0,HI)", "stop(0)",
                                      "message_delta(end_turn)", "message_stop"}));
  const std::string client = testing::to_openai_sse(out, /*passthrough=*/true);
  EXPECT_EQ(testing::openai_violations(client), "");
  EXPECT_NE(client.find(R"("content":"HI")"), std::string::npos);
  EXPECT_NE(client.find(R"("finish_reason":"stop")"), std::string::npos);
}

// --- Failing closed ----------------------------------------------------------------------------

class Thrower final : public policy::Policy {
 public:
  std::string_view name() const override { return "thrower"; }
  asio::awaitable<void> on_content_delta(policy::StreamContext& ctx) override {
    if (ctx.current().as<core::BlockDelta>()->text == "b") throw std::runtime_error("boom");
    co_return;
  }
};

TEST(FailClosed, AThrowingHookEndsTheStreamWithAnErrorNamingThePolicy) {
  Thrower policy;
  const auto out =
      testing::run_policy(policy, testing::decode_anthropic(AnthropicStream().text("abc", 3).finish()));
  ASSERT_FALSE(out.empty());
  const auto* error = out.back().as<core::StreamError>();
  ASSERT_NE(error, nullptr);
  EXPECT_NE(error->message.find("'thrower' failed: boom"), std::string::npos);
  EXPECT_EQ(describe(out)[2], "delta(0,a)");  // what was checked before went out
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(testing::anthropic_violations(testing::to_anthropic_sse(out)), "");
}

// Sleeps in a hook; with `keepalive` it reports progress while it waits.
class Sleeper final : public policy::Policy {
 public:
  explicit Sleeper(bool keepalive) : keepalive_(keepalive) {}
  std::string_view name() const override { return "sleeper"; }
  asio::awaitable<void> on_content_complete(policy::StreamContext& ctx) override {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int i = 0; i < 10; ++i) {  // 10 × 30 ms: well past the 80 ms timeout
      timer.expires_after(std::chrono::milliseconds(30));
      co_await timer.async_wait(asio::use_awaitable);
      if (keepalive_) ctx.keepalive();
    }
  }

 private:
  bool keepalive_;
};

TEST(FailClosed, AHookWithoutProgressTimesOut) {
  Sleeper policy(false);
  ExecutorLimits limits;
  limits.policy_timeout = std::chrono::milliseconds(80);
  const auto out = testing::run_policy(
      policy, testing::decode_anthropic(AnthropicStream().text("abc", 3).text("later").finish()), limits);
  ASSERT_FALSE(out.empty());
  const auto* error = out.back().as<core::StreamError>();
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->message, "Warden policy 'sleeper' made no progress for 0.08 s");
  for (const auto& e : out) EXPECT_FALSE(e.is<core::MessageStop>());
  EXPECT_EQ(testing::anthropic_violations(testing::to_anthropic_sse(out)), "");
}

TEST(FailClosed, KeepaliveHoldsTheTimeoutOff) {
  Sleeper policy(true);
  ExecutorLimits limits;
  limits.policy_timeout = std::chrono::milliseconds(80);
  const auto out = testing::run_policy(
      policy, testing::decode_anthropic(AnthropicStream().text("abc", 3).finish()), limits);
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(out.back().is<core::MessageStop>());
}

// --- Buffer limit -------------------------------------------------------------------------------

class Hoarder final : public policy::Policy {
 public:
  std::string_view name() const override { return "hoarder"; }
  asio::awaitable<void> on_tool_call_delta(policy::StreamContext& ctx) override {
    if (!ctx.hold()) {
      ctx.discard_held();
      refused = true;
    }
    co_return;
  }
  asio::awaitable<void> on_tool_call_complete(policy::StreamContext& ctx) override {
    ctx.release_held();
    co_return;
  }
  bool refused = false;
};

TEST(BufferLimit, HoldingPastTheLimitIsRefusedAndAssemblyStops) {
  Hoarder policy;
  ExecutorLimits limits;
  limits.max_buffer_bytes = 4096;
  const json::object input{{"content", std::string(20000, 'y')}};
  const auto out = testing::run_policy(
      policy, testing::decode_anthropic(AnthropicStream().tool("Write", input, 100).finish()), limits);
  EXPECT_TRUE(policy.refused);
  EXPECT_TRUE(out.back().is<core::MessageStop>());
}

// --- Non-streaming: the same hooks over a whole message -----------------------------------------

TEST(WholeMessage, SameHooksAsAStreamAndUnchangedMeansNullopt) {
  HookRecorder recorder;
  const json::object message = json::parse(R"({"id":"msg_1","type":"message","role":"assistant",
      "model":"claude-test","content":[{"type":"text","text":"Hi"},
      {"type":"tool_use","id":"toolu_1","name":"Read","input":{"path":"/a"}}],
      "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}})")
                                   .as_object();
  const auto result = testing::run_whole(recorder, message);
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->has_value());
  EXPECT_EQ(recorder.specific(),
            (std::vector<std::string>{"content_delta", "content_complete", "tool_call_delta",
                                      R"(tool_call_complete:Read:{"path":"/a"})",
                                      "finish_reason:tool_use", "stream_complete"}));
}

TEST(WholeMessage, BlockedToolBecomesTextAndEndTurn) {
  ToolBlocker policy;
  const json::object message = json::parse(R"({"id":"msg_1","type":"message","role":"assistant",
      "model":"claude-test","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"rm -rf /"}}],
      "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}})")
                                   .as_object();
  const auto result = testing::run_whole(policy, message);
  ASSERT_TRUE(result.has_value() && result->has_value());
  const json::object& final = **result;
  EXPECT_EQ(json::serialize(final.at("content")), R"([{"type":"text","text":"blocked Bash"}])");
  EXPECT_EQ(final.at("stop_reason"), "end_turn");
  EXPECT_EQ(final.at("id"), "msg_1");
  EXPECT_EQ(final.at("usage").at("output_tokens"), 4);
}

}  // namespace
}  // namespace warden::pipeline
