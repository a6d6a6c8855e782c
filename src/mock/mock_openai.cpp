// The OpenAI Chat Completions side of the mock: the scenarios of mock_script.hpp rendered as a
// `chat.completion` body or a `chat.completion.chunk` stream in the canonical form of
// PROTOCOLS.md 3.3/3.4, and OpenAI's error and model shapes (3.5, 3.7).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "mock/mock_scenarios.hpp"
#include "mock/mock_script.hpp"

namespace warden::mock {
namespace {

namespace json = boost::json;

using script::Block;
using script::BlockKind;
using script::Script;

// Fixed like everything else the mock answers, so outputs are deterministic.
constexpr std::string_view kServiceTier = "default";
constexpr std::string_view kSystemFingerprint = "fp_mock0001";

std::string completion_id(const Script& script) {
  return "chatcmpl-mock_" + script.scenario + "_000" + std::to_string(script.turn);
}

std::string finish_reason(const Script& script) {
  return script.stop == script::StopReason::kToolUse ? "tool_calls" : "stop";
}

// The arguments string of a tool call; a call without arguments gets `{}` as OpenAI sends it.
std::string arguments_of(const Block& block) {
  std::string arguments = script::join(block.pieces);
  return arguments.empty() ? "{}" : arguments;
}

// The text of all text blocks; thinking has no place in Chat Completions and is left out.
std::string text_of(const Script& script) {
  std::string text;
  for (const auto& block : script.blocks) {
    if (block.kind == BlockKind::kText) text += script::join(block.pieces);
  }
  return text;
}

json::object usage_json(const Script& script) {
  const std::int64_t completion = script::output_tokens(script);
  return json::object{
      {"prompt_tokens", script.input_tokens},
      {"completion_tokens", completion},
      {"total_tokens", script.input_tokens + completion},
      {"prompt_tokens_details", json::object{{"cached_tokens", 0}, {"audio_tokens", 0}}},
      {"completion_tokens_details",
       json::object{{"reasoning_tokens", script::thinking_tokens(script)},
                    {"audio_tokens", 0},
                    {"accepted_prediction_tokens", 0},
                    {"rejected_prediction_tokens", 0}}}};
}

std::string completion_body(const Script& script) {
  json::array tool_calls;
  for (const auto& block : script.blocks) {
    if (block.kind != BlockKind::kToolUse) continue;
    json::object function{{"name", block.tool_name}, {"arguments", arguments_of(block)}};
    tool_calls.emplace_back(json::object{{"id", script::openai_call_id(block.tool_id)},
                                         {"type", "function"},
                                         {"function", std::move(function)}});
  }
  const std::string text = text_of(script);
  json::object message{{"role", "assistant"},
                       {"content", text.empty() ? json::value(nullptr) : json::value(text)},
                       {"refusal", nullptr},
                       {"annotations", json::array{}}};
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  json::array choices;
  choices.emplace_back(json::object{{"index", 0},
                                    {"message", std::move(message)},
                                    {"logprobs", nullptr},
                                    {"finish_reason", finish_reason(script)}});
  json::object completion{
      {"id", completion_id(script)},   {"object", "chat.completion"},
      {"created", kMockCreated},       {"model", script.model},
      {"choices", std::move(choices)}, {"usage", usage_json(script)},
      {"service_tier", kServiceTier},  {"system_fingerprint", kSystemFingerprint}};
  return json::serialize(completion);
}

SseEvent data_event(const json::object& data, std::chrono::milliseconds delay = {}) {
  return SseEvent{"", json::serialize(data), delay};
}

// Builds the chunk stream of a script (PROTOCOLS.md 3.4): a role chunk, one chunk per text piece
// and per tool-call piece, the finish chunk, the usage chunk when asked for, `[DONE]`.
class ChunkBuilder final {
 public:
  ChunkBuilder(const Script& script, bool include_usage, std::chrono::milliseconds delta_delay)
      : script_(script), include_usage_(include_usage), delta_delay_(delta_delay) {}

