#include "core/message_assembly.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/json_util.hpp"

namespace warden::core {

namespace json = boost::json;

BlockType block_type(std::string_view type_name) {
  if (type_name == "text") return BlockType::kText;
  if (type_name == "tool_use") return BlockType::kToolUse;
  if (type_name == "thinking") return BlockType::kThinking;
  return BlockType::kOther;
}

std::string_view Block::type_name() const { return string_at(start, "type"); }
std::string_view Block::tool_name() const { return string_at(start, "name"); }
std::string_view Block::tool_id() const { return string_at(start, "id"); }

json::value Block::tool_input() const {
  if (overflow) return nullptr;
  if (text.empty()) {
    const auto* input = start.if_contains("input");
    return input != nullptr ? *input : json::value(json::object{});
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec) return nullptr;
  return parsed;
}

json::object Block::to_json() const {
  json::object out = start;
  switch (type) {
    case BlockType::kText:
      out["text"] = text;
      if (!citations.empty()) out["citations"] = citations;
      break;
    case BlockType::kToolUse: {
      json::value input = tool_input();
      out["input"] = input.is_null() ? json::value(json::object{}) : std::move(input);
      break;
    }
    case BlockType::kThinking:
      out["thinking"] = text;
      out["signature"] = signature;
      break;
    case BlockType::kOther:
      // server_tool_use (and newer *_tool_use blocks) stream their input like tool_use.
      if (!text.empty() && start.contains("input")) {
        json::value input = tool_input();
        if (!input.is_null()) out["input"] = std::move(input);
      }
      break;
  }
  return out;
}

void MessageAssembly::apply(const StreamEvent& event) {
  if (const auto* start = event.as<MessageStart>()) {
    message_ = start->message;
    if (const auto* usage = message_.if_contains("usage"); usage != nullptr && usage->is_object()) {
      usage_ = usage->get_object();
    }
    started_ = true;
  } else if (const auto* block_start = event.as<BlockStart>()) {
    Block block;
    block.index = block_start->index;
    block.start = block_start->block;
    block.type = block_type(block.type_name());
    blocks_.push_back(std::move(block));
    open_ = true;
  } else if (const auto* delta = event.as<BlockDelta>()) {
    if (!open_) return;
    Block& block = blocks_.back();
    if (delta->kind == DeltaKind::kOther) {
      if (string_at(delta->other, "type") == "citations_delta") {
        if (const auto* citation = delta->other.if_contains("citation")) {
          block.citations.push_back(*citation);
        }
      }
      return;
    }
    if (block.overflow) return;
    if (bytes_ + delta->text.size() > max_bytes_) {
      block.overflow = true;
      return;
    }
    bytes_ += delta->text.size();
    (delta->kind == DeltaKind::kSignature ? block.signature : block.text).append(delta->text);
  } else if (event.is<BlockStop>()) {
    if (!open_) return;
    blocks_.back().complete = true;
    open_ = false;
    completed_ = static_cast<std::ptrdiff_t>(blocks_.size()) - 1;
  } else if (const auto* message_delta = event.as<MessageDelta>()) {
    if (const auto* inner = message_delta->data.if_contains("delta");
        inner != nullptr && inner->is_object()) {
      const auto& d = inner->get_object();
      if (const auto* reason = d.if_contains("stop_reason")) {
        stop_reason_ = reason->is_string() ? std::string(reason->get_string()) : std::string();
      }
      if (const auto* sequence = d.if_contains("stop_sequence")) stop_sequence_ = *sequence;
    }
    if (const auto* usage = message_delta->data.if_contains("usage");
        usage != nullptr && usage->is_object()) {
      for (const auto& [key, value] : usage->get_object()) usage_[key] = value;
    }
  } else if (event.is<MessageStop>()) {
    stopped_ = true;
  }
}

json::object MessageAssembly::to_json() const {
  json::object out = message_;
  json::array content;
  content.reserve(blocks_.size());
  for (const auto& block : blocks_) content.push_back(block.to_json());
  out["content"] = std::move(content);
  out["stop_reason"] = stop_reason_.empty() ? json::value(nullptr) : json::value(stop_reason_);
  out["stop_sequence"] = stop_sequence_;
  if (!usage_.empty()) out["usage"] = usage_;
  return out;
}

namespace {

StreamEvent made(EventPayload payload) { return StreamEvent{std::move(payload), {}, false}; }

void push_delta(std::vector<StreamEvent>& out, std::int64_t index, DeltaKind kind,
                std::string text) {
  BlockDelta delta;
  delta.index = index;
  delta.kind = kind;
  delta.text = std::move(text);
  out.push_back(made(std::move(delta)));
}

}  // namespace

std::vector<StreamEvent> message_to_events(const json::object& message) {
  std::vector<StreamEvent> out;
  json::object start = message;
  start["content"] = json::array{};
  start["stop_reason"] = nullptr;
  start["stop_sequence"] = nullptr;
  out.push_back(made(MessageStart{std::move(start)}));

  std::int64_t index = 0;
  if (const auto* content = message.if_contains("content"); content != nullptr && content->is_array()) {
    for (const auto& item : content->get_array()) {
      if (!item.is_object()) continue;
      const json::object& block = item.get_object();
      json::object opened = block;
      switch (block_type(string_at(block, "type"))) {
        case BlockType::kText: {
          opened["text"] = "";
          opened.erase("citations");
          out.push_back(made(BlockStart{index, std::move(opened)}));
          if (const auto* citations = block.if_contains("citations");
              citations != nullptr && citations->is_array()) {
            for (const auto& citation : citations->get_array()) {
              BlockDelta delta;
              delta.index = index;
              delta.other = {{"type", "citations_delta"}, {"citation", citation}};
              out.push_back(made(std::move(delta)));
            }
          }
          push_delta(out, index, DeltaKind::kText, std::string(string_at(block, "text")));
          break;
        }
        case BlockType::kToolUse: {
          opened["input"] = json::object{};
          out.push_back(made(BlockStart{index, std::move(opened)}));
          const auto* input = block.if_contains("input");
          push_delta(out, index, DeltaKind::kInputJson,
                     input != nullptr ? json::serialize(*input) : std::string("{}"));
          break;
        }
        case BlockType::kThinking:
          opened["thinking"] = "";
          opened["signature"] = "";
          out.push_back(made(BlockStart{index, std::move(opened)}));
          push_delta(out, index, DeltaKind::kThinking, std::string(string_at(block, "thinking")));
          push_delta(out, index, DeltaKind::kSignature, std::string(string_at(block, "signature")));
          break;
        case BlockType::kOther:  // redacted thinking, server tool results, …: whole at the start
          out.push_back(made(BlockStart{index, std::move(opened)}));
          break;
      }
      out.push_back(made(BlockStop{index}));
      ++index;
    }
  }

  json::object delta{{"stop_reason", nullptr}, {"stop_sequence", nullptr}};
  if (const auto* reason = message.if_contains("stop_reason")) delta["stop_reason"] = *reason;
  if (const auto* sequence = message.if_contains("stop_sequence")) delta["stop_sequence"] = *sequence;
  json::object data{{"type", "message_delta"}, {"delta", std::move(delta)}};
  if (const auto* usage = message.if_contains("usage")) data["usage"] = *usage;
  out.push_back(made(MessageDelta{std::move(data)}));
  out.push_back(made(MessageStop{}));
  return out;
}

}  // namespace warden::core
