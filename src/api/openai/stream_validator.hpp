#pragma once
// Checks the bytes Warden writes to an OpenAI-dialect client against the chat.completion.chunk
// streaming rules (PROTOCOLS.md 1.2, 3.4, 3.6), so tests and the run-time debug option can tell
// a stream openai-node's finalChatCompletion() and openai-python accept from one they reject.
// Pure: no I/O. Warden serves n=1, so only choice 0 is valid.
//
// Framing: lines end in \n or \r\n; an event ends at a blank line; `:` comments (keep-alives)
// are skipped. An event over kMaxEventBytes is flagged and skipped without being buffered.
//
// Example:
//   StreamValidator validator;
//   validator.feed(bytes);  // each write to the client, split anywhere
//   validator.finish();     // the body ended
//   for (const auto& v : validator.violations()) log(v);

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/sse_framer.hpp"

namespace warden::api::openai {

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
  // "event 4 (chunk): tool call index 2 but the next new index is 1".
  const std::vector<std::string>& violations() const { return violations_; }
  bool ok() const { return violations_.empty(); }
  // Saw [DONE] or a (terminal) error chunk.
  bool complete() const { return complete_; }

 private:
  struct ToolCall {
    std::string id;
    std::string name;
    std::string arguments;
    bool arguments_over = false;  // over kMaxEventBytes: not buffered, not checked
  };

  void on_event(const core::SseFramer::Event& event) override;
  void on_oversized(std::size_t number) override;
  void on_chunk(const boost::json::object& chunk);
  void same_as_first(const boost::json::object& chunk, std::string_view key, bool number,
                     boost::json::value& first);
  void on_choice(const boost::json::value& choice);
  void on_delta(const boost::json::object& delta);
  void on_tool_piece(const boost::json::value& piece);
  void on_finish_reason(const boost::json::value& reason);
  void add(std::string what);  // prefixed with label_

  core::SseFramer framer_{kMaxEventBytes, *this};
  std::string label_;  // "event 4 (chunk)"

  // Grammar.
  bool finished_ = false;
  bool ended_ = false;  // [DONE] or an error chunk seen: nothing may follow
  bool trailing_reported_ = false;
  bool complete_ = false;
  std::string end_kind_;
  boost::json::value id_, model_, created_;  // the first chunk's
  bool saw_choice_ = false;
  bool saw_finish_ = false;
  bool saw_usage_ = false;
  std::map<std::int64_t, ToolCall> calls_;  // by tool_calls index
  std::int64_t next_call_ = 0;
  std::vector<std::string> violations_;
};

// Validates a whole stream; the violations joined by "\n", empty when valid.
std::string validate_stream(std::string_view bytes);

}  // namespace warden::api::openai
