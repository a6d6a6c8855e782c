#include "policy/builtin/debug_logging.hpp"

#include "policy/builtin/utf8.hpp"

namespace warden::policy {

namespace json = boost::json;

namespace {

constexpr std::size_t kPreviewBytes = 200;

std::string_view delta_kind(core::DeltaKind kind) {
  switch (kind) {
    case core::DeltaKind::kText:
      return "text";
    case core::DeltaKind::kInputJson:
      return "input_json";
    case core::DeltaKind::kThinking:
      return "thinking";
    case core::DeltaKind::kSignature:
      return "signature";
    case core::DeltaKind::kOther:
      return "other";
  }
  return "other";
}

json::value field(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr ? *value : json::value(nullptr);
}

}  // namespace

std::shared_ptr<Policy> DebugLogging::create(const config::Options& spec) {
  spec.allow_keys({"type", "level"});
  const std::string level = spec.text("level", "info");
  if (level != "debug" && level != "info") {
    spec["level"].fail("expected debug or info, got '" + level + "'");
  }
  return std::make_shared<DebugLogging>(level == "debug" ? observability::LogLevel::kDebug
                                                         : observability::LogLevel::kInfo);
}

void DebugLogging::log_hook(std::string_view hook, StreamContext& ctx) const {
  if (!observability::log_enabled(level_)) return;  // skip building the fields
  const core::StreamEvent& event = ctx.current();
  json::object fields{
      {"transaction", ctx.policy_context().transaction_id},
      {"hook", hook},
      {"event", ctx.at_end() ? std::string_view("(end of stream)") : core::event_name(event)}};
  if (const auto* start = event.as<core::BlockStart>()) {
    fields["index"] = start->index;
    fields["block_type"] = field(start->block, "type");
  } else if (const auto* delta = event.as<core::BlockDelta>()) {
    fields["index"] = delta->index;
    fields["delta"] = delta_kind(delta->kind);
    fields["bytes"] = delta->text.size();
    fields["preview"] = utf8_prefix(delta->text, kPreviewBytes);
  } else if (const auto* stop = event.as<core::BlockStop>()) {
    fields["index"] = stop->index;
    if (const core::Block* block = ctx.completed_block()) {
      fields["block_type"] = block->type_name();
      if (block->type == core::BlockType::kToolUse) fields["tool"] = block->tool_name();
    }
  } else if (event.is<core::MessageDelta>()) {
    fields["stop_reason"] = ctx.finish_reason();
  }
  if (event.modified) fields["modified"] = true;
  observability::log(level_, "policy hook", fields);
}

awaitable<void> DebugLogging::on_request(core::Request& request, PolicyContext& ctx) {
  observability::log(
      level_, "policy hook",
      {{"transaction", ctx.transaction_id},
       {"hook", "on_request"},
       {"model", request.model},
       {"stream", request.stream},
       {"dialect", request.dialect == core::Dialect::kOpenAi ? "openai" : "anthropic"}});
  co_return;
}

awaitable<void> DebugLogging::on_response(json::object& message, bool&, PolicyContext& ctx) {
  const auto* content = message.if_contains("content");
  observability::log(
      level_, "policy hook",
      {{"transaction", ctx.transaction_id},
       {"hook", "on_response"},
       {"blocks", content != nullptr && content->is_array() ? content->get_array().size() : 0},
       {"stop_reason", field(message, "stop_reason")}});
  co_return;
}

awaitable<void> DebugLogging::on_chunk_received(StreamContext& ctx) {
  log_hook("on_chunk_received", ctx);
  co_return;
}
awaitable<void> DebugLogging::on_content_delta(StreamContext& ctx) {
  log_hook("on_content_delta", ctx);
  co_return;
}
awaitable<void> DebugLogging::on_content_complete(StreamContext& ctx) {
  log_hook("on_content_complete", ctx);
  co_return;
}
awaitable<void> DebugLogging::on_tool_call_delta(StreamContext& ctx) {
  log_hook("on_tool_call_delta", ctx);
  co_return;
}
awaitable<void> DebugLogging::on_tool_call_complete(StreamContext& ctx) {
  log_hook("on_tool_call_complete", ctx);
  co_return;
}
awaitable<void> DebugLogging::on_finish_reason(StreamContext& ctx) {
  log_hook("on_finish_reason", ctx);
  co_return;
}
awaitable<void> DebugLogging::on_stream_complete(StreamContext& ctx) {
  log_hook("on_stream_complete", ctx);
  co_return;
}

}  // namespace warden::policy
