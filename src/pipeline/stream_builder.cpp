#include "pipeline/stream_builder.hpp"

#include "core/json_util.hpp"

namespace warden::pipeline {

namespace json = boost::json;

namespace {

// The index an event carries, if it is a block event.
std::int64_t* index_of(core::StreamEvent& event) {
  if (auto* e = event.as<core::BlockStart>()) return &e->index;
  if (auto* e = event.as<core::BlockDelta>()) return &e->index;
  if (auto* e = event.as<core::BlockStop>()) return &e->index;
  return nullptr;
}

// Whether a delta of `kind` belongs in a block of `type`.
bool fits(core::DeltaKind kind, std::string_view type) {
  switch (kind) {
    case core::DeltaKind::kText:
      return type == "text";
    case core::DeltaKind::kInputJson:
      return type.ends_with("tool_use");  // tool_use, server_tool_use, mcp_tool_use
    case core::DeltaKind::kThinking:
    case core::DeltaKind::kSignature:
      return type == "thinking";
    case core::DeltaKind::kOther:
      return true;  // citations and kinds Warden does not know: the upstream's business
  }
  return false;
}

}  // namespace

void StreamBuilder::forward(core::StreamEvent event, std::vector<core::StreamEvent>& out) {
  if (taint_) {
    event.modified = true;
    taint_ = false;
  }
  out.push_back(std::move(event));
}

void StreamBuilder::drop() {
  taint_ = true;
  changed_ = true;
}

void StreamBuilder::close_open_block(std::vector<core::StreamEvent>& out) {
  if (!open_) return;
  open_ = false;
  changed_ = true;
  forward(core::StreamEvent{core::BlockStop{next_index_ - 1}, {}, true}, out);
}

void StreamBuilder::push(core::StreamEvent event, std::vector<core::StreamEvent>& out) {
  if (ended_) {
    drop();
    return;
  }
  if (event.is<core::StreamError>()) {
    ended_ = true;
    forward(std::move(event), out);
    return;
  }
  if (!started_) {
    if (!event.is<core::MessageStart>()) {
      before_start_.push_back(std::move(event));
      return;
    }
    started_ = true;
    forward(std::move(event), out);
    auto waiting = std::move(before_start_);
    before_start_.clear();
    if (!waiting.empty()) changed_ = true;
    for (auto& e : waiting) push(std::move(e), out);
    return;
  }

  if (auto* start = event.as<core::BlockStart>()) {
    close_open_block(out);
    open_ = true;
    open_input_index_ = start->index;
    open_type_ = core::string_at(start->block, "type");
    if (open_type_ == "tool_use") sent_tool_use_ = true;
  } else if (index_of(event) != nullptr) {  // a delta or a stop
    const auto* delta = event.as<core::BlockDelta>();
    if (!open_ || *index_of(event) != open_input_index_ ||
        (delta != nullptr && !fits(delta->kind, open_type_))) {
      drop();
      return;
    }
    if (event.is<core::BlockStop>()) open_ = false;
  } else if (event.is<core::MessageStart>()) {
    drop();
    return;
  } else if (event.is<core::MessageDelta>()) {
    if (message_delta_) changed_ = true;  // the later one wins
    message_delta_ = std::move(event);
    return;
  } else if (event.is<core::MessageStop>()) {
    finish_message(out);
    forward(std::move(event), out);
    ended_ = true;
    return;
  }

  if (std::int64_t* index = index_of(event)) {
    const std::int64_t wanted = event.is<core::BlockStart>() ? next_index_++ : next_index_ - 1;
    if (*index != wanted) {
      *index = wanted;
      event.modified = true;
      changed_ = true;
    }
  }
  forward(std::move(event), out);
}

void StreamBuilder::finish_message(std::vector<core::StreamEvent>& out) {
  close_open_block(out);
  if (!message_delta_) {
    changed_ = true;
    json::object data{{"type", "message_delta"},
                      {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                      {"usage", {{"output_tokens", 0}}}};
    message_delta_ = core::StreamEvent{core::MessageDelta{std::move(data)}, {}, true};
  }
  auto& delta = *message_delta_->as<core::MessageDelta>();
  const std::string_view reason = core::stop_reason(delta);
  const char* fixed = nullptr;
  if (reason == "tool_use" && !sent_tool_use_) fixed = "end_turn";
  if (reason == "end_turn" && sent_tool_use_) fixed = "tool_use";
  if (fixed != nullptr) {
    delta.data["delta"].as_object()["stop_reason"] = fixed;
    message_delta_->modified = true;
    changed_ = true;
  }
  forward(std::move(*message_delta_), out);
  message_delta_.reset();
}

void StreamBuilder::finish() {
  // Events still waiting for a message_start never go out (an error would not
  // have waited), and a truncated stream keeps its message_delta back: the
  // formatter's error event ends it.
  before_start_.clear();
  message_delta_.reset();
}

}  // namespace warden::pipeline
