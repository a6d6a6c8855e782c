#include "mock/mock_scenarios.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "mock/mock_script.hpp"

namespace warden::mock {
namespace {

namespace json = boost::json;

// ---- The scripted message, rendered as one JSON body or as an Anthropic SSE stream ----

using script::Block;
using script::BlockKind;
using script::join;
using script::output_tokens;
using script::Script;

std::string message_id(const Script& script) {
  return "msg_mock_" + script.scenario + "_000" + std::to_string(script.turn);
}

std::string stop_reason(const Script& script) {
  return script.stop == script::StopReason::kToolUse ? "tool_use" : "end_turn";
}

json::object full_block_json(const Block& block) {
  switch (block.kind) {
    case BlockKind::kText:
      return json::object{{"type", "text"}, {"text", join(block.pieces)}};
    case BlockKind::kToolUse: {
      const std::string input = join(block.pieces);
      return json::object{
          {"type", "tool_use"},
          {"id", block.tool_id},
          {"name", block.tool_name},
          {"input", input.empty() ? json::value(json::object{}) : json::parse(input)}};
    }
    case BlockKind::kThinking:
      return json::object{
          {"type", "thinking"}, {"thinking", join(block.pieces)}, {"signature", block.signature}};
  }
  return {};
}

json::object start_block_json(const Block& block) {
  switch (block.kind) {
    case BlockKind::kText:
      return json::object{{"type", "text"}, {"text", ""}};
    case BlockKind::kToolUse:
      return json::object{{"type", "tool_use"},
                          {"id", block.tool_id},
                          {"name", block.tool_name},
                          {"input", json::object{}}};
    case BlockKind::kThinking:
      return json::object{{"type", "thinking"}, {"thinking", ""}, {"signature", ""}};
  }
  return {};
}

json::object delta_json(BlockKind kind, const std::string& piece) {
  switch (kind) {
    case BlockKind::kText:
      return json::object{{"type", "text_delta"}, {"text", piece}};
    case BlockKind::kToolUse:
      return json::object{{"type", "input_json_delta"}, {"partial_json", piece}};
    case BlockKind::kThinking:
      return json::object{{"type", "thinking_delta"}, {"thinking", piece}};
  }
  return {};
}

std::string message_body(const Script& script) {
  json::array content;
  for (const auto& block : script.blocks) content.emplace_back(full_block_json(block));
  json::object usage{{"input_tokens", script.input_tokens},
                     {"output_tokens", output_tokens(script)},
                     {"cache_creation_input_tokens", 0},
                     {"cache_read_input_tokens", 0},
                     {"cache_creation", json::object{{"ephemeral_5m_input_tokens", 0},
                                                     {"ephemeral_1h_input_tokens", 0}}},
                     {"service_tier", "standard"}};
  json::object message{{"id", message_id(script)},      {"type", "message"},
                       {"role", "assistant"},           {"model", script.model},
                       {"content", std::move(content)}, {"stop_reason", stop_reason(script)},
                       {"stop_sequence", nullptr},      {"usage", std::move(usage)}};
  return json::serialize(message);
}

SseEvent make_event(std::string name, const json::object& data) {
  return SseEvent{std::move(name), json::serialize(data), {}};
}

// Builds the stream of a script, optionally cut after `max_deltas` deltas of the first block
// (the prefix that `midstream_error` and `drop` send before failing).
class StreamBuilder final {
 public:
  StreamBuilder(const Script& script, std::chrono::milliseconds delta_delay)
      : script_(script), delta_delay_(delta_delay) {}

  std::vector<SseEvent> full() {
    message_start();
    for (std::size_t i = 0; i < script_.blocks.size(); ++i) {
      block(i, script_.blocks[i].pieces.size());
    }
    json::object delta{{"stop_reason", stop_reason(script_)}, {"stop_sequence", nullptr}};
    json::object usage{{"output_tokens", output_tokens(script_)}};
    events_.push_back(make_event("message_delta", json::object{{"type", "message_delta"},
                                                               {"delta", std::move(delta)},
                                                               {"usage", std::move(usage)}}));
    events_.push_back(make_event("message_stop", json::object{{"type", "message_stop"}}));
    return std::move(events_);
  }

  // message_start, the first block's start and its first `max_deltas` deltas; no stop.
  std::vector<SseEvent> truncated(std::size_t max_deltas) {
    message_start();
    block_start(0);
    for (std::size_t p = 0; p < std::min(max_deltas, script_.blocks[0].pieces.size()); ++p) {
      block_delta(0, p);
    }
    return std::move(events_);
  }

 private:
  void message_start() {
    json::object usage{{"input_tokens", script_.input_tokens},
                       {"cache_creation_input_tokens", 0},
                       {"cache_read_input_tokens", 0},
                       {"output_tokens", 1}};
    json::object message{{"id", message_id(script_)}, {"type", "message"},
                         {"role", "assistant"},       {"model", script_.model},
                         {"content", json::array{}},  {"stop_reason", nullptr},
                         {"stop_sequence", nullptr},  {"usage", std::move(usage)}};
    events_.push_back(make_event(
        "message_start", json::object{{"type", "message_start"}, {"message", std::move(message)}}));
  }

  void block(std::size_t index, std::size_t deltas) {
    block_start(index);
    const Block& b = script_.blocks[index];
    for (std::size_t p = 0; p < deltas; ++p) block_delta(index, p);
    if (b.kind == BlockKind::kThinking) {
      json::object delta{{"type", "signature_delta"}, {"signature", b.signature}};
      push_delta(index, std::move(delta), {});
    }
    events_.push_back(make_event(
        "content_block_stop",
        json::object{{"type", "content_block_stop"}, {"index", static_cast<std::int64_t>(index)}}));
  }

