#pragma once
// One text block's text on its way through a pattern scan, for policies that
// rewrite or cut text while it streams: a match may straddle deltas, so the
// last bytes are held back until no match can still start in them.
//
// Example (a rule whose matches are at most 8 bytes long):
//   buffer.append(delta_text);
//   const std::size_t end = buffer.limit(7, /*final=*/false);
//   … scan buffer.text() from buffer.start(), send what lies before `end` …
//   buffer.consume(end);

#include <cstddef>
#include <string>
#include <string_view>

namespace warden::policy {

class HoldbackBuffer final {
 public:
  void append(std::string_view more) { text_.append(more); }
  // What arrived and did not go out yet starts at `start()`; the character
  // before it is the last one that went out, kept so ^, $ and \b see the same
  // context as they would in the whole text (scan with RE2::Match(text(), start(), …)).
  std::string_view text() const { return text_; }
  std::size_t start() const { return start_; }
  bool empty() const { return start_ == text_.size(); }

  // Where the text that may go out now ends: `holdback` bytes before the end
  // (the whole text when `final`), never inside a UTF-8 character and never
  // past a character whose last bytes have not arrived.
  std::size_t limit(std::size_t holdback, bool final) const;
  // The text before `end` went out.
  void consume(std::size_t end);
  void clear() {
    text_.clear();
    start_ = 0;
  }

 private:
  std::string text_;
  std::size_t start_ = 0;
};

}  // namespace warden::policy
