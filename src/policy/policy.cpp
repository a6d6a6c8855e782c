#include "policy/policy.hpp"

#include <chrono>

#include "observability/log.hpp"

namespace warden::policy {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void PolicyContext::record(PolicyEvent event) {
  event.at_us = now_us();
  observability::log(observability::LogLevel::kInfo, "policy event",
                     {{"transaction", transaction_id},
                      {"policy", event.policy},
                      {"action", event.action},
                      {"detail", event.detail}});
  if (on_event) on_event(event);
  events.push_back(std::move(event));
}

namespace {

// What an event costs to keep, roughly: its bytes and its text.
std::size_t held_size(const core::StreamEvent& event) {
  std::size_t size = event.raw.size() + sizeof(core::StreamEvent);
  if (const auto* delta = event.as<core::BlockDelta>()) size += delta->text.size();
  return size;
}

}  // namespace

void StreamContext::emit(core::StreamEvent event) {
  if (event.raw.empty()) event.modified = true;
  emitted_.push_back(std::move(event));
}

void StreamContext::emit_text_block(std::string text) {
  // The index is the builder's business (it renumbers); reuse the current one.
  std::int64_t index = 0;
  if (const auto* block = current_block()) index = block->index;
  if (const auto* stop = current_->as<core::BlockStop>()) index = stop->index;
  emit(core::StreamEvent{core::BlockStart{index, {{"type", "text"}, {"text", ""}}}, {}, true});
  emit(text_delta_event(index, std::move(text)));
  emit(core::StreamEvent{core::BlockStop{index}, {}, true});
}

bool StreamContext::hold(std::int64_t group) {
  const std::size_t size = held_size(*current_);
  if (held_bytes_ + size > max_held_bytes_) return false;
  Held& held = held_[group];
  held.bytes += size;
  held_bytes_ += size;
  held.events.push_back(std::move(*current_));
  disposition_ = Disposition::kHeld;
  return true;
}

void StreamContext::release_held(std::int64_t group) {
  auto it = held_.find(group);
  if (it == held_.end()) return;
  for (auto& event : it->second.events) emitted_.push_back(std::move(event));
  held_bytes_ -= it->second.bytes;
  held_.erase(it);
}

void StreamContext::discard_held(std::int64_t group) {
  auto it = held_.find(group);
  if (it == held_.end()) return;
  if (!it->second.events.empty()) discarded_ = true;
  held_bytes_ -= it->second.bytes;
  held_.erase(it);
}

std::size_t StreamContext::held_count(std::int64_t group) const {
  auto it = held_.find(group);
  return it == held_.end() ? 0 : it->second.events.size();
}

void StreamContext::begin_event(core::StreamEvent& event, bool at_end) {
  current_ = &event;
  at_end_ = at_end;
  disposition_ = Disposition::kForward;
  discarded_ = false;
  ++progress_;
}

core::StreamEvent text_delta_event(std::int64_t index, std::string text) {
  core::BlockDelta delta;
  delta.index = index;
  delta.kind = core::DeltaKind::kText;
  delta.text = std::move(text);
  return core::StreamEvent{std::move(delta), {}, true};
}

awaitable<void> Policy::on_request(core::Request&, PolicyContext&) { co_return; }
awaitable<void> Policy::on_response(boost::json::object&, bool&, PolicyContext&) { co_return; }
awaitable<void> Policy::on_chunk_received(StreamContext&) {
  note_default(kOnChunkReceived);
  co_return;
}
awaitable<void> Policy::on_content_delta(StreamContext&) {
  note_default(kOnContentDelta);
  co_return;
}
awaitable<void> Policy::on_content_complete(StreamContext&) {
  note_default(kOnContentComplete);
  co_return;
}
awaitable<void> Policy::on_tool_call_delta(StreamContext&) {
  note_default(kOnToolCallDelta);
  co_return;
}
awaitable<void> Policy::on_tool_call_complete(StreamContext&) {
  note_default(kOnToolCallComplete);
  co_return;
}
awaitable<void> Policy::on_finish_reason(StreamContext&) {
  note_default(kOnFinishReason);
  co_return;
}
awaitable<void> Policy::on_stream_complete(StreamContext&) {
  note_default(kOnStreamComplete);
  co_return;
}

awaitable<void> ChainPolicy::on_request(core::Request& request, PolicyContext& ctx) {
  for (const auto& member : members_) co_await member->on_request(request, ctx);
}

awaitable<void> ChainPolicy::on_response(boost::json::object& message, bool& modified,
                                         PolicyContext& ctx) {
  for (const auto& member : members_) co_await member->on_response(message, modified, ctx);
}

void ChainPolicy::stages(std::vector<Policy*>& out) {
  for (const auto& member : members_) member->stages(out);
}

}  // namespace warden::policy
