#include "storage/detail/storable_text.hpp"

#include <cstdint>

namespace warden::storage::detail {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not
// one (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF; the
// rules PostgreSQL applies). NUL counts as invalid.
std::size_t valid_sequence(std::string_view s) {
  const auto b0 = static_cast<std::uint8_t>(s[0]);
  if (b0 == 0) return 0;
  if (b0 < 0x80) return 1;
  std::size_t len;
  std::uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  const auto b1 = static_cast<std::uint8_t>(s[1]);
  if (b1 < lo || b1 > hi) return 0;
  for (std::size_t i = 2; i < len; ++i) {
    const auto b = static_cast<std::uint8_t>(s[i]);
    if (b < 0x80 || b > 0xBF) return 0;
  }
  return len;
}

}  // namespace

std::string storable_text(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {  // fast path: scan without copying
    if (const auto c = static_cast<std::uint8_t>(text[i]); c != 0 && c < 0x80) {
      ++i;  // ASCII, the bulk of any body
      continue;
    }
    const std::size_t n = valid_sequence(text.substr(i));
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return std::string(text);

  std::string out(text.substr(0, i));
  while (i < text.size()) {
    const std::size_t n = valid_sequence(text.substr(i));
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out += text.substr(i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace warden::storage::detail
