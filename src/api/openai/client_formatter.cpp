#include "api/openai/client_formatter.hpp"

#include <chrono>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/openai/errors.hpp"
#include "api/translate/mapping.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"

namespace warden::api::openai {

namespace json = boost::json;
using core::string_at;
using core::trim;
using core::DeltaKind;

namespace {

// Calls `f` with the value of every `data:` line of some SSE bytes until it returns true.
template <class F>
bool any_data_line(std::string_view raw, F f) {
  while (!raw.empty()) {
    const auto end = raw.find_first_of("\r\n");
    std::string_view line = raw.substr(0, end);
    raw = end == std::string_view::npos ? std::string_view{} : raw.substr(end + 1);
    if (!line.starts_with("data:")) continue;
    line.remove_prefix(5);
    if (line.starts_with(' ')) line.remove_prefix(1);
    if (f(line)) return true;
  }
  return false;
}

bool has_done(std::string_view raw) {
  return any_data_line(raw, [](std::string_view v) { return trim(v) == "[DONE]"; });
}

bool has_error(std::string_view raw) {
  return any_data_line(raw, [](std::string_view v) {
    boost::system::error_code ec;
    const json::value parsed = json::parse(v, ec);
    if (ec || !parsed.is_object()) return false;
    const auto* error = parsed.get_object().if_contains("error");
    return (error != nullptr && !error->is_null()) ||
           string_at(parsed.get_object(), "object") == "error";
  });
}

// 4.9: Anthropic error type → OpenAI's.
std::string_view openai_error_type(std::string_view type) {
  if (type == "invalid_request_error" || type == "authentication_error" ||
      type == "not_found_error" || type == "request_too_large") {
    return "invalid_request_error";
  }
  if (type == "permission_error") return "permission_error";
  if (type == "rate_limit_error") return "requests";
  if (type == "billing_error") return "insufficient_quota";
  return "server_error";
}

std::string error_bytes(const core::StreamError& error) {
  return error_chunk(error.message.empty() ? "Upstream reported an error" : error.message,
                     openai_error_type(error.type));
}

void overlay(json::object& into, const json::value* from) {
  if (from == nullptr || !from->is_object()) return;
  for (const auto& [key, value] : from->get_object()) into[key] = value;
}

}  // namespace

ClientFormatter::ClientFormatter(std::string model, bool include_usage, bool passthrough)
    : model_(std::move(model)),
      include_usage_(include_usage),
      encoding_(!passthrough),
      // "chatcmpl-" + 29 characters, the shape of OpenAI's ids.
      id_(core::random_id("chatcmpl-") + core::random_id("").substr(0, 5)),
      created_(std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count()) {}

void ClientFormatter::format(const core::StreamEvent& event, std::string& out) {
  if (ended_) return;
  if (!encoding_ && event.modified) {
    // The first change: the untouched events before it lose the bytes that would have covered
    // them, so they go out encoded, and so does everything after.
    encoding_ = true;
    out.append(pending_);
    pending_.clear();
  }
  if (encoding_) {
    encode(event, &out);
  } else {
    write_raw(event, out);
  }
}

void ClientFormatter::finish(std::string_view reason, std::string& out) {
  if (ended_) return;
  out.append(
      error_chunk(reason.empty() ? "Upstream stream ended before [DONE]" : reason, "server_error"));
  pending_.clear();
  ended_ = true;
}

void ClientFormatter::write_raw(const core::StreamEvent& event, std::string& out) {
  const bool stop = event.is<core::MessageStop>();
  const auto* error = event.as<core::StreamError>();
  if (event.raw.empty() && !stop && error == nullptr) {
    encode(event, &pending_);  // its bytes come with a later event of the same chunk
    return;
  }
  pending_.clear();
  if (!learned_ && !event.raw.empty()) learn_ids(event.raw);
  encode(event, nullptr);
  out.append(event.raw);
  // The client must see the end whatever the upstream sent: a compatible server may omit
  // [DONE], and an error the decoder made (a cut stream) has no bytes of its own.
  if (stop && !has_done(event.raw)) out.append("data: [DONE]\n\n");
  if (error != nullptr && !has_error(event.raw)) out.append(error_bytes(*error));
}

void ClientFormatter::encode(const core::StreamEvent& event, std::string* out) {
  if (const auto* e = event.as<core::BlockDelta>()) {
    if (e->text.empty()) return;
    if (e->kind == DeltaKind::kText) {
      start(out);
      if (out != nullptr) write_chunk({{"content", e->text}}, {}, *out);
    } else if (e->kind == DeltaKind::kInputJson) {
      auto tool = tools_.find(e->index);
      if (tool == tools_.end()) return;
      tool->second.has_arguments = true;
      start(out);
      if (out == nullptr) return;
      json::object piece{{"index", tool->second.ordinal}, {"function", {{"arguments", e->text}}}};
      write_chunk({{"tool_calls", json::array{std::move(piece)}}}, {}, *out);
    }
    // thinking, signature and other deltas (citations) have no OpenAI form
  } else if (const auto* e = event.as<core::BlockStart>()) {
    const std::string_view type = string_at(e->block, "type");
    if (type == "tool_use") {
      Tool tool;
      tool.ordinal = next_ordinal_++;
      if (const auto* input = e->block.if_contains("input"); input && input->is_object()) {
        tool.input = input->get_object();
      }
      tools_[e->index] = std::move(tool);
      start(out);
      if (out == nullptr) return;
      json::object piece{{"index", tools_[e->index].ordinal},
                         {"id", string_at(e->block, "id")},
                         {"type", "function"},
                         {"function", {{"name", string_at(e->block, "name")}, {"arguments", ""}}}};
      write_chunk({{"tool_calls", json::array{std::move(piece)}}}, {}, *out);
    } else if (type == "text") {
      const std::string_view text = string_at(e->block, "text");
      if (text.empty()) return;
      start(out);
      if (out != nullptr) write_chunk({{"content", text}}, {}, *out);
    }
  } else if (const auto* e = event.as<core::BlockStop>()) {
    auto tool = tools_.find(e->index);
    if (tool == tools_.end()) return;
    Tool done = std::move(tool->second);
    tools_.erase(tool);
    if (done.has_arguments) return;
    // OpenAI clients JSON.parse the arguments, so an argument-less call says "{}" (4.8).
    start(out);
    if (out == nullptr) return;
    std::string arguments = done.input.empty() ? "{}" : json::serialize(done.input);
    json::object piece{{"index", done.ordinal}, {"function", {{"arguments", arguments}}}};
    write_chunk({{"tool_calls", json::array{std::move(piece)}}}, {}, *out);
  } else if (const auto* e = event.as<core::MessageStart>()) {
    overlay(usage_, e->message.if_contains("usage"));
    start(out);
  } else if (const auto* e = event.as<core::MessageDelta>()) {
    stop_reason_ = core::stop_reason(*e);
    overlay(usage_, e->data.if_contains("usage"));
    if (finish_sent_) return;  // exactly one finish chunk per choice
    finish_sent_ = true;
    start(out);
    if (out == nullptr) return;
    write_chunk({}, translate::finish_reason_from_stop_reason(stop_reason_), *out);
  } else if (event.is<core::MessageStop>()) {
    ended_ = completed_ = true;
    const bool send_finish = !finish_sent_;
    finish_sent_ = true;
    start(out);
    if (out == nullptr) return;
    if (send_finish) {
      write_chunk({}, translate::finish_reason_from_stop_reason(stop_reason_), *out);
    }
    if (include_usage_) write_usage_chunk(*out);
    out->append("data: [DONE]\n\n");
  } else if (const auto* e = event.as<core::StreamError>()) {
    ended_ = true;
    if (out != nullptr) out->append(error_bytes(*e));
  }
  // Ping and unknown events: nothing (an OpenAI client knows neither).
}

void ClientFormatter::start(std::string* out) {
  if (started_) return;
  started_ = true;
  if (out == nullptr) return;
  write_chunk({{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}, {}, *out);
}

json::object ClientFormatter::header() const {
  return {
      {"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", model_}};
}

void ClientFormatter::write_chunk(json::object delta, std::string_view finish_reason,
                                  std::string& out) const {
  json::object chunk = header();
  json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}};
  if (finish_reason.empty()) {
    choice["finish_reason"] = nullptr;
  } else {
    choice["finish_reason"] = finish_reason;
  }
  chunk["choices"] = json::array{std::move(choice)};
  if (include_usage_) chunk["usage"] = nullptr;
  out.append("data: ").append(json::serialize(chunk)).append("\n\n");
}

void ClientFormatter::write_usage_chunk(std::string& out) const {
  json::object chunk = header();
  chunk["choices"] = json::array{};
  chunk["usage"] = translate::openai_usage_from_anthropic(usage_);
  out.append("data: ").append(json::serialize(chunk)).append("\n\n");
}

// Passthrough: chunks this formatter encodes later must match the upstream's id and created.
void ClientFormatter::learn_ids(std::string_view raw) {
  learned_ = true;
  any_data_line(raw, [this](std::string_view v) {
    boost::system::error_code ec;
    const json::value parsed = json::parse(v, ec);
    if (ec || !parsed.is_object()) return false;
    const json::object& chunk = parsed.get_object();
    if (auto id = string_at(chunk, "id"); !id.empty()) id_ = id;
    // Chunks Warden encodes later must name the model the raw ones named.
    if (auto model = string_at(chunk, "model"); !model.empty()) model_ = model;
    if (const auto* created = chunk.if_contains("created"); created && created->is_int64()) {
      created_ = created->get_int64();
    }
    return true;
  });
}

}  // namespace warden::api::openai
