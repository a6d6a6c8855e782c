#pragma once
// Checks the bytes Warden writes to an Anthropic-dialect client against the streaming grammar
// (PROTOCOLS.md 1.2, 2.5, 2.9), so tests and the run-time debug option can tell a stream the
// SDKs and Claude Code accept from one they choke on. Pure: no I/O.
//
// Framing: lines end in \n or \r\n; an event ends at a blank line; `:` comments are skipped.
// An event over kMaxEventBytes is flagged and skipped without being buffered.
//
// Example:
//   StreamValidator validator;
//   validator.feed(bytes);  // each write to the client, split anywhere
//   validator.finish();     // the body ended
//   for (const auto& v : validator.violations()) log(v);

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/stream_check.hpp"

namespace warden::api::anthropic {

class StreamValidator final : public core::StreamCheck {
 public:
  // Saw message_stop or a (terminal) error event.
  bool complete() const { return complete_; }

 private:
  void check_event(const core::SseFramer::Event& event) override;
  void check_end() override;
  void on_message_start(const boost::json::object& data);
  void on_block_start(const boost::json::object& data);
  void on_block_delta(const boost::json::object& data);
  void on_block_stop(const boost::json::object& data);
  void on_message_delta(const boost::json::object& data);
  void on_message_stop();
  void on_error(const boost::json::object& data);
  void not_open(std::int64_t index);
  void close_block();

  // Grammar.
  bool started_ = false;         // message_start seen
  bool early_reported_ = false;  // an event before message_start was flagged
  bool message_delta_ = false;
  bool ended_ = false;  // message_stop or error seen: nothing may follow
  bool trailing_reported_ = false;
  bool complete_ = false;
  std::string end_kind_;
  std::int64_t next_index_ = 0;
  std::optional<std::int64_t> open_;  // index of the open block
  std::string open_type_;
  bool start_input_ok_ = true;  // the open tool block's start `input` is absent or an object
  std::string tool_json_;       // the open tool block's partial_json so far
  bool tool_json_over_ = false;
  bool sent_tool_use_ = false;
};

// Validates a whole stream; the violations joined by "\n", empty when valid.
std::string validate_stream(std::string_view bytes);

}  // namespace warden::api::anthropic
