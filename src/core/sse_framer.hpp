#pragma once
// Splits an SSE byte stream, fed in any pieces, into events: lines end in \n
// or \r\n, a blank line ends an event, ':' lines are comments. An event over
// `max_event_bytes` is reported and skipped without being kept in memory.
// Used where Warden reads what it wrote (the stream validators); the upstream
// side keeps each event's raw bytes and has its own parser.

#include <cstddef>
#include <string>
#include <string_view>

namespace warden::core {

class SseFramer final {
 public:
  struct Event {
    std::size_t number = 0;  // 1-based
    bool has_name = false;
    std::string_view name;
    bool has_data = false;
    std::string_view data;       // the data lines joined with '\n'
    std::string_view odd_field;  // the first field other than event and data
  };
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void on_event(const Event& event) = 0;
    virtual void on_oversized(std::size_t number) = 0;  // event `number` is being skipped
  };

  SseFramer(std::size_t max_event_bytes, Sink& sink) : max_event_bytes_(max_event_bytes), sink_(sink) {}

  void feed(std::string_view bytes);
  // Bytes of an event (or line) arrived that no blank line ended yet.
  bool unterminated() const { return in_event_ || skipping_ || line_len_ > 0; }
  std::size_t events() const { return event_no_; }

 private:
  void end_line();
  void end_event();

  std::size_t max_event_bytes_;
  Sink& sink_;
  std::string line_;  // the current line; only its first bytes while skipping_
  std::size_t line_len_ = 0;
  std::size_t event_bytes_ = 0;
  bool in_event_ = false;  // a field line was seen since the last blank line
  bool skipping_ = false;  // the current event is over the limit
  bool has_name_ = false;
  bool has_data_ = false;
  std::string name_;
  std::string data_;
  std::string odd_field_;
  std::size_t event_no_ = 0;
};

}  // namespace warden::core
