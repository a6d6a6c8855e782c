// The PolicyExecutor stage on real channels: forwarding rule, emit/drop, and a
// throwing policy failing closed without leaving the upstream side blocked.

#include "pipeline/policy_executor.hpp"

#include <stdexcept>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

namespace warden::pipeline {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

core::StreamEvent text_delta(int n) {
  core::BlockDelta delta;
  delta.index = 0;
  delta.kind = core::DeltaKind::kText;
  delta.text = "t" + std::to_string(n);
  return core::StreamEvent{std::move(delta), "raw" + std::to_string(n), false};
}

// Replaces every third delta with two events, drops every fifth.
class Rewriter final : public policy::Policy {
 public:
  std::string_view name() const override { return "rewriter"; }
  asio::awaitable<void> on_chunk_received(policy::StreamContext& ctx) override {
    const auto* delta = ctx.current().as<core::BlockDelta>();
    const int n = std::stoi(delta->text.substr(1));
    if (n % 5 == 0) ctx.drop_current();
    if (n % 3 == 0) {
      ctx.emit(text_delta(1000 + n));
      ctx.current().as<core::BlockDelta>()->text += "!";
      ctx.current().modified = true;
    }
    co_return;
  }
};

class Thrower final : public policy::Policy {
 public:
  std::string_view name() const override { return "thrower"; }
  asio::awaitable<void> on_chunk_received(policy::StreamContext& ctx) override {
    if (ctx.current().as<core::BlockDelta>()->text == "t2") throw std::runtime_error("boom");
    co_return;
  }
};

struct StageRun {
  std::vector<core::StreamEvent> out;
  int produced = 0;
  bool producer_stopped_early = false;
};

asio::awaitable<void> produce(EventChannel& in, int count, StageRun& run) {
  for (int i = 0; i < count; ++i) {
    core::StreamEvent event = text_delta(i);
    auto [ec] = co_await in.async_send(boost::system::error_code{}, std::move(event), kNoThrow);
    if (ec) {
      run.producer_stopped_early = true;
      co_return;
    }
    ++run.produced;
  }
  core::StreamEvent marker{core::Ping{}, {}, false};
  const boost::system::error_code end = asio::error::eof;
  co_await in.async_send(end, std::move(marker), kNoThrow);
}

asio::awaitable<void> consume(EventChannel& out, StageRun& run) {
  while (true) {
    auto [ec, event] = co_await out.async_receive(kNoThrow);
    if (ec) co_return;
    run.out.push_back(std::move(event));
  }
}

StageRun run_executor(policy::Policy& policy, int count) {
  asio::io_context io;
  EventChannel in(io, 4);
  EventChannel out(io, 4);
  policy::PolicyContext context{"txn_test", nullptr, {}};
  PolicyExecutor executor(policy, context);
  StageRun run;
  asio::co_spawn(io, (produce(in, count, run) && executor.run(in, out) && consume(out, run)),
                 asio::detached);
  io.run_for(std::chrono::seconds(10));
  EXPECT_TRUE(io.stopped()) << "the stages did not finish";
  return run;
}

TEST(PolicyExecutorTest, NoopForwardsEveryEventUntouchedInOrder) {
  policy::NoopPolicy noop;
  const StageRun run = run_executor(noop, 50);
  ASSERT_EQ(run.out.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(run.out[i].raw, "raw" + std::to_string(i));
    EXPECT_FALSE(run.out[i].modified);
  }
}

TEST(PolicyExecutorTest, EmittedEventsGoBeforeTheCurrentOneAndDroppedOnesVanish) {
  Rewriter rewriter;
  const StageRun run = run_executor(rewriter, 16);
  std::vector<std::string> texts;
  for (const auto& e : run.out) texts.push_back(e.as<core::BlockDelta>()->text);
  // Multiples of 5 are dropped; multiples of 3 emit an extra event first and are changed.
  std::vector<std::string> want;
  for (int n = 0; n < 16; ++n) {
    if (n % 3 == 0) want.push_back("t" + std::to_string(1000 + n));
    if (n % 5 != 0) want.push_back("t" + std::to_string(n) + (n % 3 == 0 ? "!" : ""));
  }
  EXPECT_EQ(texts, want);
  EXPECT_EQ(texts.front(), "t1000");  // 0: emitted, then itself dropped
}

TEST(PolicyExecutorTest, ThrowingPolicyFailsClosedAndStopsTheUpstreamSide) {
  Thrower thrower;
  const StageRun run = run_executor(thrower, 500);  // far more than the channels hold
  ASSERT_EQ(run.out.size(), 3u);
  EXPECT_EQ(run.out[0].raw, "raw0");
  EXPECT_EQ(run.out[1].raw, "raw1");
  const auto* error = run.out[2].as<core::StreamError>();
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(run.out[2].modified);
  EXPECT_NE(error->message.find("thrower"), std::string::npos);
  EXPECT_NE(error->message.find("boom"), std::string::npos);
  EXPECT_TRUE(run.producer_stopped_early);
  EXPECT_LT(run.produced, 500);
}

}  // namespace
}  // namespace warden::pipeline
