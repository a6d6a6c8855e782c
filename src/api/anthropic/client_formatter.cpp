#include "api/anthropic/client_formatter.hpp"

#include "api/anthropic/errors.hpp"
#include "api/anthropic/event_codec.hpp"

namespace warden::api::anthropic {

void ClientFormatter::format(const core::StreamEvent& event, std::string& out) {
  if (ended_) return;
  if (passthrough_ && !event.modified && !event.raw.empty()) {
    out.append(event.raw);
  } else {
    encode_event(event, out);
  }
  if (event.is<core::MessageStop>()) {
    ended_ = completed_ = true;
  } else if (event.is<core::StreamError>()) {
    ended_ = true;
  }
}

void ClientFormatter::finish(std::string_view reason, std::string& out) {
  if (ended_) return;
  out.append(error_event("api_error", reason.empty()
                                          ? "Upstream stream ended before message_stop"
                                          : reason));
  ended_ = true;
}

}  // namespace warden::api::anthropic
