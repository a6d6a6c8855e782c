#pragma once
// Request bodies from one dialect to the other (PROTOCOLS.md 4.1-4.3, 4.10).
// Pure functions: no I/O, no configuration. What is mapped, dropped or refused
// is listed in docs/translation.md.
//
// A refusal is a core::Error of kind kInvalidRequest whose message starts with
// the path of the field at fault ("tools[3]: server tool …") and whose `param`
// is that path, so either dialect's error formatter can name it.

#include <cstdint>

#include <boost/json/object.hpp>

#include "core/result.hpp"

namespace warden::api::translate {

// PROTOCOLS 4.1 + 4.3: an Anthropic Messages request body → an OpenAI Chat Completions body.
// `model` is copied as given (routing rewrites it later). stream:true adds
// stream_options.include_usage:true. max_tokens → max_completion_tokens.
core::Result<boost::json::object> anthropic_to_openai_request(const boost::json::object& body);

// PROTOCOLS 4.2 + 4.3: an OpenAI body → an Anthropic body. `default_max_tokens` is used when
// the client gave neither max_completion_tokens nor max_tokens. temperature is clamped to 1.0;
// the caller removes temperature/top_p for an upstream on anthropic-version 2026-10-21.
core::Result<boost::json::object> openai_to_anthropic_request(const boost::json::object& body,
                                                              std::int64_t default_max_tokens);

}  // namespace warden::api::translate
