#include "stream_harness.hpp"

#include <fstream>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "api/anthropic/client_formatter.hpp"
#include "api/anthropic/event_codec.hpp"
#include "api/anthropic/stream_validator.hpp"
#include "api/openai/client_formatter.hpp"
#include "api/openai/stream_decoder.hpp"
#include "api/openai/stream_validator.hpp"
#include "upstream/sse_parser.hpp"

namespace warden::testing {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;

AnthropicStream::AnthropicStream(std::string model) {
  event("message_start",
        {{"type", "message_start"},
         {"message",
          {{"id", "msg_test"},
           {"type", "message"},
           {"role", "assistant"},
           {"model", model},
           {"content", json::array{}},
           {"stop_reason", nullptr},
           {"stop_sequence", nullptr},
           {"usage", {{"input_tokens", 10}, {"output_tokens", 1}}}}}});
}

void AnthropicStream::event(std::string_view name, const json::object& data) {
  sse_ += "event: " + std::string(name) + "\ndata: " + json::serialize(data) + "\n\n";
}

namespace {

// `text` cut into exactly `pieces` parts of nearly equal size, in bytes (tests
// that care about UTF-8 cut at code points themselves).
std::vector<std::string> split(std::string_view text, int pieces) {
  const std::size_t n = static_cast<std::size_t>(std::max(pieces, 1));
  std::vector<std::string> out;
  std::size_t at = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t next = text.size() * (i + 1) / n;  // exactly n pieces, sizes ±1
    out.emplace_back(text.substr(at, next - at));
    at = next;
  }
  return out;
}

}  // namespace

AnthropicStream& AnthropicStream::text(std::string_view text, int pieces) {
  event("content_block_start", {{"type", "content_block_start"},
                                {"index", index_},
                                {"content_block", {{"type", "text"}, {"text", ""}}}});
  for (const auto& piece : split(text, pieces)) {
    event("content_block_delta", {{"type", "content_block_delta"},
                                  {"index", index_},
                                  {"delta", {{"type", "text_delta"}, {"text", piece}}}});
  }
  event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
  ++index_;
  return *this;
}

