#pragma once
// Keeps a stream of core events valid for the client's grammar, whatever the
// policies before it emitted (the classic failures of gateways: a second
// message_start, content after message_delta, stop_reason tool_use with no
// tool on the wire, block indexes with holes, no message_stop). By construction:
//
//  - message_start goes out first and once; events before it wait for it, a
//    later one is dropped;
//  - blocks are numbered 0, 1, 2, … in the order they start, whatever index a
//    policy gave them; a block that starts while another is open closes that
//    one first; deltas and stops reach only the open block (matched by the
//    index they came with) and deltas only of the block's kind (text into
//    text, input JSON into a tool call, …); others are dropped, so a block is
//    closed once and never mixes kinds;
//  - message_delta waits until message_stop, so blocks emitted late still go
//    before it; its stop_reason is rewritten only when it contradicts what was
//    sent: tool_use with no tool_use block → end_turn, end_turn after a
//    tool_use block → tool_use; message_stop (after a message_delta, made if
//    none came) is last and nothing follows it;
//  - an error event ends the stream.
//
// A stream that ends without message_stop stays unfinished: the formatter then
// ends it with an error, so a truncated answer never looks complete.
//
// Raw bytes: an event the builder changes is marked modified; so is the event
// after one it (or a policy, via `discarded`) took away, because the OpenAI
// formatter carries one upstream chunk's bytes on one event and must switch to
// encoding once any of them is gone.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/stream_event.hpp"

namespace warden::pipeline {

class StreamBuilder final {
 public:
  // Appends to `out` what `event` becomes (nothing, it, or it with the events
  // that must precede it).
  void push(core::StreamEvent event, std::vector<core::StreamEvent>& out);
  // The event before this one was taken away for good (by a policy).
  void note_discard() { taint_ = true; }
  // The input ended: releases nothing that would break the grammar.
  void finish();

  bool ended() const { return ended_; }
  // The builder changed something (renumbered, dropped, made or rewrote an event).
  bool changed() const { return changed_; }

 private:
  void forward(core::StreamEvent event, std::vector<core::StreamEvent>& out);
  void drop();
  void close_open_block(std::vector<core::StreamEvent>& out);
  void finish_message(std::vector<core::StreamEvent>& out);

  bool started_ = false;
  bool ended_ = false;
  bool open_ = false;
  std::int64_t open_input_index_ = 0;  // the index the open block's events come with
  std::string open_type_;              // the open block's type
  std::int64_t next_index_ = 0;        // the next output index
  bool sent_tool_use_ = false;
  bool taint_ = false;
  bool changed_ = false;
  std::vector<core::StreamEvent> before_start_;
  std::optional<core::StreamEvent> message_delta_;
};

}  // namespace warden::pipeline
