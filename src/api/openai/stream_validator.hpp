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

#include "core/stream_check.hpp"

namespace warden::api::openai {

class StreamValidator final : public core::StreamCheck {
 public:
  // Saw [DONE] or a (terminal) error chunk.
  bool complete() const { return complete_; }

 private:
  struct ToolCall {
    std::string id;
    std::string name;
    std::string arguments;
    bool arguments_over = false;  // over kMaxEventBytes: not buffered, not checked
  };

  void check_event(const core::SseFramer::Event& event) override;
  void check_end() override;
  void on_chunk(const boost::json::object& chunk);
  void same_as_first(const boost::json::object& chunk, std::string_view key, bool number,
                     boost::json::value& first);
  void on_choice(const boost::json::value& choice);
  void on_delta(const boost::json::object& delta);
  void on_tool_piece(const boost::json::value& piece);
  void on_finish_reason(const boost::json::value& reason);

  // Grammar.
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
};

// Validates a whole stream; the violations joined by "\n", empty when valid.
std::string validate_stream(std::string_view bytes);

}  // namespace warden::api::openai
