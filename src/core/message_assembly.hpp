#pragma once
// What a stream of core events assembles to (DESIGN.md, "Response: the same
// blocks, whole"). The PolicyExecutor keeps one per policy so hooks can see all
// blocks so far; the non-streaming path goes the other way, turning a whole
// message into the events a stream of it would carry, so a policy written once
// behaves the same both ways.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/stream_event.hpp"

namespace warden::core {

enum class BlockType { kText, kToolUse, kThinking, kOther };

struct Block {
  std::int64_t index = 0;     // as the stream numbered it
  BlockType type = BlockType::kOther;
  boost::json::object start;  // the content_block object of content_block_start
  std::string text;           // text, thinking, or a tool call's input JSON as streamed
  std::string signature;      // thinking blocks
  boost::json::array citations;
  bool complete = false;      // content_block_stop seen
  bool overflow = false;      // content went over the assembly limit; `text` is incomplete

  std::string_view type_name() const;            // "text", "tool_use", …
  std::string_view tool_name() const;            // tool_use: the tool's name
  std::string_view tool_id() const;              // tool_use: the call id
  // tool_use: the complete input as JSON (the start's `input` when nothing was
  // streamed); null when the streamed JSON does not parse or overflowed.
  boost::json::value tool_input() const;
  // The block as it appears in a whole message's `content`.
  boost::json::object to_json() const;
};

class MessageAssembly final {
 public:
  // Content beyond `max_bytes` (all blocks together) is not kept: the block is
  // marked `overflow` instead, so a huge tool call cannot grow memory unbounded.
  explicit MessageAssembly(std::size_t max_bytes = 64 * 1024 * 1024) : max_bytes_(max_bytes) {}

  // Updates the state for one event.
  void apply(const StreamEvent& event);

  const boost::json::object& message() const { return message_; }  // message_start's
  const std::vector<Block>& blocks() const { return blocks_; }
  // The open block, or null between blocks.
  const Block* current() const { return open_ ? &blocks_.back() : nullptr; }
  // The block the last content_block_stop closed (null before the first).
  const Block* last_completed() const { return completed_ < 0 ? nullptr : &blocks_[completed_]; }
  std::string_view stop_reason() const { return stop_reason_; }
  bool started() const { return started_; }
  bool stopped() const { return stopped_; }  // message_stop seen
  std::size_t bytes() const { return bytes_; }

  // The whole message (Anthropic shape): message_start's fields, the blocks,
  // the stop reason and the usage as message_delta last updated it.
  boost::json::object to_json() const;

 private:
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  boost::json::object message_;
  std::vector<Block> blocks_;
  bool open_ = false;
  std::ptrdiff_t completed_ = -1;
  std::string stop_reason_;
  boost::json::value stop_sequence_;
  boost::json::object usage_;
  bool started_ = false;
  bool stopped_ = false;
};

BlockType block_type(std::string_view type_name);

// The events a stream of `message` (a whole Anthropic message) would carry:
// message_start, per block start / one delta per field / stop, message_delta,
// message_stop. None has raw bytes.
std::vector<StreamEvent> message_to_events(const boost::json::object& message);

}  // namespace warden::core