AnthropicStream& AnthropicStream::tool(std::string_view name, const json::object& input,
                                       int pieces, std::string id) {
  if (id.empty()) id = "toolu_test" + std::to_string(index_);
  event("content_block_start",
        {{"type", "content_block_start"},
         {"index", index_},
         {"content_block",
          {{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", json::object{}}}}});
  for (const auto& piece : split(json::serialize(input), pieces)) {
    event("content_block_delta",
          {{"type", "content_block_delta"},
           {"index", index_},
           {"delta", {{"type", "input_json_delta"}, {"partial_json", piece}}}});
  }
  event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
  ++index_;
  has_tool_ = true;
  return *this;
}

AnthropicStream& AnthropicStream::thinking(std::string_view text, int pieces) {
  event("content_block_start",
        {{"type", "content_block_start"},
         {"index", index_},
         {"content_block", {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}}}});
  for (const auto& piece : split(text, pieces)) {
    event("content_block_delta", {{"type", "content_block_delta"},
                                  {"index", index_},
                                  {"delta", {{"type", "thinking_delta"}, {"thinking", piece}}}});
  }
  event("content_block_delta", {{"type", "content_block_delta"},
                                {"index", index_},
                                {"delta", {{"type", "signature_delta"}, {"signature", "c2ln"}}}});
  event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
  ++index_;
  return *this;
}

AnthropicStream& AnthropicStream::ping() {
  event("ping", {{"type", "ping"}});
  return *this;
}

std::string AnthropicStream::finish(std::string stop_reason) {
  if (stop_reason.empty()) stop_reason = has_tool_ ? "tool_use" : "end_turn";
  event("message_delta", {{"type", "message_delta"},
                          {"delta", {{"stop_reason", stop_reason}, {"stop_sequence", nullptr}}},
                          {"usage", {{"output_tokens", 42}}}});
  event("message_stop", {{"type", "message_stop"}});
  return sse_;
}

namespace {

std::vector<upstream::SseEvent> parse_sse(std::string_view sse) {
  upstream::SseParser parser;
  std::vector<upstream::SseEvent> events;
  EXPECT_TRUE(parser.feed(sse, events));
  parser.finish(events);
  return events;
}

}  // namespace

std::vector<core::StreamEvent> decode_anthropic(std::string_view sse) {
  std::vector<core::StreamEvent> out;
  for (auto& e : parse_sse(sse)) {
    auto event = api::anthropic::decode_event(e.event, e.data, std::move(e.raw));
    EXPECT_TRUE(event.has_value()) << e.data;
    if (event) out.push_back(std::move(*event));
  }
  return out;
}

std::vector<core::StreamEvent> decode_openai(std::string_view sse, std::string model) {
  api::openai::StreamDecoder decoder(std::move(model));
  std::vector<core::StreamEvent> out;
  for (auto& e : parse_sse(sse)) {
    auto ok = decoder.feed(e.data, std::move(e.raw), out);
    EXPECT_TRUE(ok.has_value()) << e.data;
  }
  decoder.finish(out);
  return out;
}

std::string read_data_file(std::string_view relative) {
  std::ifstream in(std::string(WARDEN_TEST_DATA_DIR) + "/" + std::string(relative),
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << relative;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> produce(pipeline::EventChannel& in, std::vector<core::StreamEvent>& events) {
  for (auto& event : events) {  // one event per batch: the finest interleaving
    pipeline::EventBatch batch = pipeline::batch_of(std::move(event));
    auto [ec] = co_await in.async_send(boost::system::error_code{}, std::move(batch), kNoThrow);
    if (ec) co_return;
  }
  const boost::system::error_code end = asio::error::eof;
  pipeline::EventBatch marker;  // a named local: GCC 12 (ARCHITECTURE.md)
  co_await in.async_send(end, std::move(marker), kNoThrow);
}

asio::awaitable<void> consume(pipeline::EventChannel& out, std::vector<core::StreamEvent>& got) {
  while (true) {
    auto [ec, batch] = co_await out.async_receive(kNoThrow);
    for (auto& event : batch) got.push_back(std::move(event));
    if (ec) co_return;
  }
}

}  // namespace

std::vector<core::StreamEvent> run_policy(policy::Policy& policy,
                                          std::vector<core::StreamEvent> events,
                                          pipeline::ExecutorLimits limits,
                                          policy::PolicyContext* context) {
  asio::io_context io;
  pipeline::EventChannel in(io, 4);
  pipeline::EventChannel out(io, 4);
  core::Request request;
  policy::PolicyContext own;
  own.transaction_id = "txn_test";
  own.request = &request;
  if (context == nullptr) context = &own;
  pipeline::PolicyExecutor executor(policy, *context, limits);
  std::vector<core::StreamEvent> got;
  asio::co_spawn(io, (produce(in, events) && executor.run(in, out) && consume(out, got)),
                 asio::detached);
  io.run_for(std::chrono::seconds(20));
  EXPECT_TRUE(io.stopped()) << "the stages did not finish";
  return got;
}

core::Result<std::optional<json::object>> run_whole(policy::Policy& policy,
                                                    const json::object& message,
                                                    pipeline::ExecutorLimits limits) {
  core::Request request;
  policy::PolicyContext context;
  context.transaction_id = "txn_test";
  context.request = &request;
  pipeline::PolicyExecutor executor(policy, context, limits);
  std::optional<core::Result<std::optional<json::object>>> result;
  asio::io_context io;
  asio::co_spawn(io, executor.run_whole(message), [&](std::exception_ptr error, auto r) {
    EXPECT_FALSE(error) << "run_whole threw";
    result = std::move(r);
  });
  io.run_for(std::chrono::seconds(20));
  EXPECT_TRUE(result.has_value()) << "run_whole did not finish";
  if (!result) return core::fail(core::ErrorKind::kInternal, "did not finish");
  return std::move(*result);
}

std::string to_anthropic_sse(const std::vector<core::StreamEvent>& events, bool passthrough) {
  api::anthropic::ClientFormatter formatter(passthrough);
  std::string out;
  for (const auto& e : events) formatter.format(e, out);
  formatter.finish("", out);
  return out;
}

std::string to_openai_sse(const std::vector<core::StreamEvent>& events, bool passthrough,
                          bool include_usage) {
  api::openai::ClientFormatter formatter("gpt-test", include_usage, passthrough);
  std::string out;
  for (const auto& e : events) formatter.format(e, out);
  formatter.finish("", out);
  return out;
}

std::string anthropic_violations(std::string_view sse) {
  return api::anthropic::validate_stream(sse);
}

std::string openai_violations(std::string_view sse) { return api::openai::validate_stream(sse); }

std::vector<std::string> describe(const std::vector<core::StreamEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    std::string d(core::event_name(e));
    if (const auto* start = e.as<core::BlockStart>()) {
      const auto* type = start->block.if_contains("type");
      d = "start(" + std::to_string(start->index) + "," +
          (type != nullptr && type->is_string() ? std::string(type->get_string()) : "?") + ")";
    } else if (const auto* delta = e.as<core::BlockDelta>()) {
      d = "delta(" + std::to_string(delta->index) + "," + delta->text + ")";
    } else if (const auto* stop = e.as<core::BlockStop>()) {
      d = "stop(" + std::to_string(stop->index) + ")";
    } else if (const auto* md = e.as<core::MessageDelta>()) {
      d = "message_delta(" + std::string(core::stop_reason(*md)) + ")";
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace warden::testing
