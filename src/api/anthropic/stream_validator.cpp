#include "api/anthropic/stream_validator.hpp"

#include <algorithm>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/json_util.hpp"

namespace warden::api::anthropic {

namespace json = boost::json;
using core::string_at;

namespace {

constexpr std::string_view kKnownEvents[] = {"ping",
                                             "message_start",
                                             "content_block_start",
                                             "content_block_delta",
                                             "content_block_stop",
                                             "message_delta",
                                             "message_stop",
                                             "error"};

// A delta type, the string field it must carry ("" = not checked) and the block it fits.
struct DeltaRule {
  std::string_view delta;
  std::string_view field;
  std::string_view block;
};
constexpr DeltaRule kDeltaRules[] = {
    {"text_delta", "text", "text"},
    {"citations_delta", "", "text"},
    {"input_json_delta", "partial_json", "tool_use"},
    {"thinking_delta", "thinking", "thinking"},
    {"signature_delta", "signature", "thinking"},
};

// input_json_delta also feeds server_tool_use and newer *_tool_use blocks.
bool is_tool_block(std::string_view type) { return type.ends_with("tool_use"); }

bool fits(std::string_view rule_block, std::string_view block) {
  return rule_block == "tool_use" ? is_tool_block(block) : rule_block == block;
}

const json::object* object_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

bool string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string();
}

// A block index: a non-negative integer (below the maximum, so index + 1 cannot overflow).
std::optional<std::int64_t> index_at(const json::object& o) {
  const auto* v = o.if_contains("index");
  if (v == nullptr || !v->is_int64() || v->get_int64() < 0 ||
      v->get_int64() == std::numeric_limits<std::int64_t>::max()) {
    return std::nullopt;
  }
  return v->get_int64();
}

bool parses_as_object(std::string_view text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  return !ec && v.is_object();
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

void StreamValidator::check_event(const core::SseFramer::Event& e) {
  boost::system::error_code ec;
  const json::value value = e.has_data ? json::parse(e.data, ec) : json::value();
  const json::object* data = e.has_data && !ec ? value.if_object() : nullptr;
  const std::string_view type = data != nullptr ? string_at(*data, "type") : "";
  // Clients route by the event name; without one, the data's type says what was meant.
  const std::string kind(e.has_name ? e.name : !type.empty() ? type : "unnamed");
  label_ = "event " + std::to_string(e.number) + " (" + kind + ")";

  if (ended_) {
    if (!trailing_reported_) add("event after " + end_kind_ + " (nothing may follow it)");
    trailing_reported_ = true;
    return;
  }
  if (!e.odd_field.empty()) add("unexpected SSE field " + quoted(e.odd_field));
  if (!e.has_name) add("no event: line (the SDKs drop unnamed events)");
  if (!e.has_data) return add("no data: line");
  if (ec) return add("data is not JSON");
  if (!started_ && kind != "message_start" && kind != "error" && !early_reported_) {
    add(kind + " before message_start");
    early_reported_ = true;  // once: every later event would repeat it
  }
  if (std::find(std::begin(kKnownEvents), std::end(kKnownEvents), kind) == std::end(kKnownEvents)) {
    return;  // unknown events are allowed (forward compatibility); JSON data suffices
  }
  if (data == nullptr) return add("data is not a JSON object");
  if (type != kind) add("data type " + quoted(type) + " does not match the event name");

  if (kind == "message_start") return on_message_start(*data);
  if (kind == "content_block_start") return on_block_start(*data);
  if (kind == "content_block_delta") return on_block_delta(*data);
  if (kind == "content_block_stop") return on_block_stop(*data);
  if (kind == "message_delta") return on_message_delta(*data);
  if (kind == "message_stop") return on_message_stop();
  if (kind == "error") return on_error(*data);
}

void StreamValidator::on_message_start(const json::object& data) {
  if (started_) return add("second message_start");
  started_ = true;
  const auto* message = object_at(data, "message");
  if (message == nullptr) return add("no message object");
  if (string_at(*message, "id").empty()) add("message.id is not a non-empty string");
  if (string_at(*message, "type") != "message") add("message.type is not \"message\"");
  if (string_at(*message, "role") != "assistant") add("message.role is not \"assistant\"");
  const auto* content = message->if_contains("content");
  if (content == nullptr || !content->is_array() || !content->get_array().empty()) {
    add("message.content is not []");
  }
  if (!string_field(*message, "model")) add("message.model is not a string");
  if (object_at(*message, "usage") == nullptr) add("message.usage is not an object");
}

void StreamValidator::on_block_start(const json::object& data) {
  if (message_delta_) add("content_block_start after message_delta");
  const auto index = index_at(data);
  if (!index) return add("no index (a non-negative integer)");
  const auto* block = object_at(data, "content_block");
  const std::string_view type = block != nullptr ? string_at(*block, "type") : "";
  if (type.empty()) add("no content_block object with a type");
  if (open_) {
    add("block " + std::to_string(*index) + " started while block " + std::to_string(*open_) +
        " is open");
  }
  if (*index != next_index_) {
    add("index " + std::to_string(*index) + " but the next block index is " +
        std::to_string(next_index_));
  }
  // Later indices are checked against this one, so one gap is reported once.
  next_index_ = *index + 1;
  open_ = *index;
  open_type_ = type;
  tool_json_.clear();
  tool_json_over_ = false;
  const auto* input = block != nullptr ? block->if_contains("input") : nullptr;
  start_input_ok_ = input == nullptr || input->is_object();
  if (type == "tool_use") sent_tool_use_ = true;
}

void StreamValidator::not_open(std::int64_t index) {
  add(index < next_index_ ? "block " + std::to_string(index) + " is already stopped"
                          : "block " + std::to_string(index) + " was never started");
}

void StreamValidator::on_block_delta(const json::object& data) {
  const auto index = index_at(data);
  if (!index) return add("no index (a non-negative integer)");
  if (!open_) return not_open(*index);
  if (*index != *open_) {
    return add("index " + std::to_string(*index) + " but the open block is " +
               std::to_string(*open_));
  }
  const auto* delta = object_at(data, "delta");
  if (delta == nullptr) return add("no delta object");
  const std::string_view type = string_at(*delta, "type");
  if (type.empty()) return add("delta has no type");
  for (const auto& rule : kDeltaRules) {
    if (rule.delta != type) continue;
    const bool fit = fits(rule.block, open_type_);
    if (!fit) add(std::string(type) + " does not fit a " + quoted(open_type_) + " block");
    if (!rule.field.empty() && !string_field(*delta, rule.field)) {
      return add(std::string(type) + " without a string " + std::string(rule.field));
    }
    if (type == "input_json_delta" && fit && !tool_json_over_) {
      const auto& piece = delta->at("partial_json").get_string();
      if (tool_json_.size() + piece.size() > kMaxEventBytes) {
        tool_json_over_ = true;  // bounded memory: the input is not checked
        tool_json_.clear();
        tool_json_.shrink_to_fit();
        add("tool input over " + std::to_string(kMaxEventBytes >> 20) + " MiB; not checked");
      } else {
        tool_json_ += piece;
      }
    }
    return;
  }
  // Unknown delta types are allowed (forward compatibility).
}

void StreamValidator::on_block_stop(const json::object& data) {
  const auto index = index_at(data);
  if (!index) return add("no index (a non-negative integer)");
  if (!open_) return not_open(*index);
  if (*index != *open_) {
    add("index " + std::to_string(*index) + " but the open block is " + std::to_string(*open_));
  }
  close_block();
}

// Clients parse the concatenated partial_json at the stop (an empty one means the start's input).
void StreamValidator::close_block() {
  if (is_tool_block(open_type_) && !tool_json_over_) {
    const std::string block = open_type_ + " block " + std::to_string(*open_);
    if (tool_json_.empty() && !start_input_ok_) add(block + ": start input is not an object");
    if (!tool_json_.empty() && !parses_as_object(tool_json_)) {
      add(block + ": partial_json does not parse as a JSON object");
    }
  }
  open_.reset();
}

void StreamValidator::on_message_delta(const json::object& data) {
  if (message_delta_) add("second message_delta");
  message_delta_ = true;
  if (open_) {
    add("message_delta while block " + std::to_string(*open_) + " is open");
    open_.reset();  // so the same missing stop is not reported again at message_stop
  }
  if (const auto* delta = object_at(data, "delta"); delta == nullptr) {
    add("no delta object");
  } else if (const auto* reason = delta->if_contains("stop_reason");
             reason != nullptr && !reason->is_null()) {
    if (!reason->is_string()) {
      add("delta.stop_reason is not a string");
    } else if (reason->get_string() == "tool_use" && !sent_tool_use_) {
      add("stop_reason tool_use but no tool_use block was sent");
    } else if (reason->get_string() == "end_turn" && sent_tool_use_) {
      add("tool_use block sent but stop_reason end_turn");
    }
  }
  // The SDKs copy usage.output_tokens unconditionally (PROTOCOLS.md 2.9).
  const auto* usage = object_at(data, "usage");
  const auto* output = usage != nullptr ? usage->if_contains("output_tokens") : nullptr;
  if (output == nullptr || !output->is_number()) add("no usage.output_tokens number");
}

void StreamValidator::on_message_stop() {
  if (!message_delta_) add("message_stop before message_delta");
  if (open_) add("message_stop while block " + std::to_string(*open_) + " is open");
  ended_ = complete_ = true;
  end_kind_ = "message_stop";
}

void StreamValidator::on_error(const json::object& data) {
  const auto* error = object_at(data, "error");
  if (error == nullptr || !string_field(*error, "type") || !string_field(*error, "message")) {
    add("no error object with string type and message");
  }
  ended_ = complete_ = true;
  end_kind_ = "the error event";
}

void StreamValidator::check_end() {
  if (!ended_) {
    add("stream ended without message_stop" +
        (open_ ? " (block " + std::to_string(*open_) + " still open)" : std::string()));
  }
}

std::string validate_stream(std::string_view bytes) {
  return core::violations_of<StreamValidator>(bytes);
}

}  // namespace warden::api::anthropic
