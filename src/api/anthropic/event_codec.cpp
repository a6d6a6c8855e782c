#include "api/anthropic/event_codec.hpp"

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/anthropic/errors.hpp"
#include "core/json_util.hpp"
#include "core/scratch_json.hpp"

namespace warden::api::anthropic {

namespace json = boost::json;
using core::string_at;
using core::ErrorKind;
using core::fail;

namespace {

using core::ScratchJson;

// `o`, part of a ScratchJson tree, on the default storage, for keeping beyond the tree: moved
// out when it is there already, else copied.
json::object kept(json::object& o) {
  if (o.storage().get() == json::storage_ptr().get()) return std::move(o);
  return json::object(o, json::storage_ptr());
}

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

// --- The fast path -----------------------------------------------------------------------
// Most of a stream is deltas of text, JSON, thinking or signature in exactly the shape the API
// sends them:
//   {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}
// try_plain_delta reads that shape without building a tree. Anything else (white space, other
// key orders, more keys, a \u escape, a control character, bytes that are not well-formed
// UTF-8) makes it return false, and the event takes the general path, so the result is the
// same either way.

// The shape, around the index and the string: kPlainHead INDEX middle STRING "}}
constexpr std::string_view kPlainHead = R"({"type":"content_block_delta","index":)";
struct PlainMiddle {
  std::string_view text;
  core::DeltaKind kind;
};
constexpr PlainMiddle kPlainMiddles[] = {
    {R"(,"delta":{"type":"text_delta","text":")", core::DeltaKind::kText},
    {R"(,"delta":{"type":"input_json_delta","partial_json":")", core::DeltaKind::kInputJson},
    {R"(,"delta":{"type":"thinking_delta","thinking":")", core::DeltaKind::kThinking},
    {R"(,"delta":{"type":"signature_delta","signature":")", core::DeltaKind::kSignature},
};
constexpr bool plain_middles_match_delta_fields() {
  for (std::size_t i = 0; i < std::size(kDeltaFields); ++i) {
    const auto& f = kDeltaFields[i];
    std::string_view m = kPlainMiddles[i].text;
    for (const std::string_view part :
         {std::string_view(R"(,"delta":{"type":")"), f.type, std::string_view(R"(",")"), f.field}) {
      if (!m.starts_with(part)) return false;
      m.remove_prefix(part.size());
    }
    if (m != R"(":")" || kPlainMiddles[i].kind != f.kind) return false;
  }
  return std::size(kDeltaFields) == std::size(kPlainMiddles);
}
static_assert(plain_middles_match_delta_fields());

// The length of the well-formed UTF-8 sequence (Unicode table 3-7, which is what Boost.JSON
// accepts) at the start of `s`, whose first byte is >= 0x80; 0 when it is ill-formed.
std::size_t utf8_sequence(std::string_view s) {
  const auto in = [&](std::size_t i, unsigned char lo, unsigned char hi) {
    return i < s.size() && static_cast<unsigned char>(s[i]) >= lo &&
           static_cast<unsigned char>(s[i]) <= hi;
  };
  const auto b = static_cast<unsigned char>(s[0]);
  if (b >= 0xC2 && b <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    const bool ok = in(1, b == 0xE0 ? 0xA0 : 0x80, b == 0xED ? 0x9F : 0xBF) && in(2, 0x80, 0xBF);
    return ok ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    const bool ok = in(1, b == 0xF0 ? 0x90 : 0x80, b == 0xF4 ? 0x8F : 0xBF) && in(2, 0x80, 0xBF) &&
                    in(3, 0x80, 0xBF);
    return ok ? 4 : 0;
  }
  return 0;
}

// Reads a JSON string's body and its closing quote off `s`, unescaped into `out`.
bool plain_string(std::string_view& s, std::string& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t run = i;  // ASCII but control characters, '"' and '\\' goes in as a run
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
      ++run;
    }
    out.append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) return false;
    if (s[i] == '"') {
      s.remove_prefix(i + 1);
      return true;
    }
    if (s[i] == '\\') {
      constexpr std::string_view kEscaped = R"("\/bfnrt)";    // what may follow the backslash
      constexpr std::string_view kMeant = "\"\\/\b\f\n\r\t";  // … and what it stands for
      const auto e = i + 1 < s.size() ? kEscaped.find(s[i + 1]) : std::string_view::npos;
      if (e == std::string_view::npos) return false;  // \u…, not an escape, or cut short
      out += kMeant[e];
      i += 2;
      continue;
    }
    if (static_cast<unsigned char>(s[i]) < 0x80) return false;  // a control character
    const std::size_t n = utf8_sequence(s.substr(i));
    if (n == 0) return false;
    out.append(s.data() + i, n);
    i += n;
  }
  return false;
}

bool try_plain_delta(std::string_view s, core::BlockDelta& delta) {
  if (!s.starts_with(kPlainHead) || !s.ends_with(R"("}})")) return false;
  s.remove_prefix(kPlainHead.size());
  // A non-negative integer as JSON writes it (no leading zero), small enough for int64.
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || digits > 18 || (digits > 1 && s[0] == '0')) return false;
  std::int64_t index = 0;
  for (const char c : s.substr(0, digits)) index = index * 10 + (c - '0');
  s.remove_prefix(digits);
  for (const auto& middle : kPlainMiddles) {
    if (!s.starts_with(middle.text)) continue;
    s.remove_prefix(middle.text.size());
    if (s.size() < 3) return false;  // the `"}}` checked above overlapped the middle
    std::string text;
    text.reserve(s.size() - 3);  // at most what is left but `"}}`: escapes only shrink it
    if (!plain_string(s, text) || s != "}}") return false;
    delta.index = index;
    delta.kind = middle.kind;
    delta.text = std::move(text);
    return true;
  }
  return false;
}

// --- The general path ------------------------------------------------------------------------

// `data` is a ScratchJson tree: what the payload keeps is copied or moved out of it.
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
    delta.other = *inner;  // copy assignment keeps delta.other's default storage
    return delta;
  }
  if (type == "ping") return core::Ping{};
  if (type == "content_block_start") {
    core::BlockStart start;
    const auto* block = object_at(data, "content_block");
    if (!index_of(data, start.index) || block == nullptr) {
      return tl::unexpected(bad_event(type, "missing index or content_block"));
    }
    start.block = *block;  // likewise
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
    return core::MessageStart{kept(message->get_object())};
  }
  if (type == "message_delta") {
    if (object_at(data, "delta") == nullptr) return tl::unexpected(bad_event(type, "missing delta"));
    return core::MessageDelta{kept(data)};
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
  if (core::BlockDelta delta; try_plain_delta(data, delta)) {
    return core::StreamEvent{std::move(delta), std::move(raw), false};
  }
  // Parsed where the payload will keep it: message_start and message_delta keep (nearly) all.
  ScratchJson parsed(data, name == "message_start" || name == "message_delta");
  json::object* object = parsed.object();
  if (object == nullptr) {
    return fail(ErrorKind::kUpstreamFailed,
                "Upstream sent an event whose data is not a JSON object (event: " +
                    std::string(name) + ")");
  }
  // The JSON `type` names the event; the SSE name is the fallback (they agree on the wire).
  std::string_view type = string_at(*object, "type");
  if (type.empty()) type = name;
  auto payload = decode_payload(type, *object);
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
