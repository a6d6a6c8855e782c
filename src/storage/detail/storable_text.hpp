#pragma once
// PostgreSQL TEXT holds only valid UTF-8 without NUL; SQLite holds any bytes.
// Both stores write text through storable_text() so they keep the same value
// (and a truncated ingress that ends mid-character cannot fail a batch).

#include <string>
#include <string_view>

namespace warden::storage::detail {

// `text` with each NUL byte and each byte of an invalid UTF-8 sequence
// replaced by U+FFFD. Returns `text` unchanged (one copy) when it is valid.
std::string storable_text(std::string_view text);

}  // namespace warden::storage::detail
