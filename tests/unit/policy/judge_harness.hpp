#pragma once
// Shared by the judge policy tests: a fake judge model (the outside world),
// the policies built from YAML with it, and a streaming run that lets a test
// see each event as the client receives it.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "policy/model_client.hpp"
#include "policy_harness.hpp"

namespace warden::policy::test {

// Who did what when, in one order: the fake's calls and the client's events.
using Timeline = std::vector<std::string>;

// What the fake judge does for one request.
struct Reply {
  std::string text;                  // the model's answer
  std::optional<core::Error> error = std::nullopt;  // instead of an answer
  std::chrono::milliseconds delay{0};
  std::shared_ptr<bool> gate = nullptr;  // answers only once *gate is true
};

// A judge model that answers from a script, counting and recording calls.
class FakeJudge final : public ModelClient {
 public:
  using Script = std::function<Reply(const ModelRequest&)>;
  struct Call {
    ModelRequest request;
    int started = 0;    // ticks of a counter shared by start and end of every call
    int finished = -1;  // -1: did not answer (cancelled)
  };

  explicit FakeJudge(Script script, std::shared_ptr<Timeline> timeline = nullptr)
      : script_(std::move(script)), timeline_(std::move(timeline)) {}

  boost::asio::awaitable<core::Result<std::string>> complete(ModelRequest request) override {
    namespace asio = boost::asio;
    const std::size_t n = calls.size();
    calls.push_back({request, ++clock_});
    const Reply reply = script_(request);
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    // A cancelled wait throws: the call then never answers.
    if (reply.delay.count() > 0) {
      timer.expires_after(reply.delay);
      co_await timer.async_wait(asio::use_awaitable);
    }
    while (reply.gate && !*reply.gate) {
      timer.expires_after(std::chrono::milliseconds(2));
      co_await timer.async_wait(asio::use_awaitable);
    }
    calls[n].finished = ++clock_;
    if (timeline_) timeline_->push_back("judge answered");
    if (reply.error) co_return tl::unexpected(*reply.error);
    co_return reply.text;
  }

  std::vector<Call> calls;

 private:
  Script script_;
  std::shared_ptr<Timeline> timeline_;
  int clock_ = 0;
};

// The text of a prompt between the lines `<<<` and `>>>` (llm_rules), else all of it.
inline std::string reviewed(std::string_view prompt) {
  const auto begin = prompt.find("<<<\n");
  const auto end = prompt.rfind("\n>>>");
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin + 4) {
    return std::string(prompt);
  }
  return std::string(prompt.substr(begin + 4, end - begin - 4));
}

// Like the mock's `judge` scenario: `rm -rf` is risky, the rest harmless.
inline Reply risk_reply(const ModelRequest& request) {
  if (request.user.find("rm -rf") != std::string::npos) {
    return {R"({"probability": 0.95, "explanation": "The command deletes files recursively."})"};
  }
  return {R"({"probability": 0.05, "explanation": "A harmless command."})"};
}

// Like the mock's `rules` scenario.
inline Reply rules_reply(const ModelRequest& request) {
  std::string text = reviewed(request.user);
  if (text.find("forbidden-word") != std::string::npos) {
    return {R"({"verdict":"block","explanation":"It uses a forbidden word."})"};
  }
  if (text.find("internal.example") == std::string::npos) {
    return {R"({"verdict":"pass","explanation":"Fine."})"};
  }
  for (auto at = text.find("internal.example"); at != std::string::npos;
       at = text.find("internal.example", at)) {
    text.replace(at, 16, "[hidden host]");
  }
  boost::json::object verdict{
      {"verdict", "rewrite"}, {"text", text}, {"explanation", "It names an internal host."}};
  return {boost::json::serialize(verdict)};
}

