#pragma once
// UTF-8 boundaries for policies that cut or hold back text: an upstream may
// split a character across deltas, and what a policy sends must never do so.

#include <cstddef>
#include <string_view>

namespace warden::policy {

inline bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// `pos` moved back to the start of the character it falls in.
inline std::size_t utf8_char_start(std::string_view s, std::size_t pos) {
  while (pos > 0 && pos < s.size() && is_utf8_continuation(s[pos])) --pos;
  return pos;
}

// The end of the last complete character: s.size(), or less when s ends in the
// first bytes of a character whose rest has not arrived yet.
inline std::size_t utf8_complete_end(std::string_view s) {
  for (std::size_t back = 1; back <= 4 && back <= s.size(); ++back) {
    const auto lead = static_cast<unsigned char>(s[s.size() - back]);
    if ((lead & 0xC0) == 0x80) continue;
    const std::size_t length = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    return length > back ? s.size() - back : s.size();
  }
  return s.size();  // not UTF-8 at all: nothing to wait for
}

// At most `max` bytes of `s`, not ending inside a character.
inline std::string_view utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  return s.substr(0, utf8_char_start(s, max));
}

}  // namespace warden::policy
