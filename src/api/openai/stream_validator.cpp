#include "api/openai/stream_validator.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/json_util.hpp"

namespace warden::api::openai {

namespace json = boost::json;
using core::string_at;

namespace {

constexpr std::string_view kFinishReasons[] = {"stop", "length", "tool_calls", "content_filter",
                                               "function_call"};

const json::object* object_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

// Present and not null.
const json::value* given(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

// A tool-call index: a non-negative integer (below the maximum, so index + 1 cannot overflow).
std::optional<std::int64_t> index_at(const json::object& o) {
  const auto* v = o.if_contains("index");
  if (v == nullptr || !v->is_int64() || v->get_int64() < 0 ||
      v->get_int64() == std::numeric_limits<std::int64_t>::max()) {
    return std::nullopt;
  }
  return v->get_int64();
}

// How an event is named in violations.
const char* kind_of(bool done, const json::object* chunk) {
  if (done) return "[DONE]";
  if (chunk == nullptr) return "not a chunk";
  if (given(*chunk, "error") != nullptr) return "error chunk";
  const auto* choices = chunk->if_contains("choices");
  if (choices != nullptr && choices->is_array() && choices->get_array().empty()) {
    return "usage chunk";
  }
  return "chunk";
}

bool parses_as_object(std::string_view text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  return !ec && v.is_object();
}

}  // namespace

void StreamValidator::check_event(const core::SseFramer::Event& e) {
  const bool done = e.has_data && e.data == "[DONE]";
  boost::system::error_code ec;
  const json::value value = e.has_data && !done ? json::parse(e.data, ec) : json::value();
  const json::object* chunk = e.has_data && !done && !ec ? value.if_object() : nullptr;
  label_ = "event " + std::to_string(e.number) + " (" + kind_of(done, chunk) + ")";

  if (ended_) {
    if (!trailing_reported_) add("event after " + end_kind_ + " (nothing may follow it)");
    trailing_reported_ = true;
    return;
  }
  if (!e.odd_field.empty()) add("unexpected SSE field \"" + std::string(e.odd_field) + "\"");
  // openai-python routes named events elsewhere; openai-node 7 throws on `event: error`.
  if (e.has_name) add("event: line (OpenAI chunks carry none)");
  if (!e.has_data) return add("no data: line");
  if (done) {
    if (!saw_finish_) add("[DONE] before any finish_reason");
    ended_ = complete_ = true;
    end_kind_ = "[DONE]";
    return;
  }
  if (chunk == nullptr) return add("data is neither a JSON object nor [DONE]");
  if (given(*chunk, "error") != nullptr) {
    if (const auto* error = object_at(*chunk, "error");
        error == nullptr || string_at(*error, "message").empty()) {
      add("error is not an object with a message");
    }
    ended_ = complete_ = true;
    end_kind_ = "the error chunk";
    return;
  }
  on_chunk(*chunk);
}

void StreamValidator::on_chunk(const json::object& chunk) {
  if (string_at(chunk, "object") != "chat.completion.chunk") {
    add("object is not \"chat.completion.chunk\"");
  }
  same_as_first(chunk, "id", false, id_);
  same_as_first(chunk, "model", false, model_);
  same_as_first(chunk, "created", true, created_);

  const auto* usage = given(chunk, "usage");
  if (usage != nullptr && !usage->is_object()) add("usage is neither null nor an object");
  const auto* choices = chunk.if_contains("choices");
  if (choices == nullptr || !choices->is_array()) return add("choices is not an array");
  if (saw_usage_) add("chunk after the usage chunk (only [DONE] may follow it)");
  const auto& list = choices->get_array();
  if (list.empty()) {
    if (usage == nullptr || !usage->is_object()) return add("no choice and no usage object");
    if (!saw_finish_) return add("usage chunk before the finish chunk");  // misplaced, not final
    saw_usage_ = true;
    return;
  }
  if (usage != nullptr) add("usage on a chunk with choices (it goes in its own chunk, choices [])");
  if (list.size() > 1) add("more than one choice (Warden serves n=1)");
  on_choice(list.front());
}

// Every chunk repeats the first chunk's id, model and created (PROTOCOLS.md 3.4).
void StreamValidator::same_as_first(const json::object& chunk, std::string_view key, bool number,
                                    json::value& first) {
  const auto* v = chunk.if_contains(key);
  if (v == nullptr || (number ? !v->is_number() : !v->is_string())) {
    return add(std::string(key) + (number ? " is not a number" : " is not a string"));
  }
  if (first.is_null()) {
    first = *v;
  } else if (*v != first) {
    add(std::string(key) + " " + json::serialize(*v) + " differs from the first chunk's " +
        json::serialize(first));
  }
}

void StreamValidator::on_choice(const json::value& value) {
  const auto* choice = value.if_object();
  if (choice == nullptr) return add("choice is not an object");
  if (const auto* index = choice->if_contains("index");
      index == nullptr || !index->is_int64() || index->get_int64() != 0) {
    add("choice index is not 0");
  }
  const auto* reason = given(*choice, "finish_reason");
  if (saw_finish_) {
    return add(reason != nullptr ? "second finish_reason"
                                 : "chunk with a choice after the finish chunk (only the usage "
                                   "chunk and [DONE] may follow it)");
  }
  if (const auto* delta = object_at(*choice, "delta"); delta == nullptr) {
    add("choice has no delta object");
  } else {
    on_delta(*delta);
  }
  if (reason != nullptr) on_finish_reason(*reason);
}

void StreamValidator::on_delta(const json::object& delta) {
  const auto* role = given(delta, "role");
  const bool assistant = role != nullptr && role->is_string() && role->get_string() == "assistant";
  if (!saw_choice_ && !assistant) add("first delta has no role \"assistant\"");
  if (saw_choice_ && role != nullptr && !assistant) add("role changed from \"assistant\"");
  saw_choice_ = true;
  if (const auto* content = given(delta, "content"); content != nullptr && !content->is_string()) {
    add("delta.content is neither a string nor null");
  }
  if (const auto* calls = given(delta, "tool_calls"); calls != nullptr) {
    if (!calls->is_array()) return add("delta.tool_calls is not an array");
    for (const auto& piece : calls->get_array()) on_tool_piece(piece);
  }
}

// openai-node assembles calls by index: the first piece sets id, type and name; later pieces
// only add arguments (a changed name throws in openai-node 7).
void StreamValidator::on_tool_piece(const json::value& value) {
  const auto* piece = value.if_object();
  const auto index = piece != nullptr ? index_at(*piece) : std::nullopt;
  if (!index) return add("tool call piece without an index (a non-negative integer)");
  const std::string call = "tool call " + std::to_string(*index);
  const auto* function = object_at(*piece, "function");
  const std::string_view id = string_at(*piece, "id");
  const std::string_view name = function != nullptr ? string_at(*function, "name") : "";
  const auto* type = piece->if_contains("type");
  const bool function_type =
      type != nullptr && type->is_string() && type->get_string() == "function";

  auto it = calls_.find(*index);
  if (it == calls_.end()) {
    if (*index != next_call_) {
      add("tool call index " + std::to_string(*index) + " but the next new index is " +
          std::to_string(next_call_));
    }
    next_call_ = std::max(next_call_, *index + 1);
    if (id.empty()) add(call + ": first piece has no id");
    if (!function_type) add(call + ": first piece has no type \"function\"");
    if (name.empty()) add(call + ": first piece has no function.name");
    it = calls_.emplace(*index, ToolCall{std::string(id), std::string(name), {}, false}).first;
  } else {
    const ToolCall& known = it->second;
    if (!id.empty() && id != known.id) add(call + ": id changed to \"" + std::string(id) + "\"");
    if (!name.empty() && name != known.name) {
      add(call + ": function.name changed to \"" + std::string(name) + "\"");
    }
    if (type != nullptr && !function_type) add(call + ": type is not \"function\"");
  }

  const auto* arguments = function != nullptr ? given(*function, "arguments") : nullptr;
  if (arguments == nullptr) return;
  if (!arguments->is_string()) return add(call + ": function.arguments is not a string");
  ToolCall& target = it->second;
  if (target.arguments_over) return;
  const auto& more = arguments->get_string();
  if (target.arguments.size() + more.size() > kMaxEventBytes) {
    target.arguments_over = true;  // bounded memory: the arguments are not checked
    target.arguments.clear();
    target.arguments.shrink_to_fit();
    add(call + ": arguments over " + std::to_string(kMaxEventBytes >> 20) + " MiB; not checked");
  } else {
    target.arguments += more;
  }
}

void StreamValidator::on_finish_reason(const json::value& value) {
  saw_finish_ = true;
  const std::string_view reason = value.is_string() ? std::string_view(value.get_string()) : "";
  if (std::find(std::begin(kFinishReasons), std::end(kFinishReasons), reason) ==
      std::end(kFinishReasons)) {
    add("finish_reason " + json::serialize(value) +
        " is not one of stop, length, tool_calls, content_filter, function_call");
  }
  // "length" (cut by max_tokens) and "content_filter" may end a call early.
  if (!calls_.empty() && reason == "stop") {
    add("tool calls were sent but finish_reason is " + json::serialize(value));
  }
  if (calls_.empty() && reason == "tool_calls") add("finish_reason tool_calls but no tool call");
  // Clients JSON.parse each call's arguments once the call is complete. Empty
  // arguments are what OpenAI itself sends for a function without parameters.
  for (const auto& [index, call] : calls_) {
    if (call.arguments_over || call.arguments.empty() || parses_as_object(call.arguments)) continue;
    add("tool call " + std::to_string(index) + " (" + call.name +
        "): function.arguments do not parse as a JSON object");
  }
}

void StreamValidator::check_end() {
  if (!ended_) {
    add("stream ended without [DONE]");
    if (!saw_finish_) add("stream ended without a finish_reason");
  }
}

std::string validate_stream(std::string_view bytes) {
  return core::violations_of<StreamValidator>(bytes);
}

}  // namespace warden::api::openai
