#pragma once
// The last stage before the client socket for OpenAI-dialect clients: core::StreamEvent →
// chat.completion.chunk SSE bytes (PROTOCOLS.md 4.8, 3.6). Pure: no I/O.
//
// Encoded output is the canonical form: `data: <compact JSON>\n\n`, no `event:` line; every
// chunk carries the same id (chatcmpl-…), created and model; role in the first delta; a tool
// call's first piece carries id, type, name and arguments "", later pieces index + arguments;
// dense tool indices; one finish chunk; with include_usage, "usage":null on every chunk and one
// usage chunk ("choices":[]) before `data: [DONE]`. Thinking, signatures, citations, pings and
// unknown events produce nothing. Nothing is written after [DONE] or an error chunk, and a
// stream that ends without either gets an error chunk.
//
// Passthrough (the upstream speaks OpenAI too): untouched events are written as their raw
// bytes. The bytes of one upstream chunk travel on one event (see StreamDecoder), so once a
// policy changed or made an event, the rest of the stream is encoded — raw bytes of later
// chunks could repeat what the changed event replaced. Untouched events without raw bytes wait
// (encoded) until the event carrying their chunk's bytes arrives, and are written instead of
// it if the stream switches to encoding first.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/stream_event.hpp"

namespace warden::api::openai {

class ClientFormatter final {
 public:
  // `model`: the model name the client asked for; `include_usage`: the request's
  // stream_options.include_usage; `passthrough`: the upstream speaks OpenAI too.
  ClientFormatter(std::string model, bool include_usage, bool passthrough);

  // Appends the bytes for `event` to `out`.
  void format(const core::StreamEvent& event, std::string& out);
  // The stream is over: appends an error chunk if it did not end with [DONE] or an error.
  // `reason` says why it ended early, for that chunk's message.
  void finish(std::string_view reason, std::string& out);
  bool ended() const { return ended_; }          // [DONE] or an error chunk written
  bool completed() const { return completed_; }  // [DONE] written

 private:
  struct Tool {
    std::int64_t ordinal = 0;  // the OpenAI tool_calls index
    bool has_arguments = false;
    boost::json::object input;  // the block's input at start (a policy may fill it there)
  };

  // Updates the state for `event` and, when `out` is set, appends its canonical bytes.
  void encode(const core::StreamEvent& event, std::string* out);
  void write_raw(const core::StreamEvent& event, std::string& out);
  void start(std::string* out);
  void write_chunk(boost::json::object delta, std::string_view finish_reason,
                   std::string& out) const;
  void write_usage_chunk(std::string& out) const;
  boost::json::object header() const;
  void learn_ids(std::string_view raw);

  std::string model_;
  bool include_usage_;
  bool encoding_;  // encode every event (not passthrough, or a policy changed something)
  std::string id_;
  std::int64_t created_;
  bool learned_ = false;  // id/created/model taken from the upstream's first chunk (passthrough)
  std::string pending_;   // encoded untouched events whose chunk bytes have not arrived yet
  bool started_ = false;  // the role chunk is out
  bool finish_sent_ = false;
  bool ended_ = false;
  bool completed_ = false;
  std::map<std::int64_t, Tool> tools_;  // open tool_use blocks by Anthropic block index
  std::int64_t next_ordinal_ = 0;
  std::string stop_reason_;
  boost::json::object usage_;  // Anthropic usage, message_start's overlaid by message_delta's
};

}  // namespace warden::api::openai
