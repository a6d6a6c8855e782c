#include "mock/mock_script.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <boost/json.hpp>

#include "mock/mock_scenarios.hpp"

namespace warden::mock::script {
namespace {

namespace json = boost::json;

constexpr std::size_t kEchoPieceBytes = 32;
constexpr std::size_t kJudgePieceBytes = 16;
constexpr std::chrono::milliseconds kMaxSlowDelay{60'000};

// Thinking signatures are opaque to clients; a fixed base64 string keeps the output stable.
constexpr std::string_view kThinkingSignature =
    "bW9jay10aGlua2luZy1zaWduYXR1cmUtMDAwMS13YXJkZW4tbW9jay11cHN0cmVhbQ==";

const std::vector<std::string>& text_pieces() {
  // Exactly 20 pieces: docs/mock-upstream.md promises 20 deltas.
  static const std::vector<std::string> kPieces = {
      "Hello", " from",     " the",    " mock", " upstream.", " This", " answer",
      " is",   " scripted", ",",       " so",   " every",     " run",  " streams",
      " the",  " same",     " twenty", " text", " deltas",    "."};
  return kPieces;
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

// ---- Reading the request ----

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

// Every `[[KEY:VALUE]]` in the strings of the last user message, in document order.
void collect_markers(const json::value& value, std::string_view key, std::vector<std::string>& out) {
  if (value.is_string()) {
    const std::string open = "[[" + std::string(key) + ":";
    const std::string_view text = value.get_string();
    for (std::size_t at = text.find(open); at != std::string_view::npos; at = text.find(open, at + 1)) {
      const std::size_t begin = at + open.size();
      const std::size_t close = text.find("]]", begin);
      if (close == std::string_view::npos) break;
      out.emplace_back(text.substr(begin, close - begin));
    }
  } else if (value.is_array()) {
    for (const auto& item : value.get_array()) collect_markers(item, key, out);
  } else if (value.is_object()) {
    for (const auto& member : value.get_object()) collect_markers(member.value(), key, out);
  }
}

std::vector<std::string> user_markers(const json::object& body, std::string_view key) {
  std::vector<std::string> out;
  if (const json::value* message = last_user_message(body)) collect_markers(*message, key, out);
  return out;
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

// A tool result's content: a string, or the `text` of each part joined with newlines.
std::string result_text(const json::value* content) {
  std::string text;
  if (content == nullptr) return text;
  if (content->is_string()) return std::string(content->get_string());
  if (!content->is_array()) return text;
  for (const auto& part : content->get_array()) {
    const json::value* part_text =
        part.is_object() ? part.get_object().if_contains("text") : nullptr;
    if (part_text != nullptr && part_text->is_string()) {
      if (!text.empty()) text += '\n';
      text += part_text->get_string();
    }
  }
  return text;
}

void append_result(std::optional<std::string>& out, std::string text) {
  if (out) {
    *out += '\n';
    *out += text;
  } else {
    out = std::move(text);
  }
}

// Anthropic: the text of every tool_result block in the last user message, joined with
// newlines; nullopt when there is none.
std::optional<std::string> anthropic_tool_results(const json::object& body) {
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
    append_result(out, result_text(b.if_contains("content")));
  }
  return out;
}

// OpenAI: the content of every `tool` message after the last `assistant` message, joined with
// newlines; nullopt when there is none.
std::optional<std::string> openai_tool_results(const json::object& body) {
  const json::value* messages = body.if_contains("messages");
  if (messages == nullptr || !messages->is_array()) return std::nullopt;
  const json::array& list = messages->get_array();
  std::size_t first = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json::value* role =
        list[i].is_object() ? list[i].get_object().if_contains("role") : nullptr;
    if (role != nullptr && role->is_string() && role->get_string() == "assistant") first = i + 1;
  }
  std::optional<std::string> out;
  for (std::size_t i = first; i < list.size(); ++i) {
    if (!list[i].is_object()) continue;
    const json::object& message = list[i].get_object();
    const json::value* role = message.if_contains("role");
    if (role == nullptr || !role->is_string() || role->get_string() != "tool") continue;
    append_result(out, result_text(message.if_contains("content")));
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

}  // namespace

std::string join(const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& piece : pieces) out += piece;
  return out;
}

std::int64_t output_tokens(const Script& script) {
  std::size_t chars = 0;
  for (const auto& block : script.blocks) chars += join(block.pieces).size();
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(chars / 4));
}

std::int64_t thinking_tokens(const Script& script) {
  std::size_t chars = 0;
  for (const auto& block : script.blocks) {
    if (block.kind == BlockKind::kThinking) chars += join(block.pieces).size();
  }
  return static_cast<std::int64_t>(chars / 4);
}

std::string openai_call_id(std::string_view tool_id) {
  constexpr std::string_view kPrefix = "toolu_";
  if (tool_id.substr(0, kPrefix.size()) == kPrefix) tool_id.remove_prefix(kPrefix.size());
  return "call_" + std::string(tool_id);
}

std::optional<json::object> parse_object(std::string_view body) {
  json::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
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

std::string default_error_message(unsigned status) {
  switch (status) {
    case 401:
      return "invalid x-api-key";
    case 402:
      return "Your credit balance is too low to access the Anthropic API.";
    case 403:
      return "Your API key does not have permission to use the specified resource.";
    case 404:
      return "The requested resource could not be found.";
    case 409:
      return "Conflict";
    case 413:
      return "Request exceeds the maximum allowed number of bytes.";
    case 429:
      return "Number of requests has exceeded your rate limit.";
    case 529:
      return "Overloaded";
    case 504:
      return "Request timed out";
    default:
      return status >= 500 ? "Internal server error" : "Invalid request";
  }
}

std::string judged_text(const json::object& body, std::string_view raw_body) {
  const json::value* user = last_user_message(body);
  const json::value* content =
      user != nullptr ? user->get_object().if_contains("content") : nullptr;
  if (content != nullptr && content->is_string()) return std::string(content->get_string());
  std::optional<std::string> text;
  if (content != nullptr && content->is_array()) {
    for (const auto& part : content->get_array()) {
      const json::value* part_text =
          part.is_object() ? part.get_object().if_contains("text") : nullptr;
      if (part_text != nullptr && part_text->is_string()) {
        append_result(text, std::string(part_text->get_string()));
      }
    }
  }
  return text ? *text : std::string(raw_body);
}

std::optional<std::string> text_under_review(std::string_view prompt) {
  const auto starts_line = [prompt](std::size_t at) { return at == 0 || prompt[at - 1] == '\n'; };
  const auto ends_line = [prompt](std::size_t end) {
    return end == prompt.size() || prompt[end] == '\n';
  };
  // The opening line: the first line that is `<<<`.
  std::size_t begin = std::string_view::npos;
  for (std::size_t at = prompt.find("<<<"); at != std::string_view::npos;
       at = prompt.find("<<<", at + 1)) {
    if (starts_line(at) && at + 3 < prompt.size() && prompt[at + 3] == '\n') {
      begin = at + 4;
      break;
    }
  }
  if (begin == std::string_view::npos) return std::nullopt;
  // The closing line: the last line after it that is `>>>`; the text is what lies between
  // (an empty text has the two lines right after each other).
  for (std::size_t at = prompt.rfind(">>>"); at != std::string_view::npos && at >= begin;
       at = at == 0 ? std::string_view::npos : prompt.rfind(">>>", at - 1)) {
    if (!starts_line(at) || !ends_line(at + 3)) continue;
    if (at == begin) return std::string();
    return std::string(prompt.substr(begin, at - 1 - begin));
  }
  return std::nullopt;
}

std::string judge_verdict(std::string_view text) {
  if (text.find("rm -rf") != std::string_view::npos) {
    return R"({"probability": 0.95, "explanation": "The command deletes files recursively."})";
  }
  return R"({"probability": 0.05, "explanation": "A harmless command."})";
}

std::string rules_verdict(std::string_view reviewed) {
  if (reviewed.find("forbidden-word") != std::string_view::npos) {
    return R"({"verdict":"block","explanation":"It uses a forbidden word."})";
  }
  constexpr std::string_view kHost = "internal.example";
  if (reviewed.find(kHost) != std::string_view::npos) {
    std::string rewritten;
    std::size_t from = 0;
    for (std::size_t at = reviewed.find(kHost); at != std::string_view::npos;
         at = reviewed.find(kHost, from)) {
      rewritten.append(reviewed.substr(from, at - from));
      rewritten += "[hidden host]";
      from = at + kHost.size();
    }
    rewritten.append(reviewed.substr(from));
    return json::serialize(json::object{{"verdict", "rewrite"},
                                        {"text", std::move(rewritten)},
                                        {"explanation", "It names an internal host."}});
  }
  return R"({"verdict":"pass","explanation":"Fine."})";
}

Script build_script(std::string_view scenario, const json::object& body, std::string_view raw_body,
                    Dialect dialect, std::string_view default_model) {
  Script script;
  script.scenario = std::string(scenario);
  const json::value* model = body.if_contains("model");
  script.model = model != nullptr && model->is_string() ? std::string(model->get_string())
                                                        : std::string(default_model);
  script.input_tokens = static_cast<std::int64_t>(raw_body.size() / 4);

  if (scenario == "tool_use") {
    script.blocks.push_back(text_block({"I'll check", " the weather in", " San Francisco."}));
    script.blocks.push_back(weather_tool("toolu_mock_weather_0001"));
    script.stop = StopReason::kToolUse;
  } else if (scenario == "two_tools") {
    script.blocks.push_back(weather_tool("toolu_mock_weather_0001"));
    script.blocks.push_back(tool_block("toolu_mock_time_0002", "get_time",
                                       {"", "{\"timezone\": ", "\"America/Los_Angeles\"}"}));
    script.stop = StopReason::kToolUse;
  } else if (scenario == "thinking") {
    script.blocks.push_back(thinking_block(
        {"The user", " wants a greeting.", " A short, friendly", " answer is enough."}));
    script.blocks.push_back(text_block({"Hello", " after", " thinking."}));
  } else if (scenario == "claude_code") {
    const std::optional<std::string> result =
        dialect == Dialect::kAnthropic ? anthropic_tool_results(body) : openai_tool_results(body);
    if (result) {
      script.turn = 2;
      script.blocks.push_back(text_block(split_utf8("Tool said: " + *result, kEchoPieceBytes)));
    } else {
      script.blocks.push_back(tool_block(
          "toolu_mock_bash_0001", "Bash",
          {"", "{\"command\": \"echo warden-e2e-ok\"", ", \"description\": \"Print a marker\"}"}));
      script.stop = StopReason::kToolUse;
    }
  } else if (scenario == "bash") {
    // One Bash call per [[command:…]] in the prompt (default `ls`), after a short text.
    script.blocks.push_back(text_block({"Running", " it now."}));
    auto commands = user_markers(body, "command");
    if (commands.empty()) commands.push_back("ls");
    int n = 0;
    for (const auto& command : commands) {
      const std::string input = json::serialize(json::object{{"command", command}});
      char id[32];
      std::snprintf(id, sizeof id, "toolu_mock_bash_%04d", ++n);
      script.blocks.push_back(tool_block(id, "Bash", split_utf8(input, 8)));
    }
    script.stop = StopReason::kToolUse;
  } else if (scenario == "large") {
    // [[bytes:N]] of text (default 1 MiB, at most 256 MiB) in 1 KiB deltas.
    std::size_t bytes = 1 << 20;
    if (auto marks = user_markers(body, "bytes"); !marks.empty()) {
      bytes = std::min<std::size_t>(std::strtoull(marks[0].c_str(), nullptr, 10), 256u << 20);
    }
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < bytes; at += 1024) {
      pieces.emplace_back(std::min<std::size_t>(1024, bytes - at), 'z');
    }
    script.blocks.push_back(text_block(std::move(pieces)));
  } else if (scenario == "echo") {
    script.blocks.push_back(text_block(split_utf8(raw_body, kEchoPieceBytes)));
  } else if (scenario == "judge" || scenario == "judge_slow" || scenario == "judge_fenced") {
    // A tool-call judge: the risk of the call in its prompt, as JSON text.
    const std::string verdict = judge_verdict(judged_text(body, raw_body));
    const std::string text =
        scenario == "judge_fenced"
            ? "Let me look at this call.\n\n```json\n" + verdict + "\n```\n\nThat is my verdict."
            : verdict;
    script.blocks.push_back(text_block(split_utf8(text, kJudgePieceBytes)));
    if (scenario == "judge_slow") script.think_time = kJudgeSlowDelay;
  } else if (scenario == "judge_invalid") {
    script.blocks.push_back(text_block({"I am not sure", " what to say."}));
  } else if (scenario == "rules") {
    // A rules judge: the verdict on the text between `<<<` and `>>>` of its prompt.
    const std::string prompt = judged_text(body, raw_body);
    const std::optional<std::string> reviewed = text_under_review(prompt);
    const std::string verdict = rules_verdict(reviewed ? *reviewed : std::string(raw_body));
    script.blocks.push_back(text_block(split_utf8(verdict, kJudgePieceBytes)));
  } else {
    // text, slow, midstream_error, drop
    script.blocks.push_back(text_block(text_pieces()));
  }
  return script;
}

}  // namespace warden::mock::script
