#pragma once
// What free-text search looks at, per record: the newest user turn of each
// request (its text and tool results) and every answer's text and tool calls —
// not the whole conversation or system prompt every request repeats, which
// would make every transaction of a session match and the index huge. A body
// that is not a message is taken as it is. Capped at kMaxSearchTextBytes.
// ASCII letters are lower-cased, here and in the query (fold_ascii), so both
// stores match case-insensitively for ASCII and exactly otherwise, alike.

#include <cstddef>
#include <string>

#include "storage/transaction_record.hpp"

namespace warden::storage::detail {

// Indexing costs the writer thread ~0.3 µs per byte (trigrams); 16 KiB keeps
// a record at a few ms, and a user turn plus an answer usually fits.
inline constexpr std::size_t kMaxSearchTextBytes = 16 * 1024;

std::string search_text_of(const TransactionRecord& record);

// `text` with A-Z lower-cased.
std::string fold_ascii(std::string text);

}  // namespace warden::storage::detail
