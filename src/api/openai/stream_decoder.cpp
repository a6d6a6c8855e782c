#include "api/openai/stream_decoder.hpp"

#include <cstddef>
#include <optional>
#include <utility>

#include <boost/json/serialize.hpp>

#include "api/translate/mapping.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"
#include "core/scratch_json.hpp"

// Tool calls (4.7 step 4). Anthropic blocks cannot interleave and a stopped block cannot be
// reopened, so a call that may still receive fragments must stay open or stay unsent:
// - the first tool call streams live, as the open tool_use block;
// - a call that begins while that block is open, or after any call was buffered, is buffered
//   whole and emitted when the message ends ([DONE] or end of body) as start + one
//   input_json_delta + stop, in order of first appearance.
// Real OpenAI sends calls one after another, so this costs only the liveness of the second and
// later calls; upstreams that interleave the fragments of several calls by index decode
// correctly whatever the order. The one case left — a fragment for the live call after text or
// thinking closed its block — cannot be represented and ends the stream with an error event.

namespace warden::api::openai {

namespace json = boost::json;
using core::string_at;
using core::trim;
using core::DeltaKind;
using core::ErrorKind;

namespace {

using core::ScratchJson;

const json::object* object_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

bool int_at(const json::object& o, std::string_view key, std::int64_t& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return false;
  if (v->is_int64()) {
    out = v->get_int64();
    return true;
  }
  if (v->is_uint64()) {
    out = static_cast<std::int64_t>(v->get_uint64());
    return true;
  }
  return false;
}

// 4.9 for an error inside a stream: there is no HTTP status, so go by OpenAI's type and code.
std::string anthropic_error_type(std::string_view type, std::string_view code) {
  const auto is = [&](std::string_view s) { return type == s || code == s; };
  if (is("invalid_api_key") || is("authentication_error")) return "authentication_error";
  if (is("rate_limit_exceeded") || is("insufficient_quota") || is("rate_limit_error") ||
      type == "requests" || type == "tokens") {
    return "rate_limit_error";
  }
  if (is("permission_error") || is("permission_denied")) return "permission_error";
  if (is("model_not_found") || is("not_found") || is("not_found_error")) return "not_found_error";
  if (is("server_is_overloaded") || is("overloaded") || is("overloaded_error") ||
      is("service_unavailable")) {
    return "overloaded_error";
  }
  if (is("timeout") || is("timeout_error")) return "timeout_error";
  if (is("invalid_request_error")) return "invalid_request_error";
  return "api_error";
}

// The error an error chunk reports, if it is one: {"error":{…}}, {"error":"text"}, or vLLM's
// top-level {"object":"error","message":…,"type":…,"code":…}.
bool error_of(const json::object& chunk, core::StreamError& error) {
  const json::object* fields = nullptr;
  error = core::StreamError{"api_error", "Upstream reported an error"};
  if (const auto* e = chunk.if_contains("error"); e != nullptr && !e->is_null()) {
    if (e->is_string() && !e->get_string().empty()) error.message = e->get_string();
    fields = e->is_object() ? &e->get_object() : nullptr;
  } else if (string_at(chunk, "object") == "error") {
    fields = &chunk;
  } else {
    return false;
  }
  if (fields != nullptr) {
    if (auto m = string_at(*fields, "message"); !m.empty()) error.message = m;
    error.type = anthropic_error_type(string_at(*fields, "type"), string_at(*fields, "code"));
  }
  return true;
}

void push(std::vector<core::StreamEvent>& out, core::EventPayload payload) {
  out.push_back(core::StreamEvent{std::move(payload), {}, false});
}

json::object tool_block(const std::string& id, const std::string& name) {
  return {{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", json::object{}}};
}

}  // namespace

StreamDecoder::StreamDecoder(std::string client_model) : client_model_(std::move(client_model)) {}

core::Result<void> StreamDecoder::feed(std::string_view data, std::string raw,
                                       std::vector<core::StreamEvent>& out) {
  if (finished_ || failed_) return {};  // the message is over; anything after it is dropped
  const std::size_t first = out.size();
  data = trim(data);
  if (data == "[DONE]") {
    done_ = true;
    end_message(out);
    attach_raw(out, first, std::move(raw));
    return {};
  }
  if (data.empty()) {  // an empty `data:` (a keep-alive of sorts): nothing to decode
    held_raw_ += raw;
    return {};
  }
  const ScratchJson parsed(data);
  if (parsed.object() == nullptr) {
    return core::fail(ErrorKind::kUpstreamFailed,
                      "Upstream sent a stream chunk that is not a JSON object");
  }
  const json::object& chunk = *parsed.object();  // scratch: nothing may keep a reference into it
  if (core::StreamError error; error_of(chunk, error)) {
    fail(std::move(error.type), std::move(error.message), out);
  } else {
    start_message(out);
    // A copy: assignment keeps usage_'s (default) storage.
    if (const auto* usage = object_at(chunk, "usage")) usage_ = *usage;
    if (const auto* choices = chunk.if_contains("choices"); choices && choices->is_array()) {
      for (const auto& c : choices->get_array()) {
        if (!c.is_object()) continue;
        std::int64_t index = 0;
        const bool has_index = int_at(c.get_object(), "index", index);
        if (has_index && index != 0) continue;  // only choice 0 (n > 1 is refused)
        decode_choice(c.get_object(), out);
        break;
      }
    }
  }
  attach_raw(out, first, std::move(raw));
  return {};
}

void StreamDecoder::finish(std::vector<core::StreamEvent>& out) {
  if (finished_ || failed_) return;
  const std::size_t first = out.size();
  if (done_ || saw_finish_) {
    end_message(out);
  } else {
    fail("api_error", "Upstream stream ended before finish_reason", out);
  }
  if (out.size() > first) {
    out.back().raw.insert(0, held_raw_);
    held_raw_.clear();
  }
}

void StreamDecoder::decode_choice(const json::object& choice, std::vector<core::StreamEvent>& out) {
  if (const auto* delta = object_at(choice, "delta")) {
    // Servers name reasoning text either way; some send both with the same text.
    std::string_view reasoning = string_at(*delta, "reasoning_content");
    if (reasoning.empty()) reasoning = string_at(*delta, "reasoning");
    if (!reasoning.empty()) append(Open::kThinking, reasoning, out);
    if (auto content = string_at(*delta, "content"); !content.empty()) {
      append(Open::kText, content, out);
    }
    // A refusal is text the client should see; Anthropic has no refusal delta.
    if (auto refusal = string_at(*delta, "refusal"); !refusal.empty()) {
      append(Open::kText, refusal, out);
    }
    if (const auto* calls = delta->if_contains("tool_calls"); calls && calls->is_array()) {
      for (const auto& piece : calls->get_array()) {
        if (!piece.is_object()) continue;
        if (!tool_piece(piece.get_object(), out)) return;
      }
    }
  }
  if (auto reason = string_at(choice, "finish_reason"); !reason.empty()) {
    saw_finish_ = true;
    finish_reason_ = reason;  // the message ends at [DONE] or the end of the body (usage follows)
  }
}

void StreamDecoder::start_message(std::vector<core::StreamEvent>& out) {
  if (started_) return;
  started_ = true;
  push(out, core::MessageStart{{{"id", core::random_id("msg_")},
                                {"type", "message"},
                                {"role", "assistant"},
                                {"model", client_model_},
                                {"content", json::array{}},
                                {"stop_reason", nullptr},
                                {"stop_sequence", nullptr},
                                {"usage", {{"input_tokens", 0}, {"output_tokens", 1}}}}});
}

void StreamDecoder::open_block(Open kind, json::object block, std::vector<core::StreamEvent>& out) {
  close_block(out);
  push(out, core::BlockStart{next_index_, std::move(block)});
  open_ = kind;
  open_index_ = next_index_++;
}

void StreamDecoder::close_block(std::vector<core::StreamEvent>& out) {
  if (open_ == Open::kNone) return;
  if (open_ == Open::kTool) {
    // An argument-less call still needs a JSON object as its input (4.7).
    if (!live_has_arguments_)
      push(out, core::BlockDelta{open_index_, DeltaKind::kInputJson, "{}", {}});
    calls_[live_call_].state = CallState::kClosed;
  }
  push(out, core::BlockStop{open_index_});
  open_ = Open::kNone;
}

void StreamDecoder::append(Open kind, std::string_view text, std::vector<core::StreamEvent>& out) {
  if (open_ != kind) {
    open_block(kind,
               kind == Open::kText
                   ? json::object{{"type", "text"}, {"text", ""}}
                   : json::object{{"type", "thinking"}, {"thinking", ""}, {"signature", ""}},
               out);
  }
  push(out, core::BlockDelta{open_index_,
                             kind == Open::kText ? DeltaKind::kText : DeltaKind::kThinking,
                             std::string(text),
                             {}});
}

bool StreamDecoder::tool_piece(const json::object& piece, std::vector<core::StreamEvent>& out) {
  std::int64_t index = 0;
  const bool has_index = int_at(piece, "index", index);
  const std::string_view id = string_at(piece, "id");
  std::string_view name;
  std::string arguments;
  if (const auto* function = object_at(piece, "function")) {
    name = string_at(*function, "name");
    if (const auto* args = function->if_contains("arguments")) {
      if (args->is_string()) arguments = args->get_string();
      if (args->is_object()) arguments = json::serialize(*args);  // some servers send an object
    }
  }

  // Which call this piece continues. OpenAI keys pieces by `index`; some compatible servers
  // omit it, or reuse one index for several calls that differ by id.
  std::size_t pos = calls_.size();
  const auto same_call = [&](const ToolCall& c) {
    return id.empty() || c.id_generated || c.id == id;
  };
  if (has_index) {
    if (auto it = call_by_index_.find(index); it != call_by_index_.end()) {
      if (same_call(calls_[it->second])) pos = it->second;
    }
  } else if (!calls_.empty() && same_call(calls_.back())) {
    pos = calls_.size() - 1;
  }

  if (pos == calls_.size()) {
    ToolCall call;
    call.id_generated = id.empty();
    call.id = id.empty() ? core::random_id("toolu_") : std::string(id);
    call.name = name;
    call_by_index_[has_index ? index : next_synthetic_index_--] = pos;
    // A block can only be opened with a name; a nameless call waits in the buffer for one.
    if (open_ != Open::kTool && !any_buffered_ && !call.name.empty()) {
      call.state = CallState::kLive;
      calls_.push_back(std::move(call));
      open_block(Open::kTool, tool_block(calls_[pos].id, calls_[pos].name), out);
      live_call_ = pos;
      live_has_arguments_ = false;
    } else {
      call.state = CallState::kBuffered;
      any_buffered_ = true;
      calls_.push_back(std::move(call));
    }
  } else {
    ToolCall& call = calls_[pos];
    if (call.state == CallState::kBuffered) {
      if (call.name.empty()) call.name = name;
      if (call.id_generated && !id.empty()) {
        call.id = id;
        call.id_generated = false;
      }
    }
    if (call.state == CallState::kClosed && !arguments.empty()) {
      fail("api_error",
           "Upstream sent arguments for tool call " + call.id +
               " after other content closed it; Warden cannot forward that stream",
           out);
      return false;
    }
  }

  if (arguments.empty()) return true;
  ToolCall& call = calls_[pos];
  if (call.state == CallState::kLive) {
    push(out, core::BlockDelta{open_index_, DeltaKind::kInputJson, std::move(arguments), {}});
    live_has_arguments_ = true;
  } else {
    call.arguments += arguments;
  }
  return true;
}

void StreamDecoder::end_message(std::vector<core::StreamEvent>& out) {
  for (const auto& call : calls_) {
    if (call.state == CallState::kBuffered && call.name.empty()) {
      fail("api_error", "Upstream sent tool call " + call.id + " without a function name", out);
      return;
    }
  }
  start_message(out);
  close_block(out);
  for (auto& call : calls_) {
    if (call.state != CallState::kBuffered) continue;
    push(out, core::BlockStart{next_index_, tool_block(call.id, call.name)});
    push(out, core::BlockDelta{next_index_,
                               DeltaKind::kInputJson,
                               call.arguments.empty() ? std::string("{}") : call.arguments,
                               {}});
    push(out, core::BlockStop{next_index_});
    ++next_index_;
    call.state = CallState::kClosed;
  }
  // Tool calls make it tool_use whatever the upstream said (4.4), except a cut by the token
  // limit: those calls are incomplete and must not look runnable (Anthropic says max_tokens too).
  const bool tool_use = !calls_.empty() && finish_reason_ != "length";
  json::object delta{
      {"stop_reason", translate::stop_reason_from_finish_reason(finish_reason_, tool_use)},
      {"stop_sequence", nullptr}};
  push(out, core::MessageDelta{{{"type", "message_delta"},
                                {"delta", std::move(delta)},
                                {"usage", translate::anthropic_usage_from_openai(usage_)}}});
  push(out, core::MessageStop{});
  finished_ = true;
}

void StreamDecoder::fail(std::string type, std::string message,
                         std::vector<core::StreamEvent>& out) {
  push(out, core::StreamError{std::move(type), std::move(message)});
  failed_ = true;
}

void StreamDecoder::attach_raw(std::vector<core::StreamEvent>& out, std::size_t first,
                               std::string raw) {
  if (out.size() == first) {
    held_raw_ += raw;
    return;
  }
  if (!held_raw_.empty()) {
    held_raw_ += raw;
    raw = std::move(held_raw_);
    held_raw_.clear();
  }
  out.back().raw = std::move(raw);
}

}  // namespace warden::api::openai
