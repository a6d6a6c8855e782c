#pragma once
// What both dialects' stream validators share (api/*/stream_validator.hpp):
// SSE framing of the bytes a client got, split anywhere; a bounded list of
// violations, each prefixed with the event it is about; and the one ending
// rule common to both (no unterminated event). A validator adds its grammar.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/sse_framer.hpp"

namespace warden::core {

class StreamCheck : private SseFramer::Sink {
 public:
  static constexpr std::size_t kMaxEventBytes = std::size_t{16} << 20;
  static constexpr std::size_t kMaxViolations = 100;  // then one "more omitted" line

  StreamCheck() = default;
  virtual ~StreamCheck() = default;
  // The framer holds a reference to this object: no copies.
  StreamCheck(const StreamCheck&) = delete;
  StreamCheck& operator=(const StreamCheck&) = delete;

  // Feeds the next bytes exactly as written to the client (any split, even mid-line).
  void feed(std::string_view bytes);
  // The stream is over: checks the ending rules. Later calls to feed/finish do nothing.
  void finish();
  // Every violation so far, in order, each naming the event, e.g.
  // "event 7 (content_block_delta): index 2 but the open block is 1".
  const std::vector<std::string>& violations() const { return violations_; }
  bool ok() const { return violations_.empty(); }

 protected:
  // One complete event (set label_ first, then add() what is wrong).
  virtual void check_event(const SseFramer::Event& event) = 0;
  // The dialect's ending rules (label_ is "after event N").
  virtual void check_end() = 0;
  void add(std::string what);  // prefixed with label_

  std::string label_;  // "event 7 (content_block_delta)"

 private:
  void on_event(const SseFramer::Event& event) override { check_event(event); }
  void on_oversized(std::size_t number) override;

  SseFramer framer_{kMaxEventBytes, *this};
  std::vector<std::string> violations_;
  bool finished_ = false;
};

// A whole stream through validator V; its violations joined by "\n", "" when valid.
template <class V>
std::string violations_of(std::string_view bytes) {
  V validator;
  validator.feed(bytes);
  validator.finish();
  std::string joined;
  for (const auto& v : validator.violations()) {
    if (!joined.empty()) joined += '\n';
    joined += v;
  }
  return joined;
}

}  // namespace warden::core
