#include "mock/mock_scenarios.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include <boost/json.hpp>

namespace warden::mock {
namespace {

namespace json = boost::json;

// ---- The scripted message, rendered both as one JSON body and as an SSE stream ----

enum class BlockKind { kText, kToolUse, kThinking };

// One content block; each piece becomes one delta, their concatenation the whole field.
struct Block {
  BlockKind kind = BlockKind::kText;
  std::vector<std::string> pieces;  // text / thinking / partial_json
  std::string tool_id;
  std::string tool_name;
  std::string signature;  // thinking only
};

struct Script {
  std::string id;
  std::string model;
  std::vector<Block> blocks;
  std::string stop_reason;
  std::int64_t input_tokens = 0;
};

constexpr std::size_t kTruncatedDeltas = 3;  // deltas sent before `midstream_error` / `drop`
constexpr std::size_t kEchoPieceBytes = 32;
constexpr std::chrono::milliseconds kMaxSlowDelay{60'000};

// Thinking signatures are opaque to clients; a fixed base64 string keeps the output stable.
constexpr std::string_view kThinkingSignature =
    "bW9jay10aGlua2luZy1zaWduYXR1cmUtMDAwMS13YXJkZW4tbW9jay11cHN0cmVhbQ==";

const std::vector<std::string>& text_pieces() {
  // Exactly 20 pieces: docs/mock-upstream.md promises 20 text_deltas.
  static const std::vector<std::string> kPieces = {
      "Hello", " from",     " the",    " mock", " upstream.", " This", " answer",
      " is",   " scripted", ",",       " so",   " every",     " run",  " streams",
      " the",  " same",     " twenty", " text", " deltas",    "."};
  return kPieces;
}

std::string join(const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& piece : pieces) out += piece;
  return out;
}

Block text_block(std::vector<std::string> pieces) {
  Block block;
  block.kind = BlockKind::kText;
  block.pieces = std::move(pieces);
  return block;
}

Block tool_block(std::string id, std::string name, std::vector<std::string> pieces) {
  Block block;
  block.kind = BlockKind::kToolUse;
  block.tool_id = std::move(id);
  block.tool_name = std::move(name);
  block.pieces = std::move(pieces);
  return block;
}

Block thinking_block(std::vector<std::string> pieces) {
  Block block;
  block.kind = BlockKind::kThinking;
  block.pieces = std::move(pieces);
  block.signature = kThinkingSignature;
  return block;
}

// The weather call of `tool_use` and `two_tools`: input arrives in bursts, the first one empty,
// as the real API sends it without fine-grained tool streaming.
Block weather_tool(std::string id) {
  return tool_block(std::move(id), "get_weather",
                    {"", "{\"location\": \"San Fra", "ncisco, CA\"", ", \"unit\": \"celsius\"}"});
}

// Token counts are derived from sizes so they are deterministic for a given request.
std::int64_t output_tokens(const Script& script) {
  std::size_t chars = 0;
  for (const auto& block : script.blocks) chars += join(block.pieces).size();
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(chars / 4));
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
  json::object message{{"id", script.id},
                       {"type", "message"},
                       {"role", "assistant"},
                       {"model", script.model},
                       {"content", std::move(content)},
                       {"stop_reason", script.stop_reason},
                       {"stop_sequence", nullptr},
                       {"usage", std::move(usage)}};
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
    json::object delta{{"stop_reason", script_.stop_reason}, {"stop_sequence", nullptr}};
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
    json::object message{{"id", script_.id},         {"type", "message"},
                         {"role", "assistant"},      {"model", script_.model},
                         {"content", json::array{}}, {"stop_reason", nullptr},
                         {"stop_sequence", nullptr}, {"usage", std::move(usage)}};
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
    push_delta(index, delta_json(b.kind, b.pieces[piece]), delta_delay_);
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

// ---- Reading the request ----

std::optional<json::object> parse_object(std::string_view body) {
  json::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// The last message with role "user", or null.
const json::value* last_user_message(const json::object& body) {
  const json::value* messages = body.if_contains("messages");
  if (messages == nullptr || !messages->is_array()) return nullptr;
  const json::array& list = messages->get_array();
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    if (!it->is_object()) continue;
    const json::value* role = it->get_object().if_contains("role");
    if (role != nullptr && role->is_string() && role->get_string() == "user") return &*it;
  }
  return nullptr;
}

// The first `[[scenario:NAME]]` in any string under `value`, in document order.
std::optional<std::string> find_marker(const json::value& value) {
  constexpr std::string_view kOpen = "[[scenario:";
  if (value.is_string()) {
    const std::string_view text = value.get_string();
    const std::size_t open = text.find(kOpen);
    if (open == std::string_view::npos) return std::nullopt;
    const std::size_t name_begin = open + kOpen.size();
    const std::size_t close = text.find("]]", name_begin);
    if (close == std::string_view::npos) return std::nullopt;
    return std::string(text.substr(name_begin, close - name_begin));
  }
  if (value.is_array()) {
    for (const auto& item : value.get_array()) {
      if (auto found = find_marker(item)) return found;
    }
  }
  if (value.is_object()) {
    for (const auto& member : value.get_object()) {
      if (auto found = find_marker(member.value())) return found;
    }
  }
  return std::nullopt;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::optional<std::string> scenario_from_model(std::string_view model) {
  constexpr std::string_view kPrefix = "mock-";
  for (std::size_t at = model.find(kPrefix); at != std::string_view::npos;
       at = model.find(kPrefix, at + 1)) {
    std::size_t end = at + kPrefix.size();
    while (end < model.size() && is_name_char(model[end])) ++end;
    std::string name(model.substr(at + kPrefix.size(), end - at - kPrefix.size()));
    if (is_known_scenario(name)) return name;
  }
  return std::nullopt;
}

std::string select_from(std::string_view header, const json::object* body) {
  if (!header.empty()) return std::string(header);
  if (body != nullptr) {
    if (const json::value* user = last_user_message(*body)) {
      if (auto marker = find_marker(*user)) return *marker;
    }
    const json::value* model = body->if_contains("model");
    if (model != nullptr && model->is_string()) {
      if (auto name = scenario_from_model(model->get_string())) return *name;
    }
  }
  return std::string(kDefaultScenario);
}

// NNN of `error_NNN`, when it is a 4xx/5xx status.
std::optional<unsigned> error_status(std::string_view name) {
  constexpr std::string_view kPrefix = "error_";
  if (name.size() != kPrefix.size() + 3 || name.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  unsigned status = 0;
  for (char c : name.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    status = status * 10 + static_cast<unsigned>(c - '0');
  }
  if (status < 400 || status > 599) return std::nullopt;
  return status;
}

std::chrono::milliseconds parse_delay(std::string_view header) {
  if (header.empty() || header.size() > 9) return kDefaultSlowDelay;
  std::int64_t ms = 0;
  for (char c : header) {
    if (c < '0' || c > '9') return kDefaultSlowDelay;
    ms = ms * 10 + (c - '0');
  }
  return std::min(std::chrono::milliseconds(ms), kMaxSlowDelay);
}

// The text of every tool_result in the last user message, joined with newlines; nullopt
// when there is none.
std::optional<std::string> tool_result_text(const json::object& body) {
  const json::value* user = last_user_message(body);
  if (user == nullptr) return std::nullopt;
  const json::value* content = user->get_object().if_contains("content");
  if (content == nullptr || !content->is_array()) return std::nullopt;
  std::optional<std::string> out;
  for (const auto& block : content->get_array()) {
    if (!block.is_object()) continue;
    const json::object& b = block.get_object();
    const json::value* type = b.if_contains("type");
    if (type == nullptr || !type->is_string() || type->get_string() != "tool_result") continue;
    std::string text;
    if (const json::value* result = b.if_contains("content")) {
      if (result->is_string()) {
        text = result->get_string();
      } else if (result->is_array()) {
        for (const auto& part : result->get_array()) {
          const json::value* part_text =
              part.is_object() ? part.get_object().if_contains("text") : nullptr;
          if (part_text != nullptr && part_text->is_string()) {
            if (!text.empty()) text += '\n';
            text += part_text->get_string();
          }
        }
      }
    }
    if (out) {
      *out += '\n';
      *out += text;
    } else {
      out = std::move(text);
    }
  }
  return out;
}

// Splits `text` into pieces of at most `max_bytes`, never inside a UTF-8 sequence (every piece
// must be a valid JSON string on its own).
std::vector<std::string> split_utf8(std::string_view text, std::size_t max_bytes) {
  std::vector<std::string> pieces;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = std::min(begin + max_bytes, text.size());
    // Back off while `end` points at a continuation byte (10xxxxxx).
    while (end < text.size() && end > begin + 1 &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    pieces.emplace_back(text.substr(begin, end - begin));
    begin = end;
  }
  return pieces;
}

std::string message_id(std::string_view scenario, int n) {
  std::string suffix = std::to_string(n);
  suffix.insert(0, 4 - std::min<std::size_t>(4, suffix.size()), '0');
  return "msg_mock_" + std::string(scenario) + "_" + suffix;
}

// The message a successful scenario answers with.
Script build_script(std::string_view scenario, const json::object& body,
                    std::string_view raw_body) {
  Script script;
  script.id = message_id(scenario, 1);
  const json::value* model = body.if_contains("model");
  script.model = model != nullptr && model->is_string() ? std::string(model->get_string())
                                                        : std::string(kMockModel);
  script.input_tokens = static_cast<std::int64_t>(raw_body.size() / 4);
  script.stop_reason = "end_turn";

  if (scenario == "tool_use") {
    script.blocks.push_back(text_block({"I'll check", " the weather in", " San Francisco."}));
    script.blocks.push_back(weather_tool("toolu_mock_weather_0001"));
    script.stop_reason = "tool_use";
  } else if (scenario == "two_tools") {
    script.blocks.push_back(weather_tool("toolu_mock_weather_0001"));
    script.blocks.push_back(tool_block("toolu_mock_time_0002", "get_time",
                                       {"", "{\"timezone\": ", "\"America/Los_Angeles\"}"}));
    script.stop_reason = "tool_use";
  } else if (scenario == "thinking") {
    script.blocks.push_back(thinking_block(
        {"The user", " wants a greeting.", " A short, friendly", " answer is enough."}));
    script.blocks.push_back(text_block({"Hello", " after", " thinking."}));
  } else if (scenario == "claude_code") {
    if (auto result = tool_result_text(body)) {
      script.id = message_id(scenario, 2);
      script.blocks.push_back(text_block(split_utf8("Tool said: " + *result, kEchoPieceBytes)));
    } else {
      script.blocks.push_back(tool_block(
          "toolu_mock_bash_0001", "Bash",
          {"", "{\"command\": \"echo warden-e2e-ok\"", ", \"description\": \"Print a marker\"}"}));
      script.stop_reason = "tool_use";
    }
  } else if (scenario == "echo") {
    script.blocks.push_back(text_block(split_utf8(raw_body, kEchoPieceBytes)));
  } else {
    // text, slow, midstream_error, drop
    script.blocks.push_back(text_block(text_pieces()));
  }
  return script;
}

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
  out += "event: ";
  out += event.name;
  out += "\ndata: ";
  out += event.data;
  out += "\n\n";
  return out;
}

bool is_known_scenario(std::string_view name) {
  static constexpr std::string_view kNames[] = {"text",     "tool_use",        "two_tools",
                                                "thinking", "midstream_error", "drop",
                                                "slow",     "claude_code",     "echo"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames) ||
         error_status(name).has_value();
}

std::string select_scenario(std::string_view header, std::string_view body_json) {
  const std::optional<json::object> body = parse_object(body_json);
  return select_from(header, body ? &*body : nullptr);
}

MockReply answer_messages(const MessagesRequest& request) {
  const std::optional<json::object> body = parse_object(request.body);
  if (!body) {
    return error_reply(400, request.request_id,
                       "There was an error parsing the body of your request: "
                       "expected a JSON object");
  }
  const std::string scenario = select_from(request.scenario_header, &*body);
  if (!is_known_scenario(scenario)) {
    return error_reply(400, request.request_id,
                       "mock-upstream: unknown scenario '" + scenario + "'");
  }
  if (auto status = error_status(scenario)) return error_reply(*status, request.request_id);

  const json::value* stream = body->if_contains("stream");
  const bool streaming = stream != nullptr && stream->is_bool() && stream->get_bool();
  const std::chrono::milliseconds delay =
      scenario == "slow" ? parse_delay(request.delay_header) : std::chrono::milliseconds{0};
  const Script script = build_script(scenario, *body, request.body);

  MockReply reply;
  reply.streaming = streaming;
  if (!streaming) {
    // There is no "middle" of a JSON body to fail in; an overload answers with its status.
    if (scenario == "midstream_error") return error_reply(529, request.request_id);
    reply.body = message_body(script);
    if (scenario == "drop") reply.end = ReplyEnd::kDrop;
    // `slow` without streaming: the whole message when the stream would have finished.
    reply.delay = delay * static_cast<int>(script.blocks[0].pieces.size());
    return reply;
  }
  StreamBuilder builder(script, delay);
  if (scenario == "midstream_error") {
    reply.events = builder.truncated(kTruncatedDeltas);
    reply.events.push_back(
        make_event("error", json::object{{"type", "error"},
                                         {"error", json::object{{"type", "overloaded_error"},
                                                                {"message", "Overloaded"}}}}));
  } else if (scenario == "drop") {
    reply.events = builder.truncated(kTruncatedDeltas);
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
  std::string text(message);
  if (text.empty()) {
    switch (status) {
      case 401:
        text = "invalid x-api-key";
        break;
      case 402:
        text = "Your credit balance is too low to access the Anthropic API.";
        break;
      case 403:
        text = "Your API key does not have permission to use the specified resource.";
        break;
      case 404:
        text = "The requested resource could not be found.";
        break;
      case 409:
        text = "Conflict";
        break;
      case 413:
        text = "Request exceeds the maximum allowed number of bytes.";
        break;
      case 429:
        text = "Number of requests has exceeded your rate limit.";
        break;
      case 504:
        text = "Request timed out";
        break;
      case 529:
        text = "Overloaded";
        break;
      default:
        text = status >= 500 ? "Internal server error" : "Invalid request";
        break;
    }
  }
  json::object error{{"type", error_type_for_status(status)}, {"message", std::move(text)}};
  return json::serialize(
      json::object{{"type", "error"}, {"error", std::move(error)}, {"request_id", request_id}});
}

}  // namespace warden::mock
