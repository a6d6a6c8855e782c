#pragma once
// What of a caller is safe to keep: headers with credentials blanked, the
// caller as a hash of its key, and the session it says it belongs to.

#include <string>
#include <string_view>

#include <boost/beast/http/fields.hpp>
#include <boost/json/object.hpp>

namespace warden::observability {

// The headers as a JSON object text, names in lower case, repeated headers
// joined with ", ". Authorization and Proxy-Authorization keep only their
// scheme ("Bearer [redacted]"); the other credential headers (x-api-key,
// cookies, `extra_secret_header`, …) become "[redacted]" whole; in any other
// header, what redact_secrets finds is replaced.
std::string redacted_headers(const boost::beast::http::fields& headers,
                             std::string_view extra_secret_header);

// Replaces credential-looking tokens in `text` with "[redacted]": known key
// prefixes ("sk-…", "ghp_…", "AKIA…"), also as the value of "name=…"; the
// token after "Bearer "; runs of 32 or more that mix letters and digits
// (UUIDs included). Redacting twice changes nothing.
std::string redact_secrets(std::string_view text);

// "k_" + 16 hex digits of SHA-256 over the key the caller presented
// (x-api-key, Authorization, or `proxy_key_header`); "" when none.
std::string caller_hash(const boost::beast::http::fields& headers,
                        std::string_view proxy_key_header);

// The client's session: the `session_header` header, Claude Code's
// x-claude-code-session-id, or the session in `metadata.user_id` (either
// "user_…_session_<uuid>" or a JSON object with "session_id"); "" when none.
std::string session_of(const boost::beast::http::fields& headers,
                       std::string_view session_header, const boost::json::object& body);

}  // namespace warden::observability
