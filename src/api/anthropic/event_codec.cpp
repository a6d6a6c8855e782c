#include "api/anthropic/event_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/anthropic/errors.hpp"
#include "core/json_util.hpp"

namespace warden::api::anthropic {

namespace json = boost::json;
using core::string_at;
using core::ErrorKind;
using core::fail;

namespace {

core::Error bad_event(std::string_view type, std::string_view why) {
  return core::Error{ErrorKind::kUpstreamFailed,
                     "Upstream sent an unreadable " + std::string(type) + " event: " +
                         std::string(why)};
}

const json::object* object_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

bool index_of(const json::object& o, std::int64_t& index) {
  const auto* v = o.if_contains("index");
  if (v == nullptr || !v->is_int64() || v->get_int64() < 0) return false;
  index = v->get_int64();
  return true;
}

struct DeltaField {
  std::string_view type;
  std::string_view field;
  core::DeltaKind kind;
};
constexpr DeltaField kDeltaFields[] = {
    {"text_delta", "text", core::DeltaKind::kText},
    {"input_json_delta", "partial_json", core::DeltaKind::kInputJson},
    {"thinking_delta", "thinking", core::DeltaKind::kThinking},
    {"signature_delta", "signature", core::DeltaKind::kSignature},
};

core::Result<core::EventPayload> decode_payload(std::string_view type, json::object& data) {
  if (type == "content_block_delta") {
    core::BlockDelta delta;
    const auto* inner = object_at(data, "delta");
    if (!index_of(data, delta.index) || inner == nullptr) {
      return tl::unexpected(bad_event(type, "missing index or delta"));
    }
    const std::string_view delta_type = string_at(*inner, "type");
    for (const auto& f : kDeltaFields) {
      if (f.type != delta_type) continue;
      const auto* value = inner->if_contains(f.field);
      if (value == nullptr || !value->is_string()) {
        return tl::unexpected(bad_event(type, std::string(f.field) + " is not a string"));
      }
      delta.kind = f.kind;
      delta.text = value->get_string();
      return delta;
    }
    delta.other = *inner;
    return delta;
  }
  if (type == "ping") return core::Ping{};
  if (type == "content_block_start") {
    core::BlockStart start;
    const auto* block = object_at(data, "content_block");
    if (!index_of(data, start.index) || block == nullptr) {
      return tl::unexpected(bad_event(type, "missing index or content_block"));
    }
    start.block = *block;
    return start;
  }
  if (type == "content_block_stop") {
    core::BlockStop stop;
    if (!index_of(data, stop.index)) return tl::unexpected(bad_event(type, "missing index"));
    return stop;
  }
  if (type == "message_start") {
    auto* message = data.if_contains("message");
    if (message == nullptr || !message->is_object()) {
      return tl::unexpected(bad_event(type, "missing message"));
    }
    return core::MessageStart{std::move(message->get_object())};
  }
  if (type == "message_delta") {
    if (object_at(data, "delta") == nullptr) return tl::unexpected(bad_event(type, "missing delta"));
    return core::MessageDelta{std::move(data)};
  }
  if (type == "message_stop") return core::MessageStop{};
  if (type == "error") {
    const auto* error = object_at(data, "error");
    core::StreamError e{"api_error", "Upstream reported an error"};
    if (error != nullptr) {
      if (auto t = string_at(*error, "type"); !t.empty()) e.type = t;
      if (auto m = string_at(*error, "message"); !m.empty()) e.message = m;
    }
    return e;
  }
  return core::UnknownEvent{std::string(type), json::serialize(data)};
}

}  // namespace

core::Result<core::StreamEvent> decode_event(std::string_view name, std::string_view data,
                                            std::string raw) {
  boost::system::error_code ec;
  json::value parsed = json::parse(data, ec);
  if (ec || !parsed.is_object()) {
    return fail(ErrorKind::kUpstreamFailed,
                "Upstream sent an event whose data is not a JSON object (event: " +
                    std::string(name) + ")");
  }
  json::object& object = parsed.get_object();
  // The JSON `type` names the event; the SSE name is the fallback (they agree on the wire).
  std::string type(string_at(object, "type"));
  if (type.empty()) type = name;
  auto payload = decode_payload(type, object);
  if (!payload) return tl::unexpected(std::move(payload.error()));
  // A JSON type names an unnamed event only if it fits on an `event:` line.
  if (auto* unknown = std::get_if<core::UnknownEvent>(&*payload);
      unknown && (name != "message" || unknown->name.find_first_of("\r\n") != std::string::npos)) {
    unknown->name = name;
  }
  return core::StreamEvent{std::move(*payload), std::move(raw), false};
}

namespace {

json::object encode_data(const core::StreamEvent& event) {
  struct Visitor {
    json::object operator()(const core::MessageStart& e) const {
      return {{"type", "message_start"}, {"message", e.message}};
    }
    json::object operator()(const core::BlockStart& e) const {
      return {{"type", "content_block_start"}, {"index", e.index}, {"content_block", e.block}};
    }
    json::object operator()(const core::BlockDelta& e) const {
      json::object delta;
      if (e.kind == core::DeltaKind::kOther) {
        delta = e.other;
      } else {
        for (const auto& f : kDeltaFields) {
          if (f.kind != e.kind) continue;
          delta["type"] = f.type;
          delta[f.field] = e.text;
        }
      }
      return {{"type", "content_block_delta"}, {"index", e.index}, {"delta", std::move(delta)}};
    }
    json::object operator()(const core::BlockStop& e) const {
      return {{"type", "content_block_stop"}, {"index", e.index}};
    }
    json::object operator()(const core::MessageDelta& e) const { return e.data; }
    json::object operator()(const core::MessageStop&) const { return {{"type", "message_stop"}}; }
    json::object operator()(const core::Ping&) const { return {{"type", "ping"}}; }
    json::object operator()(const core::StreamError& e) const {
      return {{"type", "error"}, {"error", {{"type", e.type}, {"message", e.message}}}};
    }
    json::object operator()(const core::UnknownEvent& e) const {
      boost::system::error_code ec;
      json::value v = json::parse(e.data, ec);
      return !ec && v.is_object() ? std::move(v.get_object()) : json::object{};
    }
  };
  return std::visit(Visitor{}, event.payload);
}

}  // namespace

void encode_event(const core::StreamEvent& event, std::string& out) {
  out.append("event: ");
  out.append(core::event_name(event));
  out.append("\ndata: ");
  out.append(json::serialize(encode_data(event)));
  out.append("\n\n");
}

}  // namespace warden::api::anthropic
