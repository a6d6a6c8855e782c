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

#include "core/sse_framer.hpp"

namespace warden::api::anthropic {

class StreamValidator final : private core::SseFramer::Sink {
 public:
  static constexpr std::size_t kMaxEventBytes = std::size_t{16} << 20;
  static constexpr std::size_t kMaxViolations = 100;  // then one "more omitted" line

  StreamValidator() = default;
  // The framer holds a reference to this object: no copies.
  StreamValidator(const StreamValidator&) = delete;
  StreamValidator& operator=(const StreamValidator&) = delete;

  // Feeds the next bytes exactly as written to the client (any split, even mid-line).
  void feed(std::string_view bytes);
  // The stream is over: checks the ending rules. Later calls to feed/finish do nothing.
  void finish();
  // Every violation so far, in order, each naming the event, e.g.
  // "event 7 (content_block_delta): index 2 but the open block is 1".
  const std::vector<std::string>& violations() const { return violations_; }
  bool ok() const { return violations_.empty(); }
  // Saw message_stop or a (terminal) error event.
  bool complete() const { return complete_; }

 private:
  void on_event(const core::SseFramer::Event& event) override;
  void on_oversized(std::size_t number) override;
  void on_message_start(const boost::json::object& data);
  void on_block_start(const boost::json::object& data);
  void on_block_delta(const boost::json::object& data);
  void on_block_stop(const boost::json::object& data);
  void on_message_delta(const boost::json::object& data);
  void on_message_stop();
  void on_error(const boost::json::object& data);
  void not_open(std::int64_t index);
  void close_block();
  void add(std::string what);  // prefixed with label_

  core::SseFramer framer_{kMaxEventBytes, *this};
  std::string label_;  // "event 7 (content_block_delta)"

  // Grammar.
  bool finished_ = false;
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
  std::vector<std::string> violations_;
};

// Validates a whole stream; the violations joined by "\n", empty when valid.
std::string validate_stream(std::string_view bytes);

}  // namespace warden::api::anthropic
