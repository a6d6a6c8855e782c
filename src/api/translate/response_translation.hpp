#pragma once
// Whole (non-streaming) answers from one dialect to the other (PROTOCOLS.md 4.6).
// Pure functions; ids are freshly minted, tool call ids are kept. A body that
// cannot be read as an answer is a core::Error of kind kUpstreamFailed.

#include <string_view>

#include <boost/json/object.hpp>

#include "core/result.hpp"

namespace warden::api::translate {

// A chat.completion → an Anthropic message with id "msg_" + 24 base62 characters.
// `client_model`: the model name the client asked for (goes in the response).
core::Result<boost::json::object> openai_to_anthropic_response(
    const boost::json::object& completion, std::string_view client_model);

// An Anthropic message → a chat.completion with id "chatcmpl-" + 29 characters and
// `created` = now. thinking and server-tool blocks are dropped.
core::Result<boost::json::object> anthropic_to_openai_response(const boost::json::object& message,
                                                               std::string_view client_model);

}  // namespace warden::api::translate
