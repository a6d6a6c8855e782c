#pragma once
// Identifiers Warden mints: request ids for answers it gives without an
// upstream, and transaction ids.

#include <string>
#include <string_view>

namespace warden::core {

// `prefix` + 24 random base62 characters, the shape of Anthropic's ids
// (req_…, msg_…). Thread-safe.
std::string random_id(std::string_view prefix);

}  // namespace warden::core
