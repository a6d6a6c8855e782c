#pragma once
// The common stream model (DESIGN.md, "The common format"): one typed event per
// SSE event, shaped after Anthropic's block-structured stream. Every event keeps
// the exact bytes it was decoded from, so the ClientFormatter can forward an
// event no policy touched byte for byte.

#include <cstdint>
#include <string>
#include <variant>

#include <boost/json/object.hpp>

namespace warden::core {

struct MessageStart {
  boost::json::object message;  // id, model, role, usage, … as the upstream sent them
};

struct BlockStart {
  std::int64_t index = 0;
  boost::json::object block;  // {"type":"text"|"tool_use"|"thinking"|…, …}
};

enum class DeltaKind { kText, kInputJson, kThinking, kSignature, kOther };

struct BlockDelta {
  std::int64_t index = 0;
  DeltaKind kind = DeltaKind::kOther;
  std::string text;            // text, partial_json, thinking or signature, by kind
  boost::json::object other;   // the whole delta object when kind == kOther (citations, …)
};

struct BlockStop {
  std::int64_t index = 0;
};

struct MessageDelta {
  boost::json::object data;  // the whole event: {"type":"message_delta","delta":{…},"usage":{…}}
};

struct MessageStop {};
struct Ping {};

struct StreamError {
  std::string type;  // Anthropic error type: overloaded_error, api_error, …
  std::string message;
};

// An event type Warden does not know; forwarded as it came.
struct UnknownEvent {
  std::string name;
  std::string data;
};

using EventPayload = std::variant<MessageStart, BlockStart, BlockDelta, BlockStop, MessageDelta,
                                  MessageStop, Ping, StreamError, UnknownEvent>;

struct StreamEvent {
  EventPayload payload;
  std::string raw;        // the upstream's bytes for this event; empty when Warden made it
  bool modified = false;  // set by whoever changes `payload`; the formatter then re-encodes

  template <class T>
  bool is() const {
    return std::holds_alternative<T>(payload);
  }
  template <class T>
  T* as() {
    return std::get_if<T>(&payload);
  }
  template <class T>
  const T* as() const {
    return std::get_if<T>(&payload);
  }
};

// The stop_reason carried by a message_delta, or "" when absent or null.
std::string_view stop_reason(const MessageDelta& delta);

// The SSE event name of an event in the Anthropic dialect ("content_block_delta", …).
std::string_view event_name(const StreamEvent& event);

}  // namespace warden::core
