#pragma once
// The last stage before the client socket for Anthropic-dialect clients:
// core::StreamEvent → SSE bytes. An event no policy touched is written as the
// exact bytes the upstream sent; others are encoded. Once `message_stop` or an
// `error` went out nothing more is written, and a stream that ends without
// either gets an `error` event, so a truncated stream never looks complete.

#include <string>
#include <string_view>

#include "core/stream_event.hpp"

namespace warden::api::anthropic {

class ClientFormatter final {
 public:
  // `passthrough`: the upstream speaks Anthropic too, so untouched events keep
  // their bytes; otherwise every event is encoded.
  explicit ClientFormatter(bool passthrough = true) : passthrough_(passthrough) {}

  // Appends the bytes for `event` to `out`.
  void format(const core::StreamEvent& event, std::string& out);
  // The stream is over: appends an error event if it did not end properly.
  // `reason` says why it ended early, for that event's message.
  void finish(std::string_view reason, std::string& out);
  bool ended() const { return ended_; }
  bool completed() const { return completed_; }

 private:
  bool passthrough_;
  bool ended_ = false;      // message_stop or error written
  bool completed_ = false;  // message_stop written
};

}  // namespace warden::api::anthropic
