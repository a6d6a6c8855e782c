#pragma once
// Shared by the built-in policy tests: a policy from YAML as `warden` builds
// it, a stream through PolicyExecutor (streaming, via support/stream_harness)
// or a whole message through run_whole, and what the client then receives,
// checked against the Anthropic stream grammar.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "core/json_util.hpp"
#include "pipeline/policy_executor.hpp"
#include "policy/registry.hpp"
#include "support/stream_harness.hpp"

namespace warden::policy::test {

using testing::AnthropicStream;
using testing::describe;

// The policy a whole configuration file's `policy:` section configures.
inline std::shared_ptr<Policy> build(const std::string& yaml) {
  return build_policy(config::load_config_text(yaml, "test.yaml").policy);
}

// The message building `yaml` fails with, "" when it builds.
inline std::string config_error(const std::string& yaml) {
  try {
    build(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

// What came out of a policy for one stream.
struct Outcome {
  std::vector<core::StreamEvent> events;
  std::string sse;         // the bytes an Anthropic client receives
  std::string violations;  // api::anthropic::validate_stream of `sse`; "" when valid
  std::vector<PolicyEvent> records;

  // The text of every text block, blocks separated by "|".
  std::string text() const {
    std::string out;
    bool in_text = false;
    bool first = true;
    for (const auto& e : events) {
      if (const auto* start = e.as<core::BlockStart>()) {
        in_text = core::block_type(core::string_at(start->block, "type")) == core::BlockType::kText;
        if (in_text && !std::exchange(first, false)) out += "|";
      } else if (const auto* delta = e.as<core::BlockDelta>(); delta != nullptr && in_text) {
        out += delta->text;
      }
    }
    return out;
  }
  // The text of each text delta, in order.
  std::vector<std::string> text_deltas() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      if (const auto* d = e.as<core::BlockDelta>();
          d != nullptr && d->kind == core::DeltaKind::kText) {
        out.push_back(d->text);
      }
    }
    return out;
  }
  std::string stop_reason() const {
    for (const auto& e : events) {
      if (const auto* md = e.as<core::MessageDelta>()) return std::string(core::stop_reason(*md));
    }
    return "";
  }
};

// `events` through the policy, streaming (real channels on an io_context).
inline Outcome run(Policy& policy, std::vector<core::StreamEvent> events,
                   pipeline::ExecutorLimits limits = {}) {
  core::Request request;
  PolicyContext context;
  context.transaction_id = "txn_policy_test";
  context.request = &request;
  Outcome outcome;
  outcome.events = testing::run_policy(policy, std::move(events), limits, &context);
  outcome.sse = testing::to_anthropic_sse(outcome.events);
  outcome.violations = testing::anthropic_violations(outcome.sse);
  outcome.records = std::move(context.events);
  return outcome;
}

// An upstream's Anthropic SSE bytes through the policy.
inline Outcome run_sse(Policy& policy, std::string_view sse, pipeline::ExecutorLimits limits = {}) {
  return run(policy, testing::decode_anthropic(sse), limits);
}

// A stream whose one text block has exactly these deltas — which, unlike an
// SSE stream (JSON strings), may split a UTF-8 character between two.
inline std::vector<core::StreamEvent> text_block_events(const std::vector<std::string>& pieces) {
  std::vector<core::StreamEvent> out;
  const auto made = [&](core::EventPayload payload) {
    out.push_back(core::StreamEvent{std::move(payload), {}, false});
  };
  made(core::MessageStart{boost::json::parse(R"({"id":"msg_t","type":"message","role":"assistant",
      "model":"claude-test","content":[],"stop_reason":null,"stop_sequence":null,
      "usage":{"input_tokens":1,"output_tokens":1}})")
                              .as_object()});
  made(core::BlockStart{0, {{"type", "text"}, {"text", ""}}});
  for (const auto& piece : pieces) {
    core::BlockDelta delta;
    delta.kind = core::DeltaKind::kText;
    delta.text = piece;
    made(std::move(delta));
  }
  made(core::BlockStop{0});
  made(core::MessageDelta{
      boost::json::parse(
          R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}})")
          .as_object()});
  made(core::MessageStop{});
  return out;
}

// A whole message through PolicyExecutor::run_whole (the non-streaming path).
struct WholeOutcome {
  std::optional<boost::json::object> message;  // null: unchanged
  std::vector<PolicyEvent> records;
};

inline WholeOutcome run_whole(Policy& policy, const boost::json::object& message) {
  core::Request request;
  PolicyContext context;
  context.transaction_id = "txn_policy_test";
  context.request = &request;
  pipeline::PolicyExecutor executor(policy, context, {});
  WholeOutcome outcome;
  bool done = false;
  boost::asio::io_context io;
  boost::asio::co_spawn(io, executor.run_whole(message),
                        [&](std::exception_ptr error, auto result) {
                          EXPECT_FALSE(error) << "run_whole threw";
                          EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
                          if (result) outcome.message = std::move(*result);
                          done = true;
                        });
  io.run_for(std::chrono::seconds(20));
  EXPECT_TRUE(done) << "run_whole did not finish";
  outcome.records = std::move(context.events);
  return outcome;
}

// A whole Anthropic message with these content blocks.
inline boost::json::object message_with(const std::string& content_json,
                                        std::string_view stop_reason = "end_turn") {
  auto message =
      boost::json::parse(R"({"id":"msg_1","type":"message","role":"assistant",
      "model":"claude-test","content":)" +
                         content_json + R"(,"stop_reason":")" + std::string(stop_reason) +
                         R"(","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}})")
          .as_object();
  return message;
}

// Every string is valid UTF-8 on its own.
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const std::size_t length = lead < 0x80         ? 1
                               : (lead >> 5) == 6  ? 2
                               : (lead >> 4) == 14 ? 3
                               : (lead >> 3) == 30 ? 4
                                                   : 0;
    if (length == 0 || i + length > s.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace warden::policy::test
