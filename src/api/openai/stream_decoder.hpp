#pragma once
// An OpenAI-compatible upstream's chat.completion.chunk stream → core::StreamEvent
// (PROTOCOLS.md 4.7). Pure: no I/O. Tolerates the compatible-server variants of 3.4: no
// [DONE], usage on the finish chunk, `choices` null or missing, no `role`, `type` missing on
// tool-call pieces, interleaved tool calls, `reasoning_content`/`reasoning` deltas. Only choice
// 0 is decoded (Warden refuses n > 1 at the request).
//
// Raw bytes: every chunk's bytes travel on the LAST event it produced (earlier events of the
// same chunk get empty raw); a chunk that produces no event (the usage chunk, a role-only or
// finish chunk) has its bytes held and prepended to the next event's raw. Events are not
// marked modified, so the raw of all events, in order, is the upstream's bytes exactly.
// The last event carries them because it is the one holding the chunk's content (a text or
// argument delta, or message_stop for [DONE]): a policy that changes or drops that event
// then also takes the content's bytes away, instead of leaving them on a structural event
// (a block start or stop) that would still be forwarded verbatim.
//
// Example:
//   StreamDecoder decoder(request.model);
//   for (auto& sse : events) if (auto ok = decoder.feed(sse.data, sse.raw, out); !ok) fail(...);
//   decoder.finish(out);  // at the end of the upstream body

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "core/stream_event.hpp"

namespace warden::api::openai {

class StreamDecoder final {
 public:
  // `client_model`: the model name for message_start (what the client asked for).
  explicit StreamDecoder(std::string client_model);

  // One SSE event's data (a chunk JSON, or "[DONE]") and its raw bytes; appends the events it
  // implies to `out`. Data that is not a JSON object → kUpstreamFailed. An error chunk → a
  // StreamError (type mapped to Anthropic's, 4.9); nothing is decoded after it.
  core::Result<void> feed(std::string_view data, std::string raw,
                          std::vector<core::StreamEvent>& out);

  // The upstream body ended. After [DONE] or a finish_reason: closes the message (unless [DONE]
  // already did). Otherwise the stream was cut: a StreamError (api_error). Held raw bytes go
  // on the last event emitted.
  void finish(std::vector<core::StreamEvent>& out);

 private:
  enum class Open { kNone, kText, kThinking, kTool };
  enum class CallState { kLive, kBuffered, kClosed };

  struct ToolCall {
    std::string id;
    bool id_generated = false;  // the upstream sent none (yet)
    std::string name;
    std::string arguments;  // buffered calls only
    CallState state = CallState::kBuffered;
  };

  void start_message(std::vector<core::StreamEvent>& out);
  void open_block(Open kind, boost::json::object block, std::vector<core::StreamEvent>& out);
  void close_block(std::vector<core::StreamEvent>& out);
  void append(Open kind, std::string_view text, std::vector<core::StreamEvent>& out);
  // False when the piece cannot be represented (the stream then ends with an error).
  bool tool_piece(const boost::json::object& piece, std::vector<core::StreamEvent>& out);
  void decode_choice(const boost::json::object& choice, std::vector<core::StreamEvent>& out);
  void end_message(std::vector<core::StreamEvent>& out);
  void fail(std::string type, std::string message, std::vector<core::StreamEvent>& out);
  void attach_raw(std::vector<core::StreamEvent>& out, std::size_t first, std::string raw);

  std::string client_model_;
  bool started_ = false;   // message_start emitted
  bool finished_ = false;  // message_stop emitted
  bool failed_ = false;    // an error emitted
  bool done_ = false;      // [DONE] seen
  bool saw_finish_ = false;
  std::string finish_reason_;
  boost::json::object usage_;  // the upstream's last usage object (OpenAI shape)
  std::int64_t next_index_ = 0;
  Open open_ = Open::kNone;
  std::int64_t open_index_ = 0;
  std::size_t live_call_ = 0;  // calls_ position of the open tool block
  bool live_has_arguments_ = false;
  std::vector<ToolCall> calls_;
  std::map<std::int64_t, std::size_t> call_by_index_;  // upstream tool index → calls_ position
  std::int64_t next_synthetic_index_ = -1;             // keys for pieces without `index`
  bool any_buffered_ = false;
  std::string held_raw_;
};

}  // namespace warden::api::openai
