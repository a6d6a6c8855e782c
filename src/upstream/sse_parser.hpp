#pragma once
// Incremental Server-Sent Events parser (WHATWG rules, PROTOCOLS.md 1.1).
// Reads may split anywhere: mid-line, between CR and LF, inside UTF-8.
// Every dispatched event carries the exact bytes it came from (comments and
// empty dispatches before it included), so unchanged events can be forwarded
// byte for byte.
//
// Example:
//   SseParser parser;
//   std::vector<SseEvent> events;
//   parser.feed(bytes_from_socket, events);   // any split
//   for (auto& e : events) handle(e.event, e.data);
//   parser.finish(events);                    // at end of stream

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace warden::upstream {

struct SseEvent {
  std::string event;  // the `event:` field, or "message"
  std::string data;   // `data:` lines joined with '\n'
  std::string raw;    // the bytes this event was parsed from
};

class SseParser final {
 public:
  // An event (or unterminated line) longer than this makes the parser fail.
  static constexpr std::size_t kDefaultMaxEventBytes = 16 * 1024 * 1024;

  explicit SseParser(std::size_t max_event_bytes = kDefaultMaxEventBytes)
      : max_event_bytes_(max_event_bytes) {}

  // Parses `bytes`, appending each completed event to `out`. Returns false once
  // an event exceeded the size limit; the parser then ignores further input.
  bool feed(std::string_view bytes, std::vector<SseEvent>& out);

  // End of stream: an unterminated event is discarded (as the spec says); its
  // size is returned so the caller can log it.
  std::size_t finish(std::vector<SseEvent>& out);

  bool failed() const { return failed_; }

 private:
  // Handles one complete line. `tail` is this read's part of the current event's
  // bytes (the earlier part is in raw_). Returns true if it dispatched an event,
  // whose raw is then raw_ + tail.
  bool process_line(std::string_view line, std::string_view tail, std::vector<SseEvent>& out);

  std::size_t max_event_bytes_;
  std::string line_;        // the current line, while it is unterminated at the end of a read
  std::string raw_;         // bytes of the undispatched event from earlier reads
  std::string event_type_;  // event-type buffer
  std::string data_;        // data buffer
  bool has_data_ = false;
  bool pending_cr_ = false;  // the last byte seen was a CR ending `line_`
  bool first_line_ = true;   // for the BOM
  bool failed_ = false;
};

}  // namespace warden::upstream