  void block_start(std::size_t index) {
    events_.push_back(
        make_event("content_block_start",
                   json::object{{"type", "content_block_start"},
                                {"index", static_cast<std::int64_t>(index)},
                                {"content_block", start_block_json(script_.blocks[index])}}));
    // The real API sends one ping right after the first block start.
    if (index == 0) {
      // Byte-exact with the API, which spaces this one payload unlike all others.
      events_.push_back(SseEvent{"ping", R"({"type": "ping"})", {}});
    }
  }

  void block_delta(std::size_t index, std::size_t piece) {
    const Block& b = script_.blocks[index];
    // `think_time` comes before the first delta of the answer.
    const bool first = index == 0 && piece == 0;
    push_delta(index, delta_json(b.kind, b.pieces[piece]),
               delta_delay_ + (first ? script_.think_time : std::chrono::milliseconds{0}));
  }

  void push_delta(std::size_t index, json::object delta, std::chrono::milliseconds delay) {
    SseEvent event =
        make_event("content_block_delta", json::object{{"type", "content_block_delta"},
                                                       {"index", static_cast<std::int64_t>(index)},
                                                       {"delta", std::move(delta)}});
    event.delay = delay;
    events_.push_back(std::move(event));
  }

  const Script& script_;
  const std::chrono::milliseconds delta_delay_;
  std::vector<SseEvent> events_;
};

MockReply error_reply(unsigned status, std::string_view request_id, std::string_view message = {}) {
  MockReply reply;
  reply.status = status;
  reply.retry_after = status == 429 || status >= 500;
  reply.body = error_body(status, request_id, message);
  return reply;
}

}  // namespace

std::string format_sse(const SseEvent& event) {
  std::string out;
  out.reserve(event.name.size() + event.data.size() + 16);
  if (!event.name.empty()) {
    out += "event: ";
    out += event.name;
    out += '\n';
  }
  out += "data: ";
  out += event.data;
  out += "\n\n";
  return out;
}

bool is_known_scenario(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "text",         "tool_use",      "two_tools",  "thinking", "midstream_error", "drop",
      "slow",         "claude_code",   "echo",       "bash",     "large",           "judge",
      "judge_fenced", "judge_invalid", "judge_slow", "rules"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames) ||
         script::error_status(name).has_value();
}

std::string select_scenario(std::string_view header, std::string_view body_json) {
  const std::optional<json::object> body = script::parse_object(body_json);
  return script::select_from(header, body ? &*body : nullptr);
}

MockReply answer_messages(const MessagesRequest& request) {
  const std::optional<json::object> body = script::parse_object(request.body);
  if (!body) {
    return error_reply(400, request.request_id,
                       "There was an error parsing the body of your request: "
                       "expected a JSON object");
  }
  const std::string scenario = script::select_from(request.scenario_header, &*body);
  if (!is_known_scenario(scenario)) {
    return error_reply(400, request.request_id,
                       "mock-upstream: unknown scenario '" + scenario + "'");
  }
  if (auto status = script::error_status(scenario)) return error_reply(*status, request.request_id);

  const json::value* stream = body->if_contains("stream");
  const bool streaming = stream != nullptr && stream->is_bool() && stream->get_bool();
  const std::chrono::milliseconds delay =
      scenario == "slow" ? script::parse_delay(request.delay_header) : std::chrono::milliseconds{0};
  const Script script =
      script::build_script(scenario, *body, request.body, script::Dialect::kAnthropic, kMockModel);

  MockReply reply;
  reply.streaming = streaming;
  if (!streaming) {
    // There is no "middle" of a JSON body to fail in; an overload answers with its status.
    if (scenario == "midstream_error") return error_reply(529, request.request_id);
    reply.body = message_body(script);
    if (scenario == "drop") reply.end = ReplyEnd::kDrop;
    // `slow` without streaming: the whole message when the stream would have finished.
    reply.delay = delay * static_cast<int>(script.blocks[0].pieces.size()) + script.think_time;
    return reply;
  }
  StreamBuilder builder(script, delay);
  if (scenario == "midstream_error") {
    reply.events = builder.truncated(script::kTruncatedDeltas);
    reply.events.push_back(
        make_event("error", json::object{{"type", "error"},
                                         {"error", json::object{{"type", "overloaded_error"},
                                                                {"message", "Overloaded"}}}}));
  } else if (scenario == "drop") {
    reply.events = builder.truncated(script::kTruncatedDeltas);
    reply.end = ReplyEnd::kDrop;
  } else {
    reply.events = builder.full();
  }
  return reply;
}

std::string count_tokens_body(std::string_view body) {
  return json::serialize(
      json::object{{"input_tokens", static_cast<std::int64_t>(body.size() / 4)}});
}

std::string model_body() {
  return json::serialize(json::object{{"type", "model"},
                                      {"id", kMockModel},
                                      {"display_name", "Claude Mock 1"},
                                      {"created_at", "2025-01-01T00:00:00Z"}});
}

std::string models_body() {
  json::array data;
  data.emplace_back(json::parse(model_body()));
  return json::serialize(json::object{{"data", std::move(data)},
                                      {"has_more", false},
                                      {"first_id", kMockModel},
                                      {"last_id", kMockModel}});
}

std::string error_type_for_status(unsigned status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 409:
      return "conflict_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

std::string error_body(unsigned status, std::string_view request_id, std::string_view message) {
  std::string text = message.empty() ? script::default_error_message(status) : std::string(message);
  json::object error{{"type", error_type_for_status(status)}, {"message", std::move(text)}};
  return json::serialize(
      json::object{{"type", "error"}, {"error", std::move(error)}, {"request_id", request_id}});
}

}  // namespace warden::mock
