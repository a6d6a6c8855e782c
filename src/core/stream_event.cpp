#include "core/stream_event.hpp"

namespace warden::core {

std::string_view stop_reason(const MessageDelta& delta) {
  const auto* inner = delta.data.if_contains("delta");
  if (inner == nullptr || !inner->is_object()) return {};
  const auto* reason = inner->get_object().if_contains("stop_reason");
  if (reason == nullptr || !reason->is_string()) return {};
  return reason->get_string();
}

std::string_view event_name(const StreamEvent& event) {
  struct Visitor {
    std::string_view operator()(const MessageStart&) const { return "message_start"; }
    std::string_view operator()(const BlockStart&) const { return "content_block_start"; }
    std::string_view operator()(const BlockDelta&) const { return "content_block_delta"; }
    std::string_view operator()(const BlockStop&) const { return "content_block_stop"; }
    std::string_view operator()(const MessageDelta&) const { return "message_delta"; }
    std::string_view operator()(const MessageStop&) const { return "message_stop"; }
    std::string_view operator()(const Ping&) const { return "ping"; }
    std::string_view operator()(const StreamError&) const { return "error"; }
    std::string_view operator()(const UnknownEvent& e) const { return e.name; }
  };
  return std::visit(Visitor{}, event.payload);
}

}  // namespace warden::core
