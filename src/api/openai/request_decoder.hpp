#pragma once
// Decodes a client's POST /v1/chat/completions body. Validates only what
// Warden needs: a JSON object with `model` and `messages`; `n` above 1 is
// refused (one choice is what the stream pipeline carries).

#include <string>

#include "core/request.hpp"
#include "core/result.hpp"

namespace warden::api::openai {

core::Result<core::Request> decode_request(std::string body);

}  // namespace warden::api::openai