  std::vector<SseEvent> full() {
    role_chunk();
    std::int64_t tool_index = 0;
    for (const Block& block : script_.blocks) {
      if (block.kind == BlockKind::kText) {
        for (const auto& piece : block.pieces) content_chunk(piece);
      } else if (block.kind == BlockKind::kToolUse) {
        tool_call(block, tool_index++);
      }
      // kThinking: Chat Completions has no thinking; only the text is answered.
    }
    json::object finish_delta;
    chunk(std::move(finish_delta), finish_reason(script_), {});
    if (include_usage_) {
      json::object data = head();
      data["choices"] = json::array{};
      data["usage"] = usage_json(script_);
      events_.push_back(data_event(data));
    }
    events_.push_back(SseEvent{"", "[DONE]", {}});
    return std::move(events_);
  }

  // The role chunk and the first `max_deltas` text pieces of the first block; no finish.
  std::vector<SseEvent> truncated(std::size_t max_deltas) {
    role_chunk();
    const Block& first = script_.blocks[0];
    for (std::size_t p = 0; p < std::min(max_deltas, first.pieces.size()); ++p) {
      content_chunk(first.pieces[p]);
    }
    return std::move(events_);
  }

 private:
  // The members every chunk repeats, in the order the API sends them.
  json::object head() const {
    return json::object{{"id", completion_id(script_)}, {"object", "chat.completion.chunk"},
                        {"created", kMockCreated},      {"model", script_.model},
                        {"service_tier", kServiceTier}, {"system_fingerprint", kSystemFingerprint}};
  }

  void chunk(json::object delta, std::optional<std::string> finish,
             std::chrono::milliseconds delay) {
    json::object choice{{"index", 0},
                        {"delta", std::move(delta)},
                        {"logprobs", nullptr},
                        {"finish_reason", finish ? json::value(*finish) : json::value(nullptr)}};
    json::object data = head();
    json::array choices;
    choices.emplace_back(std::move(choice));
    data["choices"] = std::move(choices);
    if (include_usage_) data["usage"] = nullptr;
    events_.push_back(data_event(data, delay));
  }

  void role_chunk() {
    json::object delta{{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}};
    chunk(std::move(delta), std::nullopt, {});
  }

  void content_chunk(const std::string& text) {
    json::object delta{{"content", text}};
    // `think_time` comes before the first content chunk.
    const std::chrono::milliseconds think =
        content_chunks_++ == 0 ? script_.think_time : std::chrono::milliseconds{0};
    chunk(std::move(delta), std::nullopt, delta_delay_ + think);
  }

  // The first piece carries id, type, name and `arguments: ""`; later ones index + arguments.
  void tool_call(const Block& block, std::int64_t index) {
    json::object function{{"name", block.tool_name}, {"arguments", ""}};
    json::array first;
    first.emplace_back(json::object{{"index", index},
                                    {"id", script::openai_call_id(block.tool_id)},
                                    {"type", "function"},
                                    {"function", std::move(function)}});
    json::object first_delta{{"tool_calls", std::move(first)}};
    chunk(std::move(first_delta), std::nullopt, {});

    std::vector<std::string> fragments;
    for (const auto& piece : block.pieces) {
      if (!piece.empty()) fragments.push_back(piece);
    }
    if (fragments.empty()) fragments.emplace_back("{}");
    for (const auto& fragment : fragments) {
      json::array pieces;
      pieces.emplace_back(
          json::object{{"index", index}, {"function", json::object{{"arguments", fragment}}}});
      json::object delta{{"tool_calls", std::move(pieces)}};
      chunk(std::move(delta), std::nullopt, delta_delay_);
    }
  }

