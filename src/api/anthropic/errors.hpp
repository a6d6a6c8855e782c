#pragma once
// core::Error → Anthropic's error shape and status (PROTOCOLS.md 2.6).

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace warden::api::anthropic {

struct ErrorReply {
  unsigned status;
  std::string body;  // {"type":"error","error":{"type":…,"message":…},"request_id":…}
};

std::string_view error_type(core::ErrorKind kind);
unsigned error_status(core::ErrorKind kind);

// The JSON body of an HTTP error answer.
ErrorReply error_reply(const core::Error& error, std::string_view request_id);

// A complete SSE `error` event, for failures after the stream has started.
std::string error_event(std::string_view type, std::string_view message);

}  // namespace warden::api::anthropic
