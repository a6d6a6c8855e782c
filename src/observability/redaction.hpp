#pragma once
// What of a caller is safe to keep: headers with credentials blanked, the
// caller as a hash of its key, and the session it says it belongs to.

#include <string>
#include <string_view>

#include <boost/beast/http/fields.hpp>
#include <boost/json/object.hpp>

namespace warden::observability {

// The headers as a JSON object text. Credential headers (Authorization,
// x-api-key, cookies, `extra_secret_header`) keep only their scheme, and any
// value that looks like a key or token is replaced by "[redacted]".
std::string redacted_headers(const boost::beast::http::fields& headers,
                             std::string_view extra_secret_header);

// Replaces credential-looking tokens in `text` ("sk-…", "Bearer …", long
// random-looking runs) with "[redacted]".
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