  const Script& script_;
  const bool include_usage_;
  const std::chrono::milliseconds delta_delay_;
  std::vector<SseEvent> events_;
  std::size_t content_chunks_ = 0;
};

MockReply openai_error_reply(unsigned status, std::string_view message = {}) {
  MockReply reply;
  reply.status = status;
  reply.retry_after = status == 429 || status >= 500;
  reply.body = openai_error_body(status, message);
  return reply;
}

bool flag(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

// The in-stream error of `midstream_error`: the OpenAI form of Anthropic's overloaded_error.
json::object overloaded_error() {
  const OpenAIErrorKind kind = openai_error_kind(529);
  json::object error{{"message", script::default_error_message(529)},
                     {"type", kind.type},
                     {"param", nullptr},
                     {"code", kind.code}};
  return json::object{{"error", std::move(error)}};
}

}  // namespace

MockReply answer_chat_completions(const MessagesRequest& request) {
  const std::optional<json::object> body = script::parse_object(request.body);
  if (!body) {
    return openai_error_reply(400,
                              "We could not parse the JSON body of your request: expected a "
                              "JSON object");
  }
  const std::string scenario = script::select_from(request.scenario_header, &*body);
  if (!is_known_scenario(scenario)) {
    return openai_error_reply(400, "mock-upstream: unknown scenario '" + scenario + "'");
  }
  if (auto status = script::error_status(scenario)) return openai_error_reply(*status);

  const bool streaming = flag(*body, "stream");
  const json::value* options = body->if_contains("stream_options");
  const bool include_usage = streaming && options != nullptr && options->is_object() &&
                             flag(options->get_object(), "include_usage");
  const std::chrono::milliseconds delay =
      scenario == "slow" ? script::parse_delay(request.delay_header) : std::chrono::milliseconds{0};
  const Script answer = script::build_script(scenario, *body, request.body,
                                             script::Dialect::kOpenAI, kMockOpenAIModel);

  MockReply reply;
  reply.streaming = streaming;
  if (!streaming) {
    // No middle of a JSON body to fail in: the overload answers with OpenAI's status for it.
    // 503 server_is_overloaded is what PROTOCOLS.md 4.9 maps Anthropic's 529 to.
    if (scenario == "midstream_error") {
      return openai_error_reply(503, script::default_error_message(529));
    }
    reply.body = completion_body(answer);
    if (scenario == "drop") reply.end = ReplyEnd::kDrop;
    reply.delay = delay * static_cast<int>(answer.blocks[0].pieces.size()) + answer.think_time;
    return reply;
  }
  ChunkBuilder builder(answer, include_usage, delay);
  if (scenario == "midstream_error") {
    reply.events = builder.truncated(script::kTruncatedDeltas);
    reply.events.push_back(data_event(overloaded_error()));
  } else if (scenario == "drop") {
    reply.events = builder.truncated(script::kTruncatedDeltas);
    reply.end = ReplyEnd::kDrop;
  } else {
    reply.events = builder.full();
  }
  return reply;
}

bool is_chat_completions_path(std::string_view path) {
  constexpr std::string_view kSuffix = "/chat/completions";
  return path.size() >= kSuffix.size() && path.substr(path.size() - kSuffix.size()) == kSuffix;
}

bool wants_openai_models(std::string_view anthropic_version, std::string_view authorization) {
  constexpr std::string_view kBearer = "bearer ";
  if (!anthropic_version.empty() || authorization.size() < kBearer.size()) return false;
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kBearer[i]) return false;
  }
  return true;
}

std::string openai_model_body() {
  return json::serialize(json::object{{"id", kMockOpenAIModel},
                                      {"object", "model"},
                                      {"created", kMockCreated},
                                      {"owned_by", "warden-mock"}});
}

std::string openai_models_body() {
  json::array data;
  data.emplace_back(json::parse(openai_model_body()));
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

OpenAIErrorKind openai_error_kind(unsigned status) {
  switch (status) {
    case 401:
      return {"invalid_request_error", "invalid_api_key"};
    case 403:
      return {"permission_error", ""};
    case 404:
      return {"invalid_request_error", "model_not_found"};
    case 413:
      return {"invalid_request_error", "request_too_large"};
    case 429:
      return {"requests", "rate_limit_exceeded"};
    case 503:
    case 529:
      return {"server_error", "server_is_overloaded"};
    default:
      return {status >= 500 ? "server_error" : "invalid_request_error", ""};
  }
}

std::string openai_error_body(unsigned status, std::string_view message) {
  const OpenAIErrorKind kind = openai_error_kind(status);
  json::object error{
      {"message", message.empty() ? script::default_error_message(status) : std::string(message)},
      {"type", kind.type},
      {"param", nullptr},
      {"code", kind.code.empty() ? json::value(nullptr) : json::value(kind.code)}};
  return json::serialize(json::object{{"error", std::move(error)}});
}

}  // namespace warden::mock
