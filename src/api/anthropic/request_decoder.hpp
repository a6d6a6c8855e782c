#pragma once
// Decodes a client's POST /v1/messages body. Validates only what Warden needs
// (a JSON object with `model`, `messages` and `max_tokens`); everything else —
// roles, block types, fields Warden does not know — passes through untouched.

#include <string>

#include "core/request.hpp"
#include "core/result.hpp"

namespace warden::api::anthropic {

// `count_tokens` bodies have no max_tokens.
enum class Endpoint { kMessages, kCountTokens };

core::Result<core::Request> decode_request(std::string body, Endpoint endpoint);

}  // namespace warden::api::anthropic
