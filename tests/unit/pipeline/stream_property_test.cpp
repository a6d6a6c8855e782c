// Property: whatever a policy does — drop, hold, release, discard, replace,
// insert, emit stray structural events — on whatever stream, the client gets a
// stream its dialect's validator accepts. Random policies (alone and chained)
// on random streams, with a fixed seed so a failure reproduces.
//
// The one rule a policy keeps (policy.hpp): a tool call is kept, dropped or
// replaced whole — its input JSON is the policy's to keep valid, not the
// builder's. So the random policy acts on a tool call only when it completes.

#include <random>

#include <gtest/gtest.h>

#include "support/stream_harness.hpp"

namespace warden::pipeline {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

class RandomPolicy final : public policy::Policy {
 public:
  explicit RandomPolicy(unsigned seed) : rng_(seed) {}
  std::string_view name() const override { return "random"; }

  asio::awaitable<void> on_chunk_received(policy::StreamContext& ctx) override {
    const core::Block* block = ctx.current_block();
    const bool in_tool = (block != nullptr && block->type == core::BlockType::kToolUse) ||
                         (ctx.completed_block() != nullptr &&
                          ctx.completed_block()->type == core::BlockType::kToolUse);
    if (in_tool) co_return;
    const int roll = pick(100);
    if (roll < 8) {
      ctx.drop_current();
    } else if (roll < 18) {
      ctx.hold();
    } else if (roll < 24) {
      ctx.release_held();
    } else if (roll < 28) {
      ctx.discard_held();
    } else if (roll < 34) {
      ctx.emit_text_block("inserted");
    } else if (roll < 40) {
      ctx.emit(stray());
    } else if (roll < 46) {
      if (auto* d = ctx.current().as<core::BlockDelta>(); d != nullptr && d->kind == core::DeltaKind::kText) {
        d->text = "changed";
        ctx.current().modified = true;
      }
    }
    co_return;
  }
  asio::awaitable<void> on_tool_call_complete(policy::StreamContext& ctx) override {
    if (pick(2) == 0) {
      ctx.discard_held();
      ctx.drop_current();
      ctx.emit_text_block("tool replaced");
    }
    co_return;
  }
  asio::awaitable<void> on_stream_complete(policy::StreamContext& ctx) override {
    if (pick(2) == 0) ctx.release_held();
    co_return;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  core::StreamEvent stray() {
    switch (pick(6)) {
      case 0:
        return {core::BlockStop{pick(4)}, {}, true};
      case 1:
        return {core::MessageStart{{{"id", "msg_x"}, {"type", "message"}, {"role", "assistant"},
                                    {"model", "m"}, {"content", json::array{}},
                                    {"usage", {{"input_tokens", 1}, {"output_tokens", 1}}}}},
                {}, true};
      case 2:
        return {core::MessageStop{}, {}, true};
      case 3:
        return {core::MessageDelta{{{"type", "message_delta"},
                                    {"delta", {{"stop_reason", "tool_use"}}},
                                    {"usage", {{"output_tokens", 1}}}}},
                {}, true};
      case 4:
        return {core::BlockStart{pick(4), {{"type", "tool_use"}, {"id", "toolu_x"}, {"name", "X"},
                                           {"input", json::object{}}}},
                {}, true};
      default:
        return policy::text_delta_event(pick(4), "stray");
    }
  }

  std::mt19937 rng_;
};

std::string random_stream(std::mt19937& rng) {
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  testing::AnthropicStream stream;
  const int blocks = pick(5);
  for (int i = 0; i < blocks; ++i) {
    switch (pick(3)) {
      case 0:
        stream.text("some text number " + std::to_string(i), 1 + pick(6));
        break;
      case 1:
        stream.tool("Tool" + std::to_string(i), {{"arg", std::string(pick(40), 'a')}, {"n", i}},
                    1 + pick(8));
        break;
      default:
        stream.thinking("hmm", 1 + pick(3));
        break;
    }
    if (pick(4) == 0) stream.ping();
  }
  if (pick(10) == 0) return stream.unfinished();
  return stream.finish(pick(8) == 0 ? "max_tokens" : "");
}

void check_output(const std::vector<core::StreamEvent>& out, const std::string& what) {
  ASSERT_EQ(testing::anthropic_violations(testing::to_anthropic_sse(out, true)), "") << what;
  ASSERT_EQ(testing::anthropic_violations(testing::to_anthropic_sse(out, false)), "") << what;
  ASSERT_EQ(testing::openai_violations(testing::to_openai_sse(out, false, true)), "") << what;
}

TEST(StreamProperty, RandomPoliciesOnRandomStreamsAlwaysGiveValidStreams) {
  std::mt19937 rng(20261125);
  for (int round = 0; round < 300; ++round) {
    const std::string upstream = random_stream(rng);
    RandomPolicy policy(static_cast<unsigned>(round));
    auto out = testing::run_policy(policy, testing::decode_anthropic(upstream));
    check_output(out, "round " + std::to_string(round) + "\n" + upstream);
  }
}

TEST(StreamProperty, ChainsOfRandomPoliciesGiveValidStreams) {
  std::mt19937 rng(7);
  for (int round = 0; round < 150; ++round) {
    const std::string upstream = random_stream(rng);
    policy::ChainPolicy chain({std::make_shared<RandomPolicy>(round * 3 + 1),
                               std::make_shared<RandomPolicy>(round * 3 + 2),
                               std::make_shared<RandomPolicy>(round * 3 + 3)});
    auto out = testing::run_policy(chain, testing::decode_anthropic(upstream));
    check_output(out, "round " + std::to_string(round) + "\n" + upstream);
  }
}

TEST(StreamProperty, RandomPoliciesOnOpenAiStreamsGiveValidPassthrough) {
  for (const char* file : {"openai/text_stream.sse", "openai/tool_calls_stream.sse",
                           "openai/text_then_tool_stream.sse"}) {
    const std::string upstream = testing::read_data_file(file);
    for (unsigned seed = 0; seed < 60; ++seed) {
      RandomPolicy policy(seed);
      auto out = testing::run_policy(policy, testing::decode_openai(upstream));
      ASSERT_EQ(testing::openai_violations(testing::to_openai_sse(out, true)), "")
          << file << " seed " << seed;
      ASSERT_EQ(testing::anthropic_violations(testing::to_anthropic_sse(out, false)), "")
          << file << " seed " << seed;
    }
  }
}

}  // namespace
}  // namespace warden::pipeline
