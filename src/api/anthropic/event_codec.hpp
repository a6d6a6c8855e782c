#pragma once
// Anthropic SSE events ↔ core::StreamEvent.

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/stream_event.hpp"

namespace warden::api::anthropic {

// Decodes one SSE event (its name and data) from an Anthropic upstream. `raw` is
// kept in the event for byte-exact forwarding. Unknown event types decode to
// UnknownEvent; malformed JSON or a known event missing its fields is an error.
core::Result<core::StreamEvent> decode_event(std::string_view name, std::string_view data,
                                            std::string raw);

// Appends the SSE bytes of `event` in the Anthropic dialect:
// `event: NAME\ndata: JSON\n\n`.
void encode_event(const core::StreamEvent& event, std::string& out);

}  // namespace warden::api::anthropic