// The policy `yaml` configures, whose provider `judge` is `client`.
inline std::shared_ptr<Policy> build_judged(const std::string& yaml,
                                            std::shared_ptr<ModelClient> client) {
  PolicyDeps deps;
  deps.model_client = [client](std::string_view provider,
                               std::string_view) -> std::shared_ptr<ModelClient> {
    return provider == "judge" ? client : nullptr;
  };
  return build_policy(config::load_config_text(yaml, "test.yaml").policy, deps);
}

inline std::string judged_config_error(const std::string& yaml) {
  try {
    build_judged(yaml, std::make_shared<FakeJudge>(risk_reply));
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

struct RunOptions {
  boost::json::object request_body;  // the client's request (for context: last_user_message)
  pipeline::ExecutorLimits limits;
  // Sees each event as the client receives it.
  std::function<void(const core::StreamEvent&)> on_event;
  // The upstream sends event #pause_before only once resume_when() is true.
  std::size_t pause_before = static_cast<std::size_t>(-1);
  std::function<bool()> resume_when;
};

namespace detail {

inline constexpr auto kNoThrow = boost::asio::as_tuple(boost::asio::use_awaitable);

inline boost::asio::awaitable<void> produce(pipeline::EventChannel& in,
                                            std::vector<core::StreamEvent>& events,
                                            const RunOptions& options) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (std::size_t i = 0; i < events.size(); ++i) {
    while (i == options.pause_before && !options.resume_when()) {
      timer.expires_after(std::chrono::milliseconds(2));
      co_await timer.async_wait(kNoThrow);
    }
    pipeline::EventBatch batch = pipeline::batch_of(std::move(events[i]));
    auto [ec] = co_await in.async_send(boost::system::error_code{}, std::move(batch), kNoThrow);
    if (ec) co_return;
  }
  const boost::system::error_code end = boost::asio::error::eof;
  pipeline::EventBatch marker;
  co_await in.async_send(end, std::move(marker), kNoThrow);
}

inline boost::asio::awaitable<void> consume(pipeline::EventChannel& out,
                                            std::vector<core::StreamEvent>& got,
                                            const RunOptions& options) {
  while (true) {
    auto [ec, batch] = co_await out.async_receive(kNoThrow);
    for (auto& event : batch) {
      if (options.on_event) options.on_event(event);
      got.push_back(std::move(event));
    }
    if (ec) co_return;
  }
}

}  // namespace detail

// `events` through the policy, streaming, as policy_harness.hpp's run() but
// with a request and an observer.
inline Outcome run_judged(Policy& policy, std::vector<core::StreamEvent> events,
                          const RunOptions& options = {}) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::io_context io;
  pipeline::EventChannel in(io, 4);
  pipeline::EventChannel out(io, 4);
  core::Request request;
  request.body = options.request_body;
  PolicyContext context;
  context.transaction_id = "txn_judge_test";
  context.request = &request;
  Outcome outcome;
  {
    pipeline::PolicyExecutor executor(policy, context, options.limits);
    boost::asio::co_spawn(io,
                          (detail::produce(in, events, options) && executor.run(in, out) &&
                           detail::consume(out, outcome.events, options)),
                          boost::asio::detached);
    io.run_for(std::chrono::seconds(20));
    EXPECT_TRUE(io.stopped()) << "the stages did not finish";
  }
  // Whatever the stream left running (cancelled judge calls) winds down.
  io.restart();
  io.run_for(std::chrono::seconds(5));
  outcome.sse = testing::to_anthropic_sse(outcome.events);
  outcome.violations = testing::anthropic_violations(outcome.sse);
  outcome.records = std::move(context.events);
  return outcome;
}

inline Outcome run_judged_sse(Policy& policy, std::string_view sse,
                              const RunOptions& options = {}) {
  return run_judged(policy, testing::decode_anthropic(sse), options);
}

// The same events as an OpenAI client receives them, checked by its validator.
inline std::string openai_violations_of(const Outcome& outcome) {
  return testing::openai_violations(testing::to_openai_sse(outcome.events));
}

}  // namespace warden::policy::test
