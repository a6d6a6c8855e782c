#pragma once
// core::Error → OpenAI's error shape and status (PROTOCOLS.md 3.5, 4.9):
// {"error":{"message":…,"type":…,"param":…,"code":…}}.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace warden::api::openai {

struct ErrorReply {
  unsigned status;
  std::string body;
};

ErrorReply error_reply(const core::Error& error);

// A complete SSE error chunk, for failures after the stream has started.
std::string error_chunk(std::string_view message, std::string_view type);

}  // namespace warden::api::openai
